#!/usr/bin/python3
"""Writes the ONNX backend node test cases for the ops Strix claims.

The cases come from the onnx package's own generator (onnx.backend.test.case.node: every
`expect()` call of its op modules), written in the layout of `backend-test-tools
generate-data` (onnx/backend/test/cmd_tools.py):

  OUT/<case>/model.onnx
  OUT/<case>/test_data_set_0/input_<j>.pb, output_<j>.pb

plus OUT/cases.json, one record per case: name, op (the op under test), opset, expanded (the
case is the op's ONNX function body, "<name>_expanded"), the input names and the input and
output element types.

The claimed ops are the op types that have an importer in converter/frontends/onnx/ops_*.cc
(`t["Op"] = {import_x, ...}` entries of the op table, read from the source so the list
follows the converter). Ops that only exist inside folded shape subgraphs (their table entry
has no importer) are not claimed. A case is kept when its op under test is claimed; its model
may still contain ops the converter rejects (function bodies), which the runner counts as
"not supported".

Usage: generate_node_tests.py --out DIR [--source-root REPO] [--ops Op1,Op2]
"""
import argparse
import json
import os
import re
import shutil
import sys

import numpy as np

# onnx 1.12's case modules use the aliases numpy 1.24 removed (np.float in bernoulli.py, ...):
# restore them before the modules are imported. They are the builtins numpy always aliased.
for _alias, _type in (("float", float), ("int", int), ("bool", bool), ("object", object),
                      ("complex", complex), ("str", str)):
    if _alias not in np.__dict__:
        setattr(np, _alias, _type)

import onnx  # noqa: E402
from onnx import numpy_helper  # noqa: E402

FRONTEND_DIR = os.path.join("converter", "frontends", "onnx")


def claimed_ops(source_root):
    """Op types with an importer in the ONNX frontend's op table (ops_*.cc)."""
    ops = set()
    directory = os.path.join(source_root, FRONTEND_DIR)
    for name in sorted(os.listdir(directory)):
        if not (name.startswith("ops_") and name.endswith(".cc")):
            continue
        with open(os.path.join(directory, name), encoding="utf-8") as f:
            text = f.read()
        # t["Relu"] = {import_relu, nullptr};
        for op, fn in re.findall(r't\["(\w+)"\]\s*=\s*\{\s*(\w+)', text):
            if fn != "nullptr":
                ops.add(op)
        # for (const char* op : {"Add", "Sub"}) t[op] = {import_binary, nullptr};
        for names, fn in re.findall(
                r'for\s*\(\s*const\s+char\s*\*\s*\w+\s*:\s*\{([^}]*)\}\s*\)\s*'
                r't\[\w+\]\s*=\s*\{\s*(\w+)', text):
            if fn != "nullptr":
                ops.update(re.findall(r'"(\w+)"', names))
    return ops


def collect_all_cases():
    """Every node test case of the installed onnx, in generation order."""
    # The case modules draw random inputs at import time: fix the seed so that the data
    # (and a failing case) are the same on every run.
    np.random.seed(0)
    import onnx.backend.test.case.node as node_cases
    return node_cases.collect_testcases(None)


def elem_type_name(value_info):
    t = value_info.type
    if not t.HasField("tensor_type"):
        return "non-tensor"
    return onnx.TensorProto.DataType.Name(t.tensor_type.elem_type).lower()


def write_case(case, directory):
    if os.path.exists(directory):
        shutil.rmtree(directory)
    os.makedirs(directory)
    with open(os.path.join(directory, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    graph = case.model.graph
    for i, (inputs, outputs) in enumerate(case.data_sets):
        data_dir = os.path.join(directory, "test_data_set_%d" % i)
        os.makedirs(data_dir)
        for kind, values, infos in (("input", inputs, graph.input),
                                    ("output", outputs, graph.output)):
            for j, value in enumerate(values):
                info = infos[j]
                if info.type.HasField("tensor_type"):
                    proto = numpy_helper.from_array(np.asarray(value), info.name)
                elif info.type.HasField("sequence_type"):
                    proto = numpy_helper.from_list(value, info.name)
                elif info.type.HasField("optional_type"):
                    proto = numpy_helper.from_optional(value, info.name)
                else:
                    proto = numpy_helper.from_dict(value, info.name)
                with open(os.path.join(data_dir, "%s_%d.pb" % (kind, j)), "wb") as f:
                    f.write(proto.SerializeToString())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True, help="directory for the cases (recreated)")
    parser.add_argument("--source-root",
                        default=os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))),
                        help="the Strix checkout (default: this script's)")
    parser.add_argument("--ops", default="",
                        help="comma-separated op types instead of the converter's table")
    args = parser.parse_args()

    ops = set(filter(None, args.ops.split(","))) or claimed_ops(args.source_root)
    if not ops:
        sys.exit("generate_node_tests: no op found in %s/ops_*.cc" %
                 os.path.join(args.source_root, FRONTEND_DIR))

    cases = collect_all_cases()
    # The op under test: the single node of a plain case; an "_expanded" case (the op's
    # function body) belongs to the op of the plain case it was made from.
    op_of = {}
    for case in cases:
        if not case.name.endswith("_expanded") and len(case.model.graph.node) >= 1:
            op_of[case.name] = case.model.graph.node[0].op_type

    if os.path.exists(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    records = []
    seen = set()
    for case in cases:
        expanded = case.name.endswith("_expanded")
        op = op_of.get(case.name[:-len("_expanded")] if expanded else case.name)
        if op not in ops:
            continue
        # A few names are generated twice (onnx's own generate-data keeps the last one):
        # keep both, the later as "<name>_2".
        name = case.name
        k = 2
        while name in seen:
            name = "%s_%d" % (case.name, k)
            k += 1
        seen.add(name)
        write_case(case, os.path.join(args.out, name))
        opset = next((o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")),
                     0)
        records.append({
            "name": name,
            "op": op,
            "opset": opset,
            "expanded": expanded,
            "node_ops": sorted({n.op_type for n in case.model.graph.node}),
            "inputs": [elem_type_name(v) for v in case.model.graph.input],
            "input_names": [v.name for v in case.model.graph.input],
            "outputs": [elem_type_name(v) for v in case.model.graph.output],
            "rtol": case.rtol,
            "atol": case.atol,
        })
    manifest = {
        "onnx_version": onnx.__version__,
        "claimed_ops": sorted(ops),
        "ops_without_cases": sorted(ops - {r["op"] for r in records}),
        "cases": records,
    }
    with open(os.path.join(args.out, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print("generate_node_tests: %d cases for %d claimed ops (onnx %s) in %s" %
          (len(records), len(ops), onnx.__version__, args.out))
    if manifest["ops_without_cases"]:
        print("generate_node_tests: claimed ops without a node test: " +
              ", ".join(manifest["ops_without_cases"]))


if __name__ == "__main__":
    main()
