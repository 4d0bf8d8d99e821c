#!/usr/bin/env bash
# Go binaries: the build information of real executables, against `go version -m`.
#  - a module-mode program with two vendored dependencies, one replaced (=>), built here
#    by the Go toolchain (offline: GOPROXY=off, -mod=vendor);
#  - the Debian-built Go binaries on this machine (skopeo, runc, containerd: GOPATH builds,
#    so only the standard library);
#  - the same program inside an image made by `docker import`: its packages carry that layer.
. "$(dirname "$0")/lib.sh"
e2e_init sbom_gobinary
e2e_require_cmd go
e2e_require_cmd jq

SRC="$W/src"
mkdir -p "$SRC/vendor/example.com/lib" "$SRC/vendor/golang.org/x/fake"
cat >"$SRC/go.mod" <<'GO'
module example.com/app

go 1.19

require (
	example.com/lib v1.2.3
	golang.org/x/fake v0.3.0
)

replace golang.org/x/fake => example.com/fork v0.4.0
GO
cat >"$SRC/vendor/modules.txt" <<'GO'
# example.com/lib v1.2.3
## explicit
example.com/lib
# golang.org/x/fake v0.3.0 => example.com/fork v0.4.0
## explicit
golang.org/x/fake
# golang.org/x/fake => example.com/fork v0.4.0
GO
printf 'package lib\nfunc Hello() string { return "hello" }\n' >"$SRC/vendor/example.com/lib/lib.go"
printf 'package fake\nfunc Name() string { return "fake" }\n' >"$SRC/vendor/golang.org/x/fake/fake.go"
printf 'package main\nimport ("fmt"; "example.com/lib"; "golang.org/x/fake")\nfunc main() { fmt.Println(lib.Hello(), fake.Name()) }\n' >"$SRC/main.go"
ROOT="$W/rootfs"
mkdir -p "$ROOT/app" "$ROOT/usr/bin"
(cd "$SRC" && GOFLAGS=-mod=vendor GOPROXY=off GOCACHE="$W/gocache" go build -o "$ROOT/app/server" .) ||
  e2e_fatal "go build failed"
for b in /usr/bin/skopeo /usr/sbin/runc /usr/bin/containerd; do [ -x "$b" ] && cp "$b" "$ROOT/usr/bin/"; done
printf '#!/bin/sh\necho not a binary\n' >"$ROOT/usr/bin/script.sh"; chmod +x "$ROOT/usr/bin/script.sh"

# The expected packages, from the Go toolchain's own reader.
expected() {  # BINARY (path inside the rootfs) -> "name@version" lines
  go version -m "$ROOT/$1" | awk -v root="$ROOT/$1" '
    NR == 1 { v = $2; sub(/^go/, "", v); n = split(v, p, "."); if (n == 2) v = v ".0"; print "stdlib@v" v; next }
    $1 == "mod" || $1 == "dep" { if ($3 != "(devel)") { last = $2 "@" $3; lines[++k] = last } ; next }
    $1 == "=>" && $3 != "" { lines[k] = $2 "@" $3 }
    END { for (i = 1; i <= k; i++) print lines[i] }' | sort
}
run_bulwark sbom sbom "dir:$ROOT" --format json --quiet
assert_rc "sbom of the Go rootfs" 0
for bin in app/server $(cd "$ROOT" && ls usr/bin | grep -v script.sh | sed 's|^|usr/bin/|'); do
  expected "$bin" >"$W/expected.$(basename "$bin")"
  jq -r --arg p "$bin" '.targets[0].packages[] | select(.ecosystem=="golang" and .path==$p) | "\(.name)@\(.version)"' \
    "$OUT" | sort >"$W/actual.$(basename "$bin")"
  assert_files_equal "$bin: packages = go version -m" "$W/expected.$(basename "$bin")" "$W/actual.$(basename "$bin")"
done
assert_json "the replaced dependency is reported as its replacement" "$OUT" \
  '[.targets[0].packages[] | select(.name=="example.com/fork" and .version=="v0.4.0" and .purl=="pkg:golang/example.com/fork@v0.4.0")] | length == 1'
assert_json "a shell script is not a Go binary" "$OUT" '[.targets[0].packages[] | select(.path=="usr/bin/script.sh")] | length == 0'

# In an image: the packages carry the diffID of the layer holding the binary.
e2e_require_docker
tar -C "$ROOT" -cf "$W/rootfs.tar" app
docker import "$W/rootfs.tar" bulwark-e2e/gobinary:1 >/dev/null
docker save -o "$W/gobinary.tar" bulwark-e2e/gobinary:1
run_bulwark image sbom "docker-archive:$W/gobinary.tar" --format json --quiet
assert_rc "sbom of the Go image" 0
layer=$(docker image inspect bulwark-e2e/gobinary:1 | jq -r '.[0].RootFS.Layers[0]')
assert_json "image: every Go package is attributed to the layer" "$OUT" \
  "[.targets[0].packages[] | select(.ecosystem==\"golang\") | .layer == \"$layer\"] | (length == 3 and all)"
docker image rm bulwark-e2e/gobinary:1 >/dev/null 2>&1 || true
e2e_finish
