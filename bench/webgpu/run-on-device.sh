#!/usr/bin/env bash
# webgpu benchmark on a GPU machine without Node: unpacks tmp/webgpu-carry (bench/webgpu/prepare.ts) and runs
# bench.cjs on Dawn over the NVIDIA Vulkan driver. JSON lines on stdout and in $OUT/webgpu-results.jsonl.
#   run(command="bash bench/webgpu/run-on-device.sh", carry=["tmp/webgpu-carry"])
set -eu
cd "$(dirname "$0")/../../tmp/webgpu-carry"
[ -x node ] || { xz -dc node.xz > node; chmod +x node; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || xz -dk node_modules/webgpu/dist/linux-x64/dawn.node.xz
export LD_LIBRARY_PATH=$PWD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do [ -f "$icd" ] && export VK_ICD_FILENAMES=$icd && break; done
RES=${OUT:-.}/webgpu-results.jsonl
: > "$RES"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader | sed 's/^/# /'
./node bench.cjs --dir demo-q0f32 --lib demo-q0f32/lib.mjs --expected expected.safetensors --decode 48 | tee -a "$RES"
./node bench.cjs --dir demo-q4f16_1 --lib demo-q4f16_1/lib.mjs --expected expected.safetensors --decode 64 | tee -a "$RES"
./node bench.cjs --random qwen2.5-0.5b/lib.mjs --prompt 128 --decode 64 | tee -a "$RES"
