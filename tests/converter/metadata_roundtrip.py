#!/usr/bin/python3
"""Metadata round trip, part 1: `strixc convert` with labels, mean/std, colour order and
resize mode, then `strixc inspect --json` must give them back (plus provenance: source file,
its sha256, producer). Writes OUT_DIR/model.strix for part 2, converter_metadata_test (C++),
which checks the same values through strix::Model::metadata().

Usage: metadata_roundtrip.py --strixc PATH --onnx MODEL.onnx --out OUT_DIR
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

LABELS = ["cat", "dog", "tree frog", "ünïcode label"]
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--strixc", required=True)
    ap.add_argument("--onnx", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    labels = os.path.join(args.out, "labels.txt")
    with open(labels, "w", encoding="utf-8") as f:
        f.write("\n".join(LABELS) + "\n")
    model = os.path.join(args.out, "model.strix")
    cmd = [args.strixc, "convert", args.onnx, "-o", model, "--task", "classify", "--labels", labels,
           "--mean", ",".join(map(str, MEAN)), "--std", ",".join(map(str, STD)), "--color", "bgr",
           "--resize", "letterbox", "--description", "metadata round trip"]
    subprocess.run(cmd, check=True)
    out = subprocess.run([args.strixc, "inspect", model, "--json"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    j = json.loads(out)
    meta = j["metadata"]
    failures = []
    checked = []

    def expect(what, got, want):
        checked.append(what)
        ok = got == want if not isinstance(want, list) or not want or not isinstance(want[0], float) \
            else len(got) == len(want) and all(abs(a - b) < 1e-6 for a, b in zip(got, want))
        print(("PASS " if ok else "FAIL ") + f"{what}: {got!r}" + ("" if ok else f" (expected {want!r})"))
        if not ok:
            failures.append(what)

    expect("task", meta["task"], "classify")
    expect("labels", meta["labels"], LABELS)
    contract = meta["inputs"][0] if meta["inputs"] else {}
    expect("mean", contract.get("mean"), MEAN)
    expect("std", contract.get("std"), STD)
    expect("color", contract.get("color"), "bgr")
    expect("resize", contract.get("resize"), "letterbox")
    expect("width x height", (contract.get("width"), contract.get("height")), (11, 13))
    expect("description", j["description"], "metadata round trip")
    expect("producer", meta["producer"], "strixc")
    prov = meta["provenance"]
    expect("source_file", prov["source_file"], os.path.basename(args.onnx))
    expect("source_sha256", prov["source_sha256"], hashlib.sha256(open(args.onnx, "rb").read()).hexdigest())
    expect("source_format", prov["source_format"], "onnx")
    expect("created_utc set", len(prov["created_utc"]) == 20 and prov["created_utc"].endswith("Z"), True)
    expect("nodes have source names", all(n["source_nodes"] for n in j["nodes"]), True)
    expect("arena reported", j["activation_memory"].get("arena_bytes", 0) > 0, True)
    # Each node names the backend that runs it (EngineReport NodeReport::backend).
    expect("node backends", sorted({n.get("backend", "") for n in j["nodes"]} - {"cpu", "cpu-ref"}),
           [])
    expect("every node has a backend", all(n.get("backend") for n in j["nodes"]), True)
    print(f"{len(checked) - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
