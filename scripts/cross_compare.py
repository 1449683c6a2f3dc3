#!/usr/bin/python3
"""A .strix file made on the host gives the same outputs on the cross target.

Runs `strix run` twice on each case, once with the native (host) CLI and once with the
cross-built CLI through an emulator, and compares the written outputs file by file:
f32 outputs must agree to relative L2 <= --rtol (default 1e-5), f16 outputs to 1e-3 (one
f16 rounding step), integer outputs (i8, u8, i32) bit for bit.

    cross_compare.py --native build/default/sdk/tools/strix \
        --target build/aarch64/sdk/tools/strix --emulator "qemu-aarch64 -L /usr/aarch64-linux-gnu" \
        CASE_DIR...

A case directory holds model.strix, input_<i>.npy (graph input order) and case.json with
{"name", "inputs": [names], "batch" (optional)}, as written by tests/reference/generate_cases.py;
a directory without case.json is searched one level down for case directories.
Cases the native CLI cannot run (an op the runtime lacks) are counted as skipped.
"""

import argparse
import concurrent.futures
import json
import os
import shlex
import subprocess
import sys
import tempfile

import numpy as np


def find_cases(paths):
    cases = []
    for p in paths:
        if os.path.exists(os.path.join(p, "case.json")):
            cases.append(p)
        elif os.path.isdir(p):
            cases += sorted(os.path.join(p, d) for d in os.listdir(p)
                            if os.path.exists(os.path.join(p, d, "case.json")))
    return cases


def run(cmd_prefix, case, meta, out_dir):
    cmd = list(cmd_prefix) + ["run", os.path.join(case, "model.strix")]
    for i, name in enumerate(meta["inputs"]):
        cmd += ["--input", f"{name}={os.path.join(case, f'input_{i}.npy')}"]
    cmd += ["--output-dir", out_dir]
    if meta.get("batch"):
        cmd += ["--batch", str(meta["batch"])]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return p.returncode, (p.stderr.strip() or p.stdout.strip())


def compare(name, host, target, rtol):
    if host.dtype != target.dtype or host.shape != target.shape:
        return (f"{name}: target wrote {target.dtype}{list(target.shape)}, "
                f"host {host.dtype}{list(host.shape)}")
    if host.dtype.kind in "iub":
        if not np.array_equal(host, target):
            diff = int(np.count_nonzero(host != target))
            return f"{name}: {diff} of {host.size} integer elements differ"
        return None
    h = host.astype(np.float64)
    t = target.astype(np.float64)
    if not np.array_equal(np.isnan(h), np.isnan(t)):
        return f"{name}: NaN in different places"
    ok = ~np.isnan(h)
    h, t = h[ok], t[ok]
    if not np.array_equal(np.isinf(h), np.isinf(t)) or not np.array_equal(h[np.isinf(h)],
                                                                            t[np.isinf(t)]):
        return f"{name}: infinities differ"
    fin = np.isfinite(h)
    tol = 1e-3 if host.dtype == np.float16 else rtol
    err = float(np.linalg.norm(h[fin] - t[fin])) / max(float(np.linalg.norm(h[fin])), 1e-30)
    if err > tol:
        return f"{name}: relative L2 {err:.3g} > {tol:g}"
    return None


def check(case, args, tmp):
    with open(os.path.join(case, "case.json")) as f:
        meta = json.load(f)
    name = meta.get("name", os.path.basename(case))
    host_dir = os.path.join(tmp, name, "host")
    target_dir = os.path.join(tmp, name, "target")
    rc, err = run([args.native], case, meta, host_dir)
    if rc != 0:
        return name, "skip", [f"native strix run failed ({rc}): {err.splitlines()[-1] if err else ''}"]
    rc, err = run(shlex.split(args.emulator) + [args.target], case, meta, target_dir)
    if rc != 0:
        return name, "fail", [f"target strix run failed ({rc}) where the host's passed: {err}"]
    problems = []
    identical = True
    files = sorted(f for f in os.listdir(host_dir) if f.endswith(".npy"))
    if not files:
        problems.append("the host wrote no output")
    for fname in files:
        path = os.path.join(target_dir, fname)
        if not os.path.exists(path):
            problems.append(f"{fname}: not written by the target")
            continue
        host, target = np.load(os.path.join(host_dir, fname)), np.load(path)
        p = compare(fname, host, target, args.rtol)
        if p:
            problems.append(p)
        identical = identical and host.tobytes() == target.tobytes()
    if problems:
        return name, "fail", problems
    return name, "identical" if identical else "pass", problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--native", required=True, help="the host strix CLI")
    ap.add_argument("--target", required=True, help="the cross-built strix CLI")
    ap.add_argument("--emulator", default="", help="command that runs target programs")
    ap.add_argument("--rtol", type=float, default=1e-5, help="f32 relative L2 tolerance")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every case")
    ap.add_argument("cases", nargs="+", help="case directories, or directories of them")
    args = ap.parse_args()
    cases = find_cases(args.cases)
    if not cases:
        print(f"cross_compare.py: no cases in {' '.join(args.cases)}", file=sys.stderr)
        return 1
    counts = {"identical": 0, "pass": 0, "fail": 0, "skip": 0}
    with tempfile.TemporaryDirectory(prefix="strix_cross_") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            for name, result, problems in pool.map(lambda c: check(c, args, tmp), cases):
                counts[result] += 1
                if result == "fail" or args.verbose:
                    print(f"[{result.upper()}] {name}")
                    for p in problems:
                        print(f"    {p}")
    print(f"cross_compare: {len(cases)} models: {counts['identical']} bit-identical, "
          f"{counts['pass']} equal within tolerance, {counts['fail']} different, "
          f"{counts['skip']} skipped (the host CLI cannot run them)")
    return 1 if counts["fail"] or not (counts["identical"] + counts["pass"]) else 0


if __name__ == "__main__":
    sys.exit(main())
