#!/usr/bin/env python3
"""Runs the converter's importer cases (written by gen_models.py) and compares with ONNX
Runtime. Run it with the venv's python (tests/converter/make_venv.sh), which has onnxruntime.

For each case: ONNX Runtime computes the reference; `strixc convert` writes FP32 (and FP16)
.strix files; `strix run` executes them; outputs must match with relative L2 error
<= 1e-5 (FP32) and <= 1e-2 (FP16). Error cases must fail with messages holding the listed
substrings. Prints one line per check and ends with "N passed, M failed".

Usage: run_cases.py --cases DIR --strixc PATH --strix PATH [--filter REGEX] [--jobs N]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

try:
    import onnxruntime as ort
except ImportError:
    sys.exit("run_cases.py: error: onnxruntime is not installed in this python "
             f"({sys.executable}); run tests/converter/make_venv.sh BUILD_DIR and use BUILD_DIR/venv/bin/python")


def rel_l2(got, want):
    got = got.astype(np.float64).ravel()
    want = want.astype(np.float64).ravel()
    if got.shape != want.shape:
        return float("inf")
    denom = max(np.linalg.norm(want), 1e-12)
    return float(np.linalg.norm(got - want) / denom)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return p.returncode, p.stdout + p.stderr


def check_ok(case, args, work):
    results = []
    sess = ort.InferenceSession(case["onnx"], providers=["CPUExecutionProvider"])
    feeds = {k: np.load(v) for k, v in case["inputs"].items()}
    names = [o.name for o in sess.get_outputs()]
    want = dict(zip(names, sess.run(None, feeds)))
    precisions = ["fp32"] + (["fp16"] if case.get("fp16", True) else [])
    for precision in precisions:
        label = f"{case['name']} [{precision}]"
        model = os.path.join(work, f"{case['name']}.{precision}.strix")
        rc, out = run([args.strixc, "convert", case["onnx"], "-o", model, "--precision", precision, "-q"])
        if rc != 0:
            results.append((False, f"{label}: strixc convert failed ({rc}): {out.strip()}"))
            continue
        outdir = os.path.join(work, f"{case['name']}.{precision}.out")
        cmd = [args.strix, "run", model, "--output-dir", outdir]
        for k, v in case["inputs"].items():
            cmd += ["--input", f"{k}={v}"]
        if case.get("batch"):
            cmd += ["--batch", str(case["batch"])]
        rc, out = run(cmd)
        if rc != 0:
            results.append((False, f"{label}: strix run failed ({rc}): {out.strip()}"))
            continue
        tol = case.get("tol") or (1e-5 if precision == "fp32" else 1e-2)
        worst, detail = 0.0, ""
        ok = True
        for name, ref in want.items():
            path = os.path.join(outdir, re.sub(r"[^A-Za-z0-9._-]", "_", name) + ".npy")
            if not os.path.exists(path):
                ok, detail = False, f"output '{name}' missing"
                break
            got = np.load(path)
            if got.shape != ref.shape:
                ok, detail = False, f"output '{name}' shape {got.shape} != ONNX Runtime {ref.shape}"
                break
            err = rel_l2(got, ref)
            worst = max(worst, err)
            if not err <= tol:
                ok, detail = False, f"output '{name}' relative L2 {err:.3g} > {tol:g}"
        results.append((ok, f"{label}: " + (f"rel L2 {worst:.2e}" if ok else detail)))
    return results


def check_error(case, args, work):
    model = os.path.join(work, f"{case['name']}.strix")
    rc, out = run([args.strixc, "convert", case["onnx"], "-o", model])
    if rc == 0:
        return [(False, f"{case['name']}: strixc convert succeeded, an error was expected")]
    if rc not in (1, 2):
        return [(False, f"{case['name']}: strixc exited {rc} (crash?): {out.strip()}")]
    missing = [s for s in case["substrings"] if s not in out]
    if missing:
        return [(False, f"{case['name']}: message lacks {missing}: {out.strip()}")]
    if os.path.exists(model):
        return [(False, f"{case['name']}: a file was written despite the error")]
    return [(True, f"{case['name']}: {out.strip().splitlines()[0][:150]}")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", required=True)
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--strix", required=True)
    ap.add_argument("--filter", default="")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    manifest = json.load(open(os.path.join(args.cases, "manifest.json")))
    cases = [c for c in manifest["cases"] if re.search(args.filter, c["name"])]
    with tempfile.TemporaryDirectory(prefix="strix-converter-") as work:
        def one(case):
            try:
                if case["expect"] == "ok":
                    return check_ok(case, args, work)
                return check_error(case, args, work)
            except Exception as e:  # a broken case is a failure, not a crash of the runner
                return [(False, f"{case['name']}: exception {type(e).__name__}: {e}")]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            all_results = list(pool.map(one, cases))
    passed = failed = 0
    for results in all_results:
        for ok, line in results:
            print(("PASS " if ok else "FAIL ") + line)
            passed += ok
            failed += not ok
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
