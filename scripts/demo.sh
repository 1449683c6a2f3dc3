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
cmake --build --preset default --target strix_cli strix_schema_gen >/dev/null

build=build/default
work=$build/demo
mkdir -p "$work"
strix=$build/sdk/tools/strix
export PYTHONPATH=$PWD/$build/generated/python

/usr/bin/python3 scripts/make_demo_model.py "$work/demo_classifier.strix"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
# A synthetic 64x64 RGB "camera frame": a bright diagonal stripe on a gradient, normalized
# the way the model's input contract says (mean 0.5, std 0.25 on [0, 1] pixels).
y, x = np.mgrid[0:64, 0:64].astype(np.float32)
frame = np.stack([x / 63, y / 63, (np.abs(x - y) < 6).astype(np.float32)])
np.save(f"{work}/frame.npy", ((frame - 0.5) / 0.25)[None].astype(np.float32))
PY
"$strix" run "$work/demo_classifier.strix" --input "$work/frame.npy" --output-dir "$work/out"
/usr/bin/python3 - "$work" <<'PY'
import sys, glob, numpy as np
work = sys.argv[1]
labels = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
          "Sneaker", "Bag", "Ankle boot"]
out = np.load(sorted(glob.glob(f"{work}/out/*.npy"))[0]).reshape(-1)
print("top-5:")
for i in np.argsort(-out)[:5]:
    print(f"  {labels[i]:<12} {out[i]:.4f}")
PY
"$strix" bench "$work/demo_classifier.strix" --warmup 5 --iterations "$iterations"
