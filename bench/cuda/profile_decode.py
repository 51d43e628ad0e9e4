"""Per-kernel GPU time of one decode step of a cuda-target library, under Nsight Compute (GPU machine).

  ncu --profile-from-start off --clock-control none --metrics gpu__time_duration.sum --csv \
      python3 bench/cuda/profile_decode.py LIB PARAMS_JSON [CTX] > prof.csv
  python3 bench/cuda/profile_decode.py --summarise prof.csv NAME      -> one JSON line

Parameters are random (packed 4-bit words, scales ~0.01, unit norms): speed does not depend on their values.
CUDA graphs are off (NXMLC_CUDA_GRAPHS=0) so that the profiler sees every kernel of the step; only the step after
the warm-up one is profiled (cuProfilerStart/Stop around it).
"""
import ctypes as C
import csv
import json
import os
import sys

import numpy as np


def run(lib_path, params_json, ctx_len):
    os.environ["NXMLC_CUDA_GRAPHS"] = "0"
    sys.path.insert(0, os.path.dirname(__file__))
    from nxcuda import Model, load  # noqa: E402
    spec = json.load(open(params_json))["params"]
    m = Model(load(lib_path), max(ctx_len + 16, 256))
    rng = np.random.default_rng(0)
    for p in spec:
        shape = p["shape"]
        if p["dtype"] == "uint32":
            a = rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32)
        elif p["name"].endswith("q_scale"):
            a = np.full(shape, 0.01, dtype=np.float16)
        elif p["name"].endswith("bias"):
            a = np.zeros(shape, dtype=np.float16)
        elif len(shape) == 1:
            a = np.ones(shape, dtype=np.float16)
        else:
            a = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16)
        m.set_param(p["name"], p["dtype"], shape, a)
    m.finalize()
    m.prefill(rng.integers(10, m.V - 10, ctx_len))
    m.decode(5)
    cuda = C.CDLL("libcuda.so.1")
    cuda.cuProfilerStart()
    m.decode(6)
    cuda.cuProfilerStop()
    m.destroy()


def summarise(csv_path, name):
    rows = [r for r in csv.reader(l for l in open(csv_path) if l.startswith('"'))]
    head = rows[0]
    ki, mi, vi = head.index("Kernel Name"), head.index("Metric Name"), head.index("Metric Value")
    ui = head.index("Metric Unit") if "Metric Unit" in head else None
    to_us = {"nsecond": 1e-3, "ns": 1e-3, "usecond": 1.0, "us": 1.0, "msecond": 1e3, "ms": 1e3}
    per = {}
    total = 0.0
    for r in rows[1:]:
        if r[mi] != "gpu__time_duration.sum":
            continue
        us = float(r[vi].replace(",", "")) * to_us.get(r[ui] if ui is not None else "nsecond", 1e-3)
        k = r[ki].split("<")[0].split("(")[0]
        d = per.setdefault(k, {"calls": 0, "us": 0.0})
        d["calls"] += 1
        d["us"] += us
        total += us
    top = sorted(per.items(), key=lambda kv: -kv[1]["us"])
    print(json.dumps({"profile": name, "kernels": sum(d["calls"] for d in per.values()), "gpu_us": round(total, 1),
                      "by_kernel": {k: {"calls": d["calls"], "us": round(d["us"], 1)} for k, d in top}}))


if __name__ == "__main__":
    if sys.argv[1] == "--summarise":
        summarise(sys.argv[2], sys.argv[3])
    else:
        run(sys.argv[1], sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 128)
