#!/usr/bin/env bash
# Installs the dependencies (Debian 12 packages; apt-get as root, or through sudo) and builds the
# one target the main job needs, build/bulwark (Release). scripts/test.sh builds everything else.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
echo "build: configuring (build/, Release)"
cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${BULWARK_CMAKE_ARGS:-} >/dev/null
echo "build: compiling bulwark on $(nproc) cores (one progress line per step)"
cmake --build build --target bulwark -j"$(nproc)"
echo "build: $(pwd)/build/bulwark"
