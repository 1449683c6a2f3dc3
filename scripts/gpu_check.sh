#!/usr/bin/env bash
# scripts/gpu_check.sh — on the GPU test machine (../shared/GPU.md): builds the runtime with
# the CUDA backend (converter, GStreamer, training off), runs the CUDA tests, then the
# benchmarks and the PyTorch baseline in the same run. Everything lands in $OUT:
#   card.txt build.log tests.log bench.jsonl preprocess_bench.txt torch.jsonl summary.txt
# FlatBuffers, CLI11 and nlohmann/json come as Debian packages in .deps/ (git-ignored, carried
# with the call; see GPU.md), fetched once on the host with
#   mkdir -p .deps && cd .deps && apt-get download libflatbuffers-dev flatbuffers-compiler \
#     libflatbuffers2 libcli11-dev nlohmann-json3-dev Environment: STEPS="build test bench torch" (default all), TORCH_COMPILE=1 adds
# torch.compile to the baseline, BENCH_QUICK=1 runs batch 1 and 256 of resnet50 only,
# BENCH_INT8_ONLY=1 the INT8 rows and INT8 per-node profiles only,
# INT8_MODELS=DIR (default build/gpu_models, carried with the call) holds INT8 models made on
# the host (`strixc convert M.onnx --precision int8 --calib-data ...`, e.g. the *.int8.strix
# files of `tests/bench/bench_vs_ort.py --int8`): the INT8 tests compare them with the CPU and
# the benches add int8 rows,
# PROFILE=0 skips the per-node profiles, LEGACY=1 adds benches with cuDNN's legacy API only
# (STRIX_CUDNN_LEGACY=1). STRIX_CUDA_TUNING_CACHE (set below) keeps the engine choices.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-/tmp/strix_gpu_out}
STEPS=${STEPS:-"build test bench torch"}
mkdir -p "$OUT"
DEPS=/tmp/strix_deps
mkdir -p $DEPS
for f in "$ROOT"/.deps/*.deb; do dpkg -x "$f" $DEPS; done
export PATH=$DEPS/usr/bin:$PATH
export LD_LIBRARY_PATH=$DEPS/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
BUILD=$ROOT/build/gpu
STRIX=$BUILD/sdk/tools/strix
MODELS=/tmp/strix_models
has() { [[ " $STEPS " == *" $1 "* ]]; }

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$OUT/card.txt"

if has build; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSTRIX_WITH_CUDA=ON \
    -DSTRIX_WITH_CONVERTER=OFF -DSTRIX_WITH_GSTREAMER=OFF -DSTRIX_WITH_TRAINING=OFF \
    -DSTRIX_BUILD_SAMPLES=OFF -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_PREFIX_PATH=$DEPS/usr \
    > "$OUT/build.log" 2>&1 || { tail -40 "$OUT/build.log"; exit 1; }
  ninja -C "$BUILD" -j16 strix_cli cuda_kernels_test cuda_engine_test cuda_preprocess_test \
    cuda_int8_test cuda_int8_math_test cuda_tuning_cache_test preprocess_bench make_bench_models \
    >> "$OUT/build.log" 2>&1 || { grep -B2 -A8 "error" "$OUT/build.log" | head -80; exit 1; }
  echo "build ok"
fi

INT8_MODELS=${INT8_MODELS:-$ROOT/build/gpu_models}
int8_models=""
int8io_models=""  # the same with --int8-io: i8 input and output (1 byte per pixel to copy)
for m in resnet50 mobilenet_v2 resnet18; do
  [ -f "$INT8_MODELS/$m.int8.strix" ] && int8_models="$int8_models $INT8_MODELS/$m.int8.strix"
  [ -f "$INT8_MODELS/$m.int8io.strix" ] && int8io_models="$int8io_models $INT8_MODELS/$m.int8io.strix"
done

if has test; then
  : > "$OUT/tests.log"
  export STRIX_TEST_INT8_MODELS="$int8_models $int8io_models"
  for t in cuda_int8_math_test cuda_tuning_cache_test cuda_int8_test cuda_kernels_test \
    cuda_engine_test cuda_preprocess_test; do
    timeout 300 "$BUILD/tests/cuda/$t" 2>&1 | tee -a "$OUT/tests.log" | grep -E "^\[ *(OK|FAILED|SKIPPED|PASSED) *\]|Failure|error|seed|Expected|Which is" | head -60
  done
fi

bench() {  # tag model batch extra-args...
  local tag=$1 model=$2 batch=$3
  shift 3
  local it=200
  [ "$batch" -ge 64 ] && it=40
  timeout 240 "$STRIX" bench "$MODELS/$model.strix" --device cuda --batch "$batch" --warmup 10 \
    --iterations $it --json "$@" 2> "$OUT/bench_err.txt" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); d["tag"]=sys.argv[1]; d["model_name"]=sys.argv[2]; print(json.dumps(d))' "$tag" "$model" >> "$OUT/bench.jsonl" ||
    { echo "bench $tag $model b$batch failed:"; cat "$OUT/bench_err.txt"; }
}

# INT8 models with i8 input (--int8-io), batch 1 and 256, and 256 on 2 Contexts (one's copies
# overlap the other's kernels).
int8io_benches() {
  for m in $int8io_models; do
    name=$(basename "$m" .int8io.strix)
    cp "$m" "$MODELS/${name}_int8io.strix"
    for b in 1 256; do bench int8io ${name}_int8io $b; done
    bench int8io_ctx2 ${name}_int8io 256 --contexts 2
    [ "$name" = resnet50 ] && bench int8io_profile resnet50_int8io 256 --profile 80
  done
}

if has bench; then
  # Engine builds time the cuDNN engines once per shape and remember the choice here; the
  # first bench of a model pays for the measurements, later ones read the file.
  export STRIX_CUDA_TUNING_CACHE=/tmp/strix_tuning_cache.txt
  mkdir -p $MODELS
  "$BUILD/tests/tools/make_bench_models" $MODELS --f16 && "$BUILD/tests/tools/make_bench_models" $MODELS || exit 1
  : > "$OUT/bench.jsonl"
  # 1080p NV12 -> 224x224 input: CPU Preprocessor vs run_batch on the GPU (ms per batch).
  timeout 120 "$BUILD/tests/bench/preprocess_bench" --iters 200 > "$OUT/preprocess_bench.txt" 2>&1
  timeout 120 "$BUILD/tests/bench/preprocess_bench" --iters 50 --batch 8 >> "$OUT/preprocess_bench.txt" 2>&1
  if [ "${BENCH_QUICK:-0}" = 1 ]; then
    for b in 1 256; do bench fp16 resnet50_f16 $b; done
  elif [ "${BENCH_INT8_ONLY:-0}" = 1 ]; then  # the INT8 rows and the INT8 profile only
    for m in $int8_models; do
      name=$(basename "$m" .int8.strix)
      cp "$m" "$MODELS/${name}_int8.strix"
      for b in 1 256; do bench int8 ${name}_int8 $b; done
    done
    [ -f "$MODELS/resnet50_int8.strix" ] && bench int8_profile resnet50_int8 256 --profile 80
    [ -f "$MODELS/mobilenet_v2_int8.strix" ] && bench int8_profile mobilenet_v2_int8 256 --profile 20
    int8io_benches
  else
    for m in resnet50 mobilenet_v2 resnet18; do
      for b in 1 256; do bench fp16 ${m}_f16 $b; done
    done
    if [ "${LEGACY:-0}" = 1 ]; then  # the same f16 models through cuDNN's legacy API only
      STRIX_CUDNN_LEGACY=1 bench fp16_legacy resnet50_f16 1
      STRIX_CUDNN_LEGACY=1 bench fp16_legacy mobilenet_v2_f16 1
      STRIX_CUDNN_LEGACY=1 bench fp16_legacy resnet50_f16 256
    fi
    for m in $int8_models; do  # INT8 (the same int8 graph the CPU runs, bytes equal)
      name=$(basename "$m" .int8.strix)
      cp "$m" "$MODELS/${name}_int8.strix"
      for b in 1 256; do bench int8 ${name}_int8 $b; done
    done
    [ -n "$int8_models" ] && bench int8_ctx4 resnet50_int8 64 --contexts 4
    int8io_benches
    bench fp16_nograph resnet50_f16 1 --no-cuda-graph
    bench fp16_nograph mobilenet_v2_f16 1 --no-cuda-graph
    for b in 1 256; do bench fp32 resnet50 $b; done
    bench fp16_ctx1 resnet50_f16 32
    bench fp16_ctx8 resnet50_f16 32 --contexts 8
    bench fp16_b1_ctx8 resnet50_f16 1 --contexts 8
    if [ "${PROFILE:-1}" = 1 ]; then  # per-node device time (no CUDA graph)
      bench fp16_profile resnet50_f16 1 --profile 12
      bench fp16_profile resnet50_f16 256 --profile 12
      bench fp16_profile mobilenet_v2_f16 1 --profile 12
      [ -n "$int8_models" ] && bench int8_profile resnet50_int8 256 --profile 16
    fi
  fi
fi

if has torch; then
  extra=""
  [ "${TORCH_COMPILE:-0}" = 1 ] && extra="--compile"
  timeout 400 python3 "$ROOT/scripts/torch_baseline.py" --batches 1 256 --iterations 50 $extra \
    > "$OUT/torch.jsonl" 2> "$OUT/torch_err.txt" || tail -5 "$OUT/torch_err.txt"
fi

python3 "$ROOT/scripts/gpu_summary.py" "$OUT/bench.jsonl" "$OUT/torch.jsonl" | tee "$OUT/summary.txt"
