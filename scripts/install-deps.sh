#!/usr/bin/env bash
# Installs the Debian packages that building and testing Strix need. Idempotent; prints
# nothing when everything is already there. Usage: scripts/install-deps.sh [--dev]
#   --dev also installs the tools CI uses (clang-format).
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config ccache
  libflatbuffers-dev flatbuffers-compiler python3-flatbuffers
  libgtest-dev libgmock-dev
  libcli11-dev nlohmann-json3-dev
  python3-numpy python3-torch
)
if [[ "${1:-}" == "--dev" ]]; then
  packages+=(clang-format)
fi

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
