#!/usr/bin/env bash
# The test command: installs dependencies, builds everything, starts dockerd and a registry,
# and runs every test (unit and end-to-end) with CTest. The end-to-end suites drive a real Docker
# engine and eBPF, so they run as root: a user with sudo is asked once, here.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "error: the tests need root: run as root, or install sudo" >&2; exit 1; }
  exec sudo --preserve-env=BULWARK_E2E_REQUIRED,BULWARK_CMAKE_ARGS,CI bash "$0" "$@"
fi
bash scripts/install-deps.sh
bash scripts/start-services.sh
cmake -B build -G Ninja -DCMAKE_BUILD_TYPE=Release ${BULWARK_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
