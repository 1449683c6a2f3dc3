#!/usr/bin/env bash
# The GStreamer main job: a Fashion-MNIST classifier on a camera stream, no camera or GPU
# needed. Installs what it needs, builds strixc and the GStreamer plugin, trains a small
# classifier with PyTorch (once; cached in build/default/camera_demo), converts it with
# strixc, then streams Fashion-MNIST test images as a 30 fps NV12 "camera" through
#   strixclassify -> strixmetapublish (JSON lines) -> strixoverlay -> x264 -> MP4
# and prints frames/s, per-frame latency and accuracy against the known labels.
# Usage: scripts/camera_demo.sh [--frames N] [--epochs N] [--threads N] [--camera /dev/video0]
#                               [--build-dir DIR]
# With --camera the frames come from v4l2src instead (no accuracy: no labels).
# --build-dir uses another CMake build directory (configured if needed) instead of the
# `default` preset's build/default.
set -euo pipefail
cd "$(dirname "$0")/.."

frames=300 epochs=1 threads=2 camera="" build=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --frames) frames="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --camera) camera="$2"; shift 2 ;;
    --build-dir) build="$2"; shift 2 ;;
    *) echo "usage: scripts/camera_demo.sh [--frames N] [--epochs N] [--threads N]" \
            "[--camera DEV] [--build-dir DIR]" >&2
       exit 2 ;;
  esac
done

scripts/install-deps.sh
if [[ -z $build ]]; then
  build=build/default
  cmake --preset default >/dev/null
else
  [[ -f $build/CMakeCache.txt ]] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" --target strixc gststrix >/dev/null

work=$build/camera_demo
mkdir -p "$work"
export GST_PLUGIN_PATH=$PWD/$build/pipeline/plugins
size=224  # frame size: 28x28 test images scaled up 8x (nearest neighbour)

# 1. The classifier: trained once, then reused.
if [[ ! -f $work/fashion_mnist.onnx ]]; then
  echo "== training the classifier (PyTorch, CPU, $epochs epoch(s))"
  /usr/bin/python3 scripts/train_fashion_mnist.py "$work" --epochs "$epochs" --threads "$threads"
fi
# 2. Conversion: the input contract and labels go into the .strix file.
# shellcheck disable=SC2046
$build/converter/strixc convert "$work/fashion_mnist.onnx" -o "$work/fashion_mnist.strix" \
  $(cat "$work/contract.txt") --labels "$work/labels.txt" --description "Fashion-MNIST demo" -q

# 3. The stream.
if [[ -n $camera ]]; then
  source="v4l2src device=$camera num-buffers=$frames ! videoconvert ! videoscale"
  source+=" ! video/x-raw,format=NV12,width=640,height=480"
else
  /usr/bin/python3 - "$work" "$frames" "$size" <<'PY'
import gzip, sys
import numpy as np
work, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def idx(path):
    data = gzip.open(path).read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)
d = "/usr/share/datasets/fashion-mnist"
images, labels = idx(f"{d}/t10k-images-idx3-ubyte.gz"), idx(f"{d}/t10k-labels-idx1-ubyte.gz")
pick = np.arange(n) % len(images)
k = size // 28
frames = images[pick].repeat(k, axis=1).repeat(k, axis=2)  # [n, size, size] GRAY8
frames.tofile(f"{work}/stream.gray")
np.save(f"{work}/stream_labels.npy", labels[pick])
PY
  source="filesrc location=$work/stream.gray blocksize=$((size * size))"
  source+=" ! rawvideoparse width=$size height=$size format=gray8 framerate=30/1"
  source+=" ! videoconvert ! video/x-raw,format=NV12"
fi

# 4. The pipeline.
echo "== gst-launch-1.0 $source ! strixclassify ... ! strixoverlay ! x264enc ! mp4mux"
rm -f "$work/results.jsonl"
start=$(date +%s.%N)
gst-launch-1.0 -q $source \
  ! strixclassify model="$work/fashion_mnist.strix" device=cpu threads="$threads" top-k=3 \
  ! strixmetapublish location="$work/results.jsonl" \
  ! strixoverlay scale=2 ! videoconvert ! x264enc speed-preset=ultrafast tune=zerolatency \
  ! mp4mux ! filesink location="$work/classified.mp4"
end=$(date +%s.%N)

# 5. The figures.
/usr/bin/python3 - "$work" "$start" "$end" "$camera" <<'PY'
import json, os, sys
import numpy as np
work, start, end, camera = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
rows = [json.loads(line) for line in open(f"{work}/results.jsonl")]
lat = np.array([r["latency_ms"] for r in rows if r["inferred"]])
wall = end - start
print(f"frames:   {len(rows)} in {wall:.2f} s wall = {len(rows) / wall:.1f} frames/s "
      "(whole pipeline: parse, convert, classify, overlay, x264, mux)")
print(f"latency:  {lat.mean():.3f} ms mean, {np.percentile(lat, 50):.3f} ms p50, "
      f"{np.percentile(lat, 99):.3f} ms p99 per frame (pre-processing + inference + top-k)")
if not camera:
    labels = np.load(f"{work}/stream_labels.npy")
    top1 = np.array([r["results"][0]["class_id"] if r["results"] else -1 for r in rows])
    correct = int((top1 == labels[:len(top1)]).sum())
    print(f"accuracy: {correct / len(rows):.4f} ({correct}/{len(rows)}) top-1 against the "
          "Fashion-MNIST test labels")
print(f"video:    {work}/classified.mp4 ({os.path.getsize(f'{work}/classified.mp4')} bytes)")
print(f"results:  {work}/results.jsonl")
PY
