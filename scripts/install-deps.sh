#!/usr/bin/env bash
# Installs the Debian packages that building and testing Strix need. Idempotent; prints
# nothing when everything is already there. Usage: scripts/install-deps.sh [--dev] [--cross]
#   --dev also installs the tools CI uses (clang-format).
#   --cross also installs the aarch64 cross compiler and qemu (scripts/cross-test.sh).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache
  libflatbuffers-dev flatbuffers-compiler python3-flatbuffers
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev
  python3-numpy python3-torch
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx libssl-dev python3-venv
  python3-torchvision
  libpng-dev libjpeg-dev zlib1g-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  dataset-fashion-mnist
)
for arg in "$@"; do
  case "$arg" in
    --dev) packages+=(clang-format) ;;
    --cross) packages+=(g++-aarch64-linux-gnu qemu-user) ;;
    *) echo "usage: scripts/install-deps.sh [--dev] [--cross]" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
