#!/usr/bin/python3
"""Runs the ONNX backend node test cases through `strixc convert` and `strix run`.

For every case written by generate_node_tests.py and every precision (fp32, fp16):
  1. `strixc convert model.onnx -o model.strix --precision P`. A conversion that fails with
     the status code "unsupported" (an op, attribute or dtype the converter rejects) makes the
     case "skipped", listed with the converter's reason; any other conversion error is a
     failure. Two rewrites, recorded per case, are tried first:
       - an operand the converter needs at conversion time ("(input N 'name') must be
         constant / known at conversion time": weights, axes, pads, scales) is a graph input
         in every node test: it is baked into the model as an initializer holding the test
         data ("const_inputs");
       - an op older than Strix's first opset (the generator stamps Softplus with opset 1)
         is stamped with that first opset when every node's schema is the same there
         ("restamped_opset").
  2. The input_<j>.pb tensors become .npy files of the dtype the .strix model declares
     (`strixc inspect --json`): float to f32/f16, integers to i32/i8/u8 when every value
     fits. Any other pairing (int64 values outside int32, a float tensor for an integer
     input, ...) skips the case as a test-data dtype limit.
  3. `strix run model.strix --input NAME=FILE.npy ... --output-dir DIR` (default backend
     order of the CPU device), then each output is compared, by position as in ONNX's own
     runner, with output_<j>.pb:
       fp32: |got - want| <= atol + rtol * |want|, rtol=1e-3, atol=1e-7 (the ONNX backend
             test runner's defaults, from the TestCase records);
       fp16: rtol=1e-2, atol=1e-3 (inputs, weights and every intermediate are rounded to
             half precision, unit roundoff 4.9e-4).
     NaN matches NaN, an infinity must match exactly, shapes must match exactly, integer
     outputs are compared by value. A .strix output named differently from the ONNX output
     is noted, not failed.

Prints per op "passed/total" for each precision, then the closing line
"N passed, M failed, K skipped" (over both precisions) and writes --results JSON (read by
make_operators_md.py).

Exit status: without --baseline, 1 when any supported case fails. With --baseline FILE
(lines "fp32 N" / "fp16 N"), 1 only when a precision passes fewer cases than its committed
baseline (a regression); more passes print a reminder to raise the baseline.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import OrderedDict

import numpy as np
import onnx
from onnx import numpy_helper

PRECISIONS = ("fp32", "fp16")
TOLERANCE = {"fp16": (1e-2, 1e-3)}  # (rtol, atol); fp32 uses the case's own (1e-3, 1e-7)
TIMEOUT_S = 60

STRIX_DTYPES = {"f32": np.float32, "f16": np.float16, "i8": np.int8, "u8": np.uint8,
                "i32": np.int32}
# "weights (input 1) must be constant", "axes (input 1 'axes') must be known at conversion
# time": the converter needs that operand at conversion time.
OPSET_RANGE_RE = re.compile(r"uses opset (\d+); Strix imports opsets (\d+) to (\d+)")
CONSTANT_INPUT_RE = re.compile(
    r"\(input (\d+)(?: '([^']*)')?\) must be (?:constant|known at conversion time)")


class CaseResult:
    def __init__(self, status, category="", message="", **extra):
        self.record = dict(status=status, category=category, message=message, **extra)


def run(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return -1000, "", "timed out after %d s" % TIMEOUT_S
    return p.returncode, p.stdout, p.stderr


def describe_rc(rc, stderr):
    if rc == -1000:
        return "timed out after %d s" % TIMEOUT_S
    if rc < 0:
        return "crashed (signal %d): %s" % (-rc, last_lines(stderr))
    return last_lines(stderr)


def last_lines(text, n=4):
    lines = [l for l in text.strip().splitlines() if l.strip()]
    return " | ".join(lines[-n:])


def load_tensor(path):
    proto = onnx.TensorProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return numpy_helper.to_array(proto)


def bake_inputs(model, names, data):
    """A copy of `model` where the graph inputs `names` are initializers holding `data`."""
    baked = onnx.ModelProto()
    baked.CopyFrom(model)
    keep = [v for v in baked.graph.input if v.name not in names]
    del baked.graph.input[:]
    baked.graph.input.extend(keep)
    for name in names:
        baked.graph.initializer.append(numpy_helper.from_array(data[name], name))
    return baked


def restamp_opset(model, opset):
    """`model` stamped with `opset` when every node's op has the same schema there as in the
    model's own opset (an op older than Strix's first opset, unchanged since); else None."""
    domain_opsets = [o for o in model.opset_import if o.domain in ("", "ai.onnx")]
    if len(domain_opsets) != 1:
        return None
    old = domain_opsets[0].version
    for node in model.graph.node:
        try:
            a = onnx.defs.get_schema(node.op_type, old, node.domain)
            b = onnx.defs.get_schema(node.op_type, opset, node.domain)
        except onnx.defs.SchemaError:
            return None
        if a.since_version != b.since_version:
            return None
    restamped = onnx.ModelProto()
    restamped.CopyFrom(model)
    for o in restamped.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = opset
    return restamped


def to_strix_dtype(array, dtype_name):
    """`array` as the .strix input dtype, or (None, reason) when the values do not carry over."""
    want = STRIX_DTYPES.get(dtype_name)
    if want is None:
        return None, "the model input has dtype %s" % dtype_name
    kind = array.dtype.kind
    if np.issubdtype(want, np.floating):
        if kind == "f":
            return array.astype(want), ""
        return None, "a %s input cannot be fed as %s" % (array.dtype, dtype_name)
    if kind == "b":
        return array.astype(want), ""
    if kind in "iu":
        info = np.iinfo(want)
        if array.size and (array.min() < info.min or array.max() > info.max):
            return None, "%s values outside the %s range" % (array.dtype, dtype_name)
        return array.astype(want), ""
    return None, "a %s input cannot be fed as %s" % (array.dtype, dtype_name)


def compare(got, want, rtol, atol):
    """'' when `got` matches `want`, else what differs."""
    if tuple(got.shape) != tuple(want.shape):
        return "shape %s, expected %s" % (list(got.shape), list(want.shape))
    if want.dtype.kind in "biu":
        bad = got.astype(np.int64) != want.astype(np.int64)
        if bad.any():
            return "%d of %d values differ" % (int(bad.sum()), want.size)
        return ""
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    with np.errstate(invalid="ignore"):
        close = np.abs(g - w) <= atol + rtol * np.abs(w)
    # An infinite expected value needs the same infinity; NaN matches NaN.
    ok = np.where(np.isinf(w), g == w, close) | (np.isnan(g) & np.isnan(w))
    if ok.all():
        return ""
    bad = np.flatnonzero(~ok)
    i = bad[0]
    with np.errstate(invalid="ignore"):
        err = np.abs(g - w)[~ok]
    worst = float(np.nanmax(err)) if (~np.isnan(err)).any() else float("nan")
    return ("%d of %d values outside rtol=%g atol=%g (first at flat index %d: got %r, "
            "expected %r; max abs error %.3g)" %
            (len(bad), want.size, rtol, atol, i, g.flat[i], w.flat[i], worst))


def run_precision(case, precision, work, strixc, strix, model, inputs, expected):
    """One case at one precision -> CaseResult. `expected` holds the outputs in graph order."""
    output_names = [v.name for v in model.graph.output]
    os.makedirs(work, exist_ok=True)
    strix_path = os.path.join(work, "model.strix")
    onnx_path = case["model_path"]
    const_inputs = []
    restamped = 0
    single_node = len(model.graph.node) == 1
    graph_inputs = [v.name for v in model.graph.input]

    def rewrite():
        """Writes the model with the operands in const_inputs baked in and the restamped
        opset; returns its path."""
        m = bake_inputs(model, const_inputs, inputs)
        if restamped:
            m = restamp_opset(m, restamped)
        path = os.path.join(work, "model_rewritten.onnx")
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        return path

    def result(status, category="", message="", **extra):
        return CaseResult(status, category, message, const_inputs=const_inputs,
                          restamped_opset=restamped, **extra)

    while True:
        rc, out, err = run([strixc, "convert", onnx_path, "-o", strix_path, "--precision",
                            precision, "-q"])
        if rc == 0:
            break
        message = describe_rc(rc, err)
        if rc > 0 and "error: unsupported:" in err:
            # An op older than Strix's first opset: the same op at that opset, when its
            # schema did not change in between.
            m = OPSET_RANGE_RE.search(err)
            if m and not restamped and int(m.group(1)) < int(m.group(2)) and \
                    restamp_opset(model, int(m.group(2))) is not None:
                restamped = int(m.group(2))
                onnx_path = rewrite()
                continue
            # An operand the converter needs constant: bake it in and retry (single-node
            # cases only, where the node's input index names the graph input).
            m = CONSTANT_INPUT_RE.search(err)
            name = m.group(2) if m else None
            if m and not name and single_node:
                node_inputs = list(model.graph.node[0].input)
                index = int(m.group(1))
                name = node_inputs[index] if index < len(node_inputs) else None
            if name in graph_inputs and name not in const_inputs:
                const_inputs.append(name)
                onnx_path = rewrite()
                continue
            reason = err.split("error: unsupported:", 1)[1].strip()
            return result("skip", "unsupported", " ".join(reason.split()))
        return result("fail", "convert", message)

    rc, out, err = run([strixc, "inspect", "--json", strix_path])
    if rc != 0:
        return result("fail", "inspect", describe_rc(rc, err))
    info = json.loads(out)
    # "backend: kernel" of each node ("cpu: binary_f32_avx512", "cpu-ref: cast_f32_to_f16").
    kernels = sorted({"%s: %s" % (n["backend"], n["kernel"]) if n.get("backend") else
                      n.get("kernel", "") for n in info["nodes"]} - {""})
    engine_error = info.get("activation_memory", {}).get("engine_error", "")

    cmd = [strix, "run", strix_path, "--output-dir", os.path.join(work, "out")]
    for spec in info["inputs"]:
        name = spec["name"]
        if name not in inputs:
            return result("fail", "convert",
                          "the .strix model has an input '%s' that the ONNX model lacks" % name)
        array, why = to_strix_dtype(inputs[name], spec["dtype"])
        if array is None:
            return result("skip", "input dtype", "input '%s': %s" % (name, why))
        path = os.path.join(work, "in_%d.npy" % len(cmd))
        np.save(path, array)
        cmd += ["--input", "%s=%s" % (name, path)]
    shutil.rmtree(os.path.join(work, "out"), ignore_errors=True)
    rc, out, err = run(cmd)
    if rc != 0:
        message = describe_rc(rc, err)
        if engine_error and engine_error not in message:
            message += " [engine: %s]" % engine_error
        return result("fail", "run", message, kernels=kernels)
    # "output 'NAME': [shape] dtype -> DIR/NAME.npy", in the model's output order. Outputs are
    # matched by position, as the ONNX backend test runner does; a .strix output whose name is
    # not the ONNX output's is noted (a converter naming problem, not a wrong value).
    written = re.findall(r"^output '(.*)': .* -> (\S+\.npy)\s*$", out, re.M)
    if len(written) != len(expected):
        return result("fail", "outputs", "%d outputs, expected %d" % (len(written), len(expected)),
                      kernels=kernels)
    rtol, atol = TOLERANCE.get(precision, (case["rtol"], case["atol"]))
    problems, notes = [], []
    for j, ((got_name, path), want_name, want) in enumerate(zip(written, output_names, expected)):
        if got_name != want_name:
            notes.append("output %d is named '%s', the ONNX output '%s'" % (j, got_name, want_name))
        problem = compare(np.load(path), want, rtol, atol)
        if problem:
            problems.append("output %d: %s" % (j, problem))
    if problems:
        category = "shape" if all(": shape " in p for p in problems) else "mismatch"
        return result("fail", category, "; ".join(problems + notes), kernels=kernels,
                      notes=notes)
    return result("pass", kernels=kernels, notes=notes)


def run_case(case, cases_dir, work_dir, strixc, strix, precisions):
    case_dir = os.path.join(cases_dir, case["name"])
    case["model_path"] = os.path.join(case_dir, "model.onnx")
    model = onnx.load(case["model_path"])
    data_dir = os.path.join(case_dir, "test_data_set_0")
    inputs, expected = {}, []
    results = {}
    not_tensors = [v.name for v in list(model.graph.input) + list(model.graph.output)
                   if not v.type.HasField("tensor_type")]
    if not_tensors:  # sequences, optionals, maps
        for p in precisions:
            results[p] = CaseResult("skip", "input dtype", "'%s' is a %s, not a tensor" % (
                not_tensors[0], [v for v in list(model.graph.input) + list(model.graph.output)
                                 if v.name == not_tensors[0]][0].type.WhichOneof("value"))).record
        return case["name"], results
    for j, v in enumerate(model.graph.input):
        inputs[v.name] = load_tensor(os.path.join(data_dir, "input_%d.pb" % j))
    for j, _ in enumerate(model.graph.output):
        expected.append(load_tensor(os.path.join(data_dir, "output_%d.pb" % j)))
    for p in precisions:
        started = time.monotonic()
        r = run_precision(case, p, os.path.join(work_dir, case["name"], p), strixc, strix,
                          model, inputs, expected).record
        r["seconds"] = round(time.monotonic() - started, 3)
        results[p] = r
    return case["name"], results


def read_baseline(path):
    baseline = {}
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].split()
            if len(line) == 2 and line[0] in PRECISIONS:
                baseline[line[0]] = int(line[1])
    return baseline


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", required=True, help="directory of generate_node_tests.py")
    parser.add_argument("--strixc", required=True)
    parser.add_argument("--strix", required=True, help="the strix CLI")
    parser.add_argument("--work", help="scratch directory (default: CASES/../node_work)")
    parser.add_argument("--results", help="JSON results file (default: CASES/../results.json)")
    parser.add_argument("--baseline", help="committed pass counts (tests/conformance/baseline.txt)")
    parser.add_argument("--precision", action="append", choices=PRECISIONS,
                        help="only this precision (repeatable; default both)")
    parser.add_argument("--filter", default="", help="regex on case names")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--verbose", action="store_true", help="print every case")
    args = parser.parse_args()

    parent = os.path.dirname(os.path.abspath(args.cases.rstrip("/")))
    work = args.work or os.path.join(parent, "node_work")
    results_path = args.results or os.path.join(parent, "results.json")
    precisions = args.precision or list(PRECISIONS)
    with open(os.path.join(args.cases, "cases.json")) as f:
        manifest = json.load(f)
    cases = [c for c in manifest["cases"] if re.search(args.filter, c["name"])]
    shutil.rmtree(work, ignore_errors=True)

    started = time.monotonic()
    results = {}
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = [pool.submit(run_case, c, args.cases, work, args.strixc, args.strix, precisions)
                   for c in cases]
        for future in concurrent.futures.as_completed(futures):
            name, r = future.result()
            results[name] = r
    elapsed = time.monotonic() - started

    # ---- per op table
    per_op = OrderedDict()
    for c in sorted(cases, key=lambda c: (c["op"], c["name"])):
        per_op.setdefault(c["op"], []).append(c)
    print("%-24s %s" % ("op", "  ".join("%-22s" % ("%s passed/total (skip)" % p)
                                         for p in precisions)))
    for op, op_cases in per_op.items():
        cols = []
        for p in precisions:
            st = [results[c["name"]][p]["status"] for c in op_cases]
            cols.append("%-22s" % ("%d/%d (%d)" % (st.count("pass"), len(st), st.count("skip"))))
        print("%-24s %s" % (op, "  ".join(cols)))

    # ---- failures and skips
    for status, title in (("fail", "FAILED"), ("skip", "not supported (skipped)")):
        listed = [(c["name"], p, results[c["name"]][p]) for c in cases for p in precisions
                  if results[c["name"]][p]["status"] == status]
        if listed:
            print("\n%s (%d):" % (title, len(listed)))
            for name, p, r in sorted(listed):
                print("  %-52s %s [%s] %s" % (name, p, r["category"], r["message"][:400]))
    noted = [(c["name"], p, results[c["name"]][p]["notes"]) for c in cases for p in precisions
             if results[c["name"]][p].get("notes")]
    if noted:
        print("\nnotes (%d):" % len(noted))
        for name, p, notes in sorted(noted):
            print("  %-52s %s %s" % (name, p, "; ".join(notes)))
    if args.verbose:
        print("\nevery case:")
        for c in cases:
            for p in precisions:
                r = results[c["name"]][p]
                print("  %-52s %s %s %s" % (c["name"], p, r["status"], r["message"][:200]))

    totals = {}
    for p in precisions:
        st = [results[c["name"]][p]["status"] for c in cases]
        totals[p] = {"passed": st.count("pass"), "failed": st.count("fail"),
                     "skipped": st.count("skip"), "total": len(st),
                     "const_inputs": sum(1 for c in cases
                                         if results[c["name"]][p]["status"] == "pass"
                                         and results[c["name"]][p].get("const_inputs"))}
    with open(results_path, "w") as f:
        json.dump({"onnx_version": manifest["onnx_version"],
                   "claimed_ops": manifest["claimed_ops"],
                   "ops_without_cases": manifest["ops_without_cases"],
                   "precisions": precisions, "tolerance": {
                       "fp32": "rtol=1e-3 atol=1e-7 (ONNX backend test defaults)",
                       "fp16": "rtol=%g atol=%g" % TOLERANCE["fp16"]},
                   "totals": totals, "seconds": round(elapsed, 1),
                   "cases": [dict(c, results=results[c["name"]]) for c in cases]}, f, indent=1)

    print()
    for p in precisions:
        t = totals[p]
        print("%s: %d passed, %d failed, %d skipped of %d cases (%d passed with constant "
              "operands baked in)" % (p, t["passed"], t["failed"], t["skipped"], t["total"],
                                      t["const_inputs"]))
    print("node tests: %.1f s, %d cases x %d precisions, results in %s" %
          (elapsed, len(cases), len(precisions), results_path))
    passed = sum(t["passed"] for t in totals.values())
    failed = sum(t["failed"] for t in totals.values())
    skipped = sum(t["skipped"] for t in totals.values())
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))

    if not args.baseline:
        return 1 if failed else 0
    baseline = read_baseline(args.baseline)
    rc = 0
    for p in precisions:
        want = baseline.get(p)
        if want is None:
            print("baseline: no '%s N' line in %s" % (p, args.baseline))
            rc = 1
        elif totals[p]["passed"] < want:
            print("baseline: REGRESSION: %s passes %d cases, the baseline is %d (%s)" %
                  (p, totals[p]["passed"], want, args.baseline))
            rc = 1
        elif totals[p]["passed"] > want:
            print("baseline: %s passes %d cases, more than the baseline %d: raise it in %s" %
                  (p, totals[p]["passed"], want, args.baseline))
        else:
            print("baseline: %s passes %d cases, as the baseline" % (p, want))
    return rc


if __name__ == "__main__":
    sys.exit(main())
