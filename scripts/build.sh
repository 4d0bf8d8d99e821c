#!/usr/bin/env bash
# Installs the dependencies (Debian 12 packages) and builds build/bulwark (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${BULWARK_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
echo "build: $(pwd)/build/bulwark"
