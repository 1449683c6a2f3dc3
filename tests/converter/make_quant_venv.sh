#!/usr/bin/env bash
# Creates DIR/venv-quant for the QDQ tests: Debian's python3 with its system packages, plus
# from PyPI ONNX Runtime, a current onnx and ml_dtypes (onnxruntime.quantization's
# quantize_static needs onnx >= 1.13, newer than Debian's). Kept apart from DIR/venv so the
# other converter tests keep Debian's onnx. Debian's numpy stays (pinned). Cached: does
# nothing when the venv already imports onnxruntime.quantization.
# Usage: tests/converter/make_quant_venv.sh BUILD_DIR. Exits non-zero with a clear message
# when pip cannot install them (no silent skip).
set -euo pipefail
build="${1:?usage: make_quant_venv.sh BUILD_DIR}"
venv="$build/venv-quant"
if [[ -x "$venv/bin/python" ]] &&
   "$venv/bin/python" -c "import onnxruntime.quantization" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
numpy_version="$(/usr/bin/python3 -c 'import numpy; print(numpy.__version__)')"
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check onnxruntime "onnx>=1.17" \
    ml_dtypes "numpy==$numpy_version"; then
  echo "make_quant_venv.sh: error: 'pip install onnxruntime onnx ml_dtypes' failed; the QDQ" \
       "tests make their models with onnxruntime.quantization and cannot run without it" >&2
  exit 1
fi
"$venv/bin/python" -c "import onnxruntime, onnx, numpy, onnxruntime.quantization; print('make_quant_venv.sh: onnxruntime', onnxruntime.__version__, 'onnx', onnx.__version__, 'numpy', numpy.__version__)"
