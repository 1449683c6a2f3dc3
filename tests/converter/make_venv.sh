#!/usr/bin/env bash
# Creates DIR/venv (Debian's python3 with its system packages: numpy, onnx, torch) and
# installs ONNX Runtime from PyPI into it. Cached: does nothing when the venv already has
# onnxruntime. Usage: tests/converter/make_venv.sh BUILD_DIR
# Exits non-zero with a clear message when pip cannot install it (no silent skip).
set -euo pipefail
build="${1:?usage: make_venv.sh BUILD_DIR}"
venv="$build/venv"
if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c "import onnxruntime" 2>/dev/null; then
  exit 0
fi
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check onnxruntime; then
  echo "make_venv.sh: error: 'pip install onnxruntime' failed; the converter tests compare" \
       "with ONNX Runtime and cannot run without it" >&2
  exit 1
fi
"$venv/bin/python" -c "import onnxruntime, numpy; print('make_venv.sh: onnxruntime', onnxruntime.__version__, 'numpy', numpy.__version__)"
