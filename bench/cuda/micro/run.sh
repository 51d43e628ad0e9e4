#!/usr/bin/env bash
# Kernel micro-benchmarks and a per-kernel decode profile on the GPU machine (see bench/cuda/README.md).
#   bash bench/cuda/micro/run.sh [gemv] [mm] [attn] [profile LIB PARAMS_JSON NAME]...
# JSON lines to stdout and $OUT/micro.jsonl.
set -u
cd "$(dirname "$0")/../../.."
OUTDIR=${OUT:-$PWD}; mkdir -p "$OUTDIR"; RES=$OUTDIR/micro.jsonl
NV="nvcc -O3 -std=c++17 -gencode arch=compute_90,code=sm_90 -I native/include -I native/cuda"
while [ $# -gt 0 ]; do
  case "$1" in
    gemv|mm|attn)
      $NV bench/cuda/micro/$1.cu -o /tmp/micro-$1 2>&1 | grep -v "^$" | tail -5
      timeout 180 /tmp/micro-$1 | tee -a "$RES"; shift ;;
    profile)
      lib=$2 params=$3 name=$4; shift 4
      timeout 240 ncu --profile-from-start off --clock-control none --metrics gpu__time_duration.sum --csv \
        python3 bench/cuda/profile_decode.py "$lib" "$params" 128 > /tmp/prof-$name.csv 2> /tmp/prof-$name.err
      python3 bench/cuda/profile_decode.py --summarise /tmp/prof-$name.csv "$name" | tee -a "$RES" || tail -5 /tmp/prof-$name.err ;;
    *) echo "unknown: $1"; exit 2 ;;
  esac
done
