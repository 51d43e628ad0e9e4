#!/usr/bin/env bash
# Runs the cuda target's conformance suite and benchmark on a GPU machine (no Node needed there).
# Inputs come from `node -r @swc-node/register bench/cuda/prepare.ts` (into .cuda-carry/, carried along).
#   bash bench/cuda/run-on-device.sh [conformance] [bench] [models...]
# Prints JSON lines; also writes them to $OUT/results.jsonl (or ./cuda-results.jsonl).
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
CARRY=${CUDA_CARRY:-$ROOT/.cuda-carry}
OUTDIR=${OUT:-$ROOT}
mkdir -p "$OUTDIR"
RES=$OUTDIR/results.jsonl
BUILD=/tmp/nxcu-build
mkdir -p "$BUILD"
: > "$RES"
export PYTHONUNBUFFERED=1
WHAT="${*:-conformance bench}"
MODELS=$(echo "$WHAT" | tr ' ' '\n' | grep -E '^(qwen|llama)' || true)
[ -z "$MODELS" ] && MODELS="qwen2.5-0.5b llama-3.2-1b llama-3-8b"
FLAGS="-O3 -std=c++17 -shared -Xcompiler -fPIC,-fvisibility=hidden -cudart static -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"
INC="-I$ROOT/native/include -I$ROOT/native/cuda"
# VARIANTS: o2 (the default build: second-generation kernels) and/or o1 (first-generation fast paths), e.g. VARIANTS="o1 o2".
VARIANTS=${VARIANTS:-o2}
# CONF_VARIANTS: the variants the conformance suite runs (default: VARIANTS).
CONF_VARIANTS=${CONF_VARIANTS:-$VARIANTS}
emit() { echo "$1" | tee -a "$RES"; }

emit "{\"machine\": \"$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)\", \"nvcc\": \"$(nvcc --version | grep release)\"}"

build() {  # src out -> prints seconds
  local t0=$(date +%s.%N)
  nvcc $FLAGS $INC "$1" "$ROOT/native/cuda/nx_cuda_runtime.cu" -o "$2" -diag-suppress 177,550 > "$2.log" 2>&1 || { echo "BUILD FAILED $2"; tail -30 "$2.log"; }
  awk "BEGIN{print $(date +%s.%N) - $t0}"
}
export -f build; export FLAGS INC ROOT

if echo "$WHAT" | grep -q bench; then
  # Random-weight checkpoints (GPU + disk) in the background while the CPU builds.
  ( for m in $MODELS; do
      [ -d /tmp/ckpt/$m ] || python3 bench/make_random_checkpoint.py bench/configs/$m.json /tmp/ckpt/$m > /tmp/ckpt-$m.log 2>&1
    done ) &
  CKPT_PID=$!
  for m in $MODELS; do
    for v in $VARIANTS; do
      src=$CARRY/bench/$m/model.cu; [ "$v" != o2 ] && src=$CARRY/bench/$m/model_$v.cu
      ( s=$(build "$src" "$BUILD/bench-$m-$v.so"); echo "{\"compile\": \"$m\", \"variant\": \"$v\", \"nvcc_seconds\": $s, \"lib_bytes\": $(stat -c %s $BUILD/bench-$m-$v.so 2>/dev/null || echo 0)}" >> "$BUILD/compile.jsonl" ) &
    done
  done
fi

if echo "$WHAT" | grep -q conformance; then
  # CONF_GENERIC=0 skips the generic-path (bisection) builds.
  ls -d "$CARRY"/conformance/*/ | while read d; do c=$(basename "$d")
      echo " $CONF_VARIANTS " | grep -q " o2 " && echo "$d/model.cu $BUILD/$c.so"
      echo " $CONF_VARIANTS " | grep -q " o1 " && echo "$d/model_o1.cu $BUILD/$c-o1.so"
      [ "${CONF_GENERIC:-1}" = 1 ] && echo "$d/model_generic.cu $BUILD/$c-generic.so"; done \
    | xargs -P 12 -n 2 bash -c 'build "$0" "$1" > /dev/null'
  for d in "$CARRY"/conformance/*/; do
    c=$(basename "$d")
    libs=""; echo " $CONF_VARIANTS " | grep -q " o2 " && libs="$BUILD/$c.so"
    echo " $CONF_VARIANTS " | grep -q " o1 " && libs="$libs $BUILD/$c-o1.so"
    [ "${CONF_GENERIC:-1}" = 1 ] && libs="$libs $BUILD/$c-generic.so"
    timeout 120 python3 bench/cuda/nxcuda.py conformance "$d" $libs 2>&1 | tee -a "$RES"
  done
  python3 - "$RES" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith('{"case"')]
for suffix in ("-o1.so", "-generic.so", ""):
    sel = [r for r in rows if (r["lib"].endswith(suffix) if suffix else not r["lib"].endswith(("-o1.so", "-generic.so")))]
    if not sel: continue
    ok = [r for r in sel if r.get("pass")]
    print(json.dumps({"conformance_summary": {"variant": {"-o1.so": "o1", "-generic.so": "generic", "": "o2"}[suffix], "cases": len(sel), "passed": len(ok), "failed": [r["lib"] for r in sel if r not in ok]}}))
PY
fi

if echo "$WHAT" | grep -q bench; then
  wait
  cat "$BUILD/compile.jsonl" | tee -a "$RES"
  for m in $MODELS; do
    python3 -c 'import json,sys; print(json.dumps({"checkpoint": sys.argv[1], "log": open(sys.argv[2]).read()[-300:]}))' $m /tmp/ckpt-$m.log | tee -a "$RES"
    for v in $VARIANTS; do
      timeout 240 python3 bench/cuda/nxcuda.py bench "$BUILD/bench-$m-$v.so" "$CARRY/bench/$m/params.json" /tmp/ckpt/$m $m-$v 2>&1 | tail -3 | tee -a "$RES"
      # PDL_AB=1: the O2 library once more with programmatic dependent launch off (A/B of that one feature).
      if [ "$v" = o2 ] && [ "${PDL_AB:-0}" = 1 ]; then
        NXMLC_CUDA_PDL=0 timeout 240 python3 bench/cuda/nxcuda.py bench "$BUILD/bench-$m-$v.so" "$CARRY/bench/$m/params.json" /tmp/ckpt/$m $m-$v-nopdl 2>&1 | tail -3 | tee -a "$RES"
      fi
    done
    # HF_MODELS limits the transformers baseline to some models; HF_GEN sets its generated tokens.
    if [ -z "${HF_MODELS:-}" ] || echo " $HF_MODELS " | grep -q " $m "; then
      timeout 180 python3 bench/hf_baseline.py /tmp/ckpt/$m --prompt-len 512 --gen ${HF_GEN:-128} 2>&1 | tail -1 | tee -a "$RES"
    fi
  done
fi
