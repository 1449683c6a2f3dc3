#!/usr/bin/env bash
# The main job on an embedded default: no camera, no GPU. Installs what it needs, builds
# the runtime and the `strix` CLI, writes a small classifier model (deterministic random
# weights, Fashion-MNIST labels), runs it on a synthetic image with `strix run`, prints the
# top-5 classes, and benchmarks it with `strix bench`.
# Usage: scripts/demo.sh [--iterations N]
set -euo pipefail
cd "$(dirname "$0")/.."

iterations=50
while [[ $# -gt 0 ]]; do
  case "$1" in
    --iterations) iterations="$2"; shift 2 ;;
    *) echo "usage: scripts/demo.sh [--iterations N]" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
cmake --preset default >/dev/null
cmake --build --preset default --target strix_cli cpp_classify strix_schema_gen >/dev/null

build=build/default
work=$build/demo
mkdir -p "$work"
strix=$build/sdk/tools/strix
export PYTHONPATH=$PWD/$build/generated/python

/usr/bin/python3 scripts/make_demo_model.py "$work/demo_classifier.strix"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
# A synthetic 64x64 RGB "camera frame" (a stripe on a gradient), normalized as the model's
# input contract says: ImageNet mean/std on [0, 1] pixels.
y, x = np.mgrid[0:64, 0:64].astype(np.float32)
frame = np.stack([x / 63, y / 63, (np.abs(x - y) < 6).astype(np.float32)])
mean = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
std = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
np.save(f"{work}/frame.npy", ((frame - mean) / std)[None].astype(np.float32))
PY
"$strix" run "$work/demo_classifier.strix" --input "$work/frame.npy" --output-dir "$work/out"
# The C++ API sample prints the top-5 with the labels stored in the model.
$build/samples/cpp_classify "$work/demo_classifier.strix" "$work/frame.npy"
"$strix" bench "$work/demo_classifier.strix" --warmup 5 --iterations "$iterations"
