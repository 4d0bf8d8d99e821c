#!/usr/bin/env bash
# The test command: installs dependencies, builds, starts dockerd and a registry,
# and runs every test (unit and end-to-end) with CTest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/start-services.sh
cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${BULWARK_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
