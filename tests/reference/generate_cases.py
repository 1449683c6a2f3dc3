#!/usr/bin/python3
"""Generates the reference cases: one directory per case with model.strix, input_<i>.npy,
expected_<i>.npy and case.json {"op", "name", "rtol_l2", "atol"[, "batch"]}.

Expected outputs come from an implementation independent of Strix: PyTorch
(torch.nn.functional, in float64) where it has the op, numpy otherwise, and Python-int
reimplementations of requantize.h for INT8 (compared bit-exactly). Every op of
sdk/schema/strix.fbs except Custom gets several cases at odd shapes.

    PYTHONPATH=<build>/generated/python /usr/bin/python3 generate_cases.py --out DIR [--seed N]
"""

import argparse
import os
import shutil
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases_conv_pool  # noqa: E402
import cases_elementwise  # noqa: E402
import cases_int8  # noqa: E402
import cases_movement  # noqa: E402
import int8_ref as q8  # noqa: E402
import models  # noqa: E402
import strix_model as sm  # noqa: E402
from cases_common import Gen  # noqa: E402

GENERATORS = [
    cases_conv_pool.gen_conv2d, cases_conv_pool.gen_conv_transpose,
    cases_conv_pool.gen_fully_connected, cases_conv_pool.gen_matmul, cases_conv_pool.gen_pool,
    cases_conv_pool.gen_global_pool, cases_elementwise.gen_unary, cases_elementwise.gen_binary,
    cases_elementwise.gen_prelu, cases_elementwise.gen_norm, cases_elementwise.gen_softmax,
    cases_elementwise.gen_reduce, cases_movement.gen_movement, cases_movement.gen_resize,
    cases_movement.gen_cast, cases_movement.gen_quantize, cases_int8.gen_int8, models.generate,
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="output directory (replaced)")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--only", help="write only cases whose name contains this")
    args = ap.parse_args()
    try:
        import strix.fb.Model  # noqa: F401
    except ImportError:
        print("generate_cases.py: the flatc-generated module strix.fb is not importable; build "
              "the project (target strix_schema_gen) and put <build>/generated/python on "
              "PYTHONPATH", file=sys.stderr)
        return 2
    start = time.time()
    q8.self_test()
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    torch.manual_seed(args.seed)
    g = Gen(args.out, args.seed, args.only)
    for gen in GENERATORS:
        gen(g)
    ops = [op for op in sm.schema().enums["OpType"] if op != "Custom"]
    missing = [op for op in ops if op not in g.counts]
    if missing:
        print(f"generate_cases.py: no case for {missing}", file=sys.stderr)
        return 1
    total = sum(g.counts.values())
    print(f"generate_cases.py: {total} cases for {len(g.counts)} ops in {args.out} "
          f"({g.bytes / 1e6:.1f} MB, {time.time() - start:.1f} s)")
    print("  " + ", ".join(f"{op} {n}" for op, n in sorted(g.counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
