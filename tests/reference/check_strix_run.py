#!/usr/bin/python3
"""`strix run` on built models matches numpy/PyTorch.

Runs the strix CLI on every multi-node model case ("kind": "model" in case.json) written by
generate_cases.py, and on the demo classifier of scripts/make_demo_model.py, then compares
each written DIR/<output name>.npy with the expected array (relative L2 and max abs error).

    check_strix_run.py --strix build/sdk/tools/strix --cases build/tests/reference/cases \
        [--demo-script scripts/make_demo_model.py]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def compare(name, got, want, rtol, atol):
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"{name}: got {got.dtype}{list(got.shape)}, expected {want.dtype}{list(want.shape)}"
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    if not np.all(np.isfinite(g)):
        return f"{name}: non-finite values in the output"
    err = float(np.linalg.norm(g - w)) / max(float(np.linalg.norm(w)), 1e-30)
    mx = float(np.max(np.abs(g - w))) if g.size else 0.0
    if err > rtol or (atol is not None and mx > atol):
        return f"{name}: rel_l2 {err:.3g} (<= {rtol:.3g}), max_abs {mx:.3g} (<= {atol})"
    return None


def run_strix(strix, model, inputs, out_dir, batch=None):
    """inputs: list of (name, path). Returns (returncode, stderr)."""
    cmd = [strix, "run", model]
    for name, path in inputs:
        cmd += ["--input", f"{name}={path}"]
    cmd += ["--output-dir", out_dir]
    if batch:
        cmd += ["--batch", str(batch)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return p.returncode, (p.stderr.strip() or p.stdout.strip()), cmd


def check_case(strix, case_dir, tmp):
    with open(os.path.join(case_dir, "case.json")) as f:
        meta = json.load(f)
    name = meta["name"]
    out_dir = os.path.join(tmp, name)
    inputs = [(n, os.path.join(case_dir, f"input_{i}.npy")) for i, n in enumerate(meta["inputs"])]
    rc, err, cmd = run_strix(strix, os.path.join(case_dir, "model.strix"), inputs, out_dir,
                             meta.get("batch"))
    if rc != 0:
        return [f"{name}: `{' '.join(cmd)}` exited {rc}: {err}"]
    problems = []
    for i, out in enumerate(meta["outputs"]):
        path = os.path.join(out_dir, f"{out}.npy")
        if not os.path.exists(path):
            problems.append(f"{name}: {path} was not written")
            continue
        want = np.load(os.path.join(case_dir, f"expected_{i}.npy"))
        p = compare(f"{name}/{out}", np.load(path), want, meta["rtol_l2"], meta.get("atol"))
        if p:
            problems.append(p)
    return problems


def check_demo(strix, script, tmp, batch_dynamic=False):
    """Builds the demo classifier, runs it on a random image batch, compares with the
    script's own numpy forward pass. batch_dynamic: the file says -1, run with --batch 3."""
    tag = "demo_dyn" if batch_dynamic else "demo"
    model = os.path.join(tmp, f"{tag}.strix")
    cmd = [sys.executable, script, model] + (["--batch-dynamic"] if batch_dynamic else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        return [f"{tag}: {script} exited {p.returncode}: {p.stderr.strip()}"]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    import make_demo_model as demo  # noqa: E402
    batch = 3 if batch_dynamic else 1
    x = np.random.default_rng(batch).uniform(-2, 2, size=(batch, 3, 64, 64)).astype(np.float32)
    xin = os.path.join(tmp, f"{tag}_input.npy")
    np.save(xin, x)
    out_dir = os.path.join(tmp, f"{tag}_out")
    rc, err, cmd = run_strix(strix, model, [(demo.INPUT_NAME, xin)], out_dir,
                             batch if batch_dynamic else None)
    if rc != 0:
        return [f"{tag}: `{' '.join(cmd)}` exited {rc}: {err}"]
    want = demo.numpy_forward(demo.make_weights(), x)
    path = os.path.join(out_dir, f"{demo.OUTPUT_NAME}.npy")
    if not os.path.exists(path):
        return [f"{tag}: {path} was not written"]
    got = np.load(path)
    problems = [p for p in [compare(f"{tag}/probs", got, want, 1e-4, 1e-5)] if p]
    if not problems and np.max(np.abs(got.sum(axis=1) - 1.0)) > 1e-4:
        problems.append(f"{tag}: probabilities sum to {got.sum(axis=1)}")
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--strix", required=True, help="the strix CLI binary")
    ap.add_argument("--cases", required=True, help="directory written by generate_cases.py")
    ap.add_argument("--demo-script", help="scripts/make_demo_model.py: also check its model")
    args = ap.parse_args()
    cases = sorted(d for d in os.listdir(args.cases)
                   if os.path.exists(os.path.join(args.cases, d, "case.json")))
    models = []
    for d in cases:
        with open(os.path.join(args.cases, d, "case.json")) as f:
            if json.load(f).get("kind") == "model":
                models.append(os.path.join(args.cases, d))
    if not models:
        print(f"check_strix_run.py: no model cases in {args.cases}", file=sys.stderr)
        return 1
    failures = []
    checked = 0
    with tempfile.TemporaryDirectory(prefix="strix_run_") as tmp:
        for d in models:
            problems = check_case(args.strix, d, tmp)
            checked += 1
            print(f"[{'FAIL' if problems else 'PASS'}] {os.path.basename(d)}")
            failures += problems
        if args.demo_script:
            for dynamic in (False, True):
                problems = check_demo(args.strix, args.demo_script, tmp, dynamic)
                checked += 1
                print(f"[{'FAIL' if problems else 'PASS'}] demo classifier"
                      f"{' (--batch-dynamic, --batch 3)' if dynamic else ''}")
                failures += problems
    for f in failures:
        print("  " + f)
    print(f"strix run vs numpy: {checked} models, {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
