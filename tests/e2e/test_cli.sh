#!/usr/bin/env bash
# The command line itself: help with examples, exit codes 2 (usage) and 3 (bad input, named),
# and `-o FILE` writing the report atomically (a temp file renamed over the target: a failed run
# leaves the old file intact, a good one replaces it whole, no temp files are left behind).
# Needs no Docker: it scans a tiny rootfs written here.
. "$(dirname "$0")/lib.sh"
e2e_init cli
e2e_require_cmd jq

run_bulwark help --help
assert_rc "--help" 0
assert_grep "--help lists the sbom subcommand" "$OUT" 'sbom'
assert_grep "--help has examples" "$OUT" 'example'
assert_grep "--help examples show a transport" "$OUT" 'bulwark sbom (docker-archive|oci|docker://|docker-daemon)'

run_bulwark sbom-help sbom --help
assert_rc "sbom --help" 0
assert_grep "sbom --help names the formats" "$OUT" 'cyclonedx'

run_bulwark unknown frobnicate-the-thing
assert_rc "unknown subcommand" 2
assert_true "unknown subcommand: a message on stderr" test -s "$ERR"
grep -qiE 'frobnicate|unknown|not expected' "$ERR" || echo "   note: the message does not name the unknown subcommand: $(head -1 "$ERR")"

run_bulwark no-target sbom
assert_rc "sbom without TARGET" 2

run_bulwark bad-format sbom "$W" --format no-such-format
assert_rc "sbom --format no-such-format" 2

MISSING="$W/no-such-dir/missing-image-e2e.tar"
run_bulwark missing sbom "$MISSING" --quiet
assert_rc "missing input file" 3
assert_grep "missing input: message names the file" "$ERR" 'missing-image-e2e\.tar'
assert_eq "missing input: nothing on stdout" "" "$(cat "$OUT")"

run_bulwark missing-archive sbom "docker-archive:$MISSING" --quiet
assert_rc "missing docker-archive:" 3
assert_grep "missing docker-archive: message names the file" "$ERR" 'missing-image-e2e\.tar'

# A tiny Debian rootfs: os-release and a dpkg status with two installed packages and one "rc".
R="$W/rootfs"
mkdir -p "$R/etc" "$R/usr/lib" "$R/var/lib/dpkg"
cat >"$R/usr/lib/os-release" <<'EOF'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
EOF
ln -s ../usr/lib/os-release "$R/etc/os-release"
cat >"$R/var/lib/dpkg/status" <<'EOF'
Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12986
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: procps
Status: deinstall ok config-files
Priority: important
Section: admin
Installed-Size: 2389
Maintainer: Craig Small <csmall@debian.org>
Architecture: amd64
Version: 2:4.0.2-3
Conffiles:
 /etc/sysctl.conf 2c3ef4ab3c8b6b3f0d6f4b1e3a0e5d7b
Description: /proc file system utilities

Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib (1:1.2.13.dfsg-1)
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime
EOF
printf 'libc6\t2.36-9+deb12u4\tglibc\t2.36-9+deb12u4\tamd64\nzlib1g\t1:1.2.13.dfsg-1\tzlib\t1:1.2.13.dfsg-1\tamd64\n' >"$W/tiny.expected.tsv"

run_bulwark tiny-json sbom "dir:$R" --format json --quiet
assert_rc "sbom dir: (tiny rootfs) --format json" 0
jq -r '.targets[0].packages[] | [.name, .version, .source, .source_version, .architecture] | @tsv' "$OUT" 2>/dev/null \
  | LC_ALL=C sort >"$W/tiny.actual.tsv" || true
assert_files_equal "tiny rootfs: the two installed packages, source from Source: (version in parens)" \
  "$W/tiny.expected.tsv" "$W/tiny.actual.tsv"
assert_json "tiny rootfs: purl of zlib1g escapes the epoch colon" "$OUT" \
  '[.targets[0].packages[] | select(.name == "zlib1g") | .purl] == ["pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12"]'
cp "$OUT" "$W/tiny.stdout.json"

# -o FILE: atomic replacement.
mkdir -p "$W/out"
REPORT="$W/out/report.json"
echo "OLD REPORT" >"$REPORT"
old_inode="$(stat -c %i "$REPORT")"
run_bulwark o-failing sbom "$MISSING" --format json --quiet -o "$REPORT"
assert_rc "-o with a missing input" 3
assert_eq "-o: a failed run leaves the old report untouched" "OLD REPORT" "$(cat "$REPORT")"
assert_eq "-o: a failed run leaves no temp file" "report.json" "$(ls -A "$W/out" | tr '\n' ' ' | sed 's/ $//')"

run_bulwark o-ok sbom "dir:$R" --format json --quiet -o "$REPORT"
assert_rc "-o FILE" 0
assert_eq "-o: nothing on stdout" "" "$(cat "$OUT")"
assert_json "-o: the file holds the whole JSON report" "$REPORT" '.schema == "bulwark/v1" and (.targets[0].packages | length) == 2'
if [ -s "$W/tiny.stdout.json" ] && jq -e . "$REPORT" >/dev/null 2>&1; then
  assert_eq "-o: same report as on stdout" "$(jq -S . "$W/tiny.stdout.json")" "$(jq -S . "$REPORT")"
else
  _fail "-o: cannot compare with the stdout report (one of them is not JSON)"
fi
assert_true "-o: replaced by rename (new inode), not rewritten in place" test "$(stat -c %i "$REPORT")" != "$old_inode"
assert_eq "-o: no temp file left beside the report" "report.json" "$(ls -A "$W/out" | tr '\n' ' ' | sed 's/ $//')"

run_bulwark o-missing-dir sbom "dir:$R" --format json --quiet -o "$W/no/such/dir/report.json"
assert_true "-o into a missing folder fails (non-zero exit)" test "$RC" -ne 0
assert_grep "-o into a missing folder: message names it" "$ERR" 'no/such/dir'

# -o onto paths that must not be replaced (issue 13: `-o /dev/null` as root once replaced /dev/null).
# Device nodes and FIFOs are made in the work folder, never the real /dev/null.
if [ "$(id -u)" -eq 0 ]; then
  mknod "$W/out/null" c 1 3
  run_bulwark o-chardev sbom "dir:$R" --format json --quiet -o "$W/out/null"
  assert_rc "-o onto a character device (1,3)" 0
  assert_true "-o onto a character device: still a character device" test -c "$W/out/null"
  assert_eq "-o onto a character device: still 1,3" "1,3" "$(stat -c '%t,%T' "$W/out/null")"
else
  echo "  note: not root; the character-device case runs in util_test only when root"
fi
mkfifo "$W/out/fifo"
( head -c 100000000 "$W/out/fifo" > "$W/out/fifo.read" ) &
FIFO_READER=$!
run_bulwark o-fifo sbom "dir:$R" --format json --quiet -o "$W/out/fifo"
wait "$FIFO_READER" || true
assert_rc "-o onto a FIFO" 0
assert_true "-o onto a FIFO: still a FIFO" test -p "$W/out/fifo"
assert_json "-o onto a FIFO: the reader got the report" "$W/out/fifo.read" '.schema == "bulwark/v1"'
ln -s report.json "$W/out/link.json"
run_bulwark o-symlink sbom "dir:$R" --format json --quiet -o "$W/out/link.json"
assert_rc "-o onto a symlink" 0
assert_true "-o onto a symlink: the link stays a link" test -L "$W/out/link.json"
assert_json "-o onto a symlink: its target holds the report" "$W/out/report.json" '.schema == "bulwark/v1"'
mkdir -p "$W/out/adir"
run_bulwark o-dir sbom "dir:$R" --format json --quiet -o "$W/out/adir"
assert_true "-o onto a directory fails" test "$RC" -ne 0
assert_grep "-o onto a directory: says so" "$ERR" 'is a directory'
assert_true "-o onto a directory: the directory stays" test -d "$W/out/adir"
run_bulwark o-stdout sbom "dir:$R" --format json --quiet -o /dev/stdout
assert_rc "-o /dev/stdout" 0
assert_json "-o /dev/stdout: the report on stdout" "$OUT" '.schema == "bulwark/v1"'

e2e_finish
