#!/usr/bin/env bash
# Installs every build and test dependency of bulwark from Debian 12's packages.
# Idempotent; safe to run again. Runs apt-get as root: directly when root, else through sudo.
set -euo pipefail
. "$(dirname "$0")/lib-sudo.sh"
export DEBIAN_FRONTEND=noninteractive

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config clang-format ccache
  libfmt-dev libcli11-dev nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev
  libarchive-dev libisal-dev libzstd-dev zlib1g-dev libssl-dev libcurl4-openssl-dev
  libsqlite3-dev libre2-dev libgtest-dev libgmock-dev libbenchmark-dev libxml2-dev
  libbpf-dev bpftool clang llvm libclang-rt-14-dev
  libboost-dev libpq-dev libvectorscan-dev libsodium-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
)
TEST_PKGS=(
  docker.io docker-registry skopeo debootstrap apache2-utils
  dpkg-dev sqlite3 zstd curl ca-certificates jq python3 iproute2 procps time util-linux
  python3-packaging python3-rpm ruby
  libcommons-lang3-java golang-go
  lynis
  postgresql containerd chromium fonts-dejavu-core wrk
)

missing=()
for p in "${BUILD_PKGS[@]}" "${TEST_PKGS[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Node.js and npm (for the CycloneDX schema check): the machine's own, else Debian's.
if ! command -v npm >/dev/null 2>&1; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
echo "install-deps: all dependencies present"
