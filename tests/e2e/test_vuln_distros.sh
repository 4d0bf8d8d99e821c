#!/usr/bin/env bash
# OS findings for rpm distributions, through the OSV ecosystem names (docs/vulnerability-scanning.md):
#  - AlmaLinux 8: the real RHEL/UBI 8 rpm database (shared pkgdb) in a root filesystem with
#    AlmaLinux's os-release, against real AlmaLinux OSV records (tests/data/almalinux-osv):
#    binary package + EVR matched, the older advisory not reported, severity from the errata word;
#  - the same inventory under UBI's, Amazon Linux 2023's and SLE 15's os-release: the package is
#    reported as not covered under the exact OSV ecosystem name (never a silent all-clear).
. "$(dirname "$0")/lib.sh"
e2e_init vuln_distros
e2e_require_cmd jq
e2e_require_cmd zstd
PKGDB="$BULWARK_SHARED_DIR/data/pkgdb/rpm"
[ -f "$PKGDB/go-rpmdb_libuuid_Packages" ] || e2e_missing "shared pkgdb not found under $PKGDB"

DB="$W/bulwark.db"
run_bulwark import db import --db "$DB" "$BULWARK_SOURCE_DIR/tests/data/almalinux-osv"
assert_rc "import the AlmaLinux OSV excerpt" 0

mkroot() {  # DIR ID VERSION_ID NAME
  mkdir -p "$1/etc" "$1/var/lib/rpm"
  printf 'NAME="%s"\nID="%s"\nVERSION_ID="%s"\n' "$4" "$2" "$3" >"$1/etc/os-release"
}

ALMA="$W/alma8"
mkroot "$ALMA" almalinux 8.10 AlmaLinux
cp "$PKGDB/go-rpmdb_libuuid_Packages" "$ALMA/var/lib/rpm/Packages"
run_bulwark alma rootfs "$ALMA" --db "$DB" --format json
assert_rc "scan of the AlmaLinux 8 rootfs" 0
jq -r '.findings[] | select(.practice=="vulnerability-scan") | "\(.package.name) \(.vulnerability.id) \(.vulnerability.fixed_version) \(.severity)"' "$OUT" >"$W/alma.actual"
printf 'libuuid ALSA-2026:1852 2.32.1-48.el8_10 medium\n' >"$W/alma.expected"
assert_files_equal "AlmaLinux 8: libuuid matched by binary name and EVR" "$W/alma.expected" "$W/alma.actual"
assert_grep "evidence names the ecosystem" "$OUT" 'AlmaLinux:8 advisory data'

# Rocky Linux's ecosystem is another one: AlmaLinux records never match it.
ROCKY="$W/rocky8"
mkroot "$ROCKY" rocky 8.9 "Rocky Linux"
cp "$PKGDB/go-rpmdb_libuuid_Packages" "$ROCKY/var/lib/rpm/Packages"
run_bulwark rocky rootfs "$ROCKY" --db "$DB" --format json
assert_rc "scan of the Rocky 8 rootfs" 0
assert_json "Rocky 8: no AlmaLinux finding" "$OUT" '[.findings[] | select(.practice=="vulnerability-scan")] | length == 0'
assert_grep "Rocky 8: not covered, by ecosystem name" "$ERR" 'no advisories for ecosystem Rocky Linux:8'

UBI="$W/ubi8"
mkroot "$UBI" rhel 8.9 "Red Hat Enterprise Linux"
cp "$PKGDB/go-rpmdb_libuuid_Packages" "$UBI/var/lib/rpm/Packages"
run_bulwark ubi rootfs "$UBI" --db "$DB"
assert_grep "UBI 8: not covered, by ecosystem name" "$ERR" 'no advisories for ecosystem Red Hat:enterprise_linux:8'

AL="$W/al2023"
mkroot "$AL" amzn 2023 "Amazon Linux"
mkdir -p "$AL/var/lib/rpm"
zstd -dc "$PKGDB/go-rpmdb_amazonlinux2023_rpmdb.sqlite.zst" >"$AL/var/lib/rpm/rpmdb.sqlite"
run_bulwark al rootfs "$AL" --db "$DB"
assert_grep "Amazon Linux 2023: all 102 packages (103 rows less the gpg-pubkey pseudo-package) not covered, by ecosystem name" "$ERR" '102 packages not matched: the database has no advisories for ecosystem Amazon Linux:2023'

# Amazon Linux: ALAS updateinfo.xml (tests/data/amazon-alas, real excerpts with vuln-list-update's
# expected parse). The importer's fixed EVRs must equal the golden files' epoch:version-release:
# an SBOM the test writes lists every golden package at version 0.1-1 (every one affected), and the
# findings' (package, fixed version) are compared with the golden list.
ALASDB="$W/alas.db"
run_bulwark alas-import db import --db "$ALASDB" "$BULWARK_SOURCE_DIR/tests/data/amazon-alas"
assert_rc "import the ALAS updateinfo excerpts" 0
for golden in ALAS2-2018-942 ALAS2-2018-949 ALAS2023-2023-001; do
  G="$BULWARK_SOURCE_DIR/tests/data/amazon-alas/$golden.json.golden"
  case "$golden" in ALAS2023-*) distro=amazon-2023 ;; *) distro=amazon-2 ;; esac
  jq --arg d "$distro" '{bomFormat: "CycloneDX", specVersion: "1.5", version: 1,
      components: ([.packages[].name] | unique | map({type: "library", name: ., version: "0.1-1",
        purl: ("pkg:rpm/amazon/" + . + "@0.1-1?arch=x86_64&distro=" + $d)}))}' "$G" >"$W/$golden.cdx.json"
  run_bulwark "alas-$golden" sbom-scan "$W/$golden.cdx.json" --db "$ALASDB" --format json
  assert_rc "$golden: SBOM of its packages scans" 0
  jq -r '.packages[] | "\(.name) \(if .epoch == "0" or .epoch == "" then "" else .epoch + ":" end)\(.version)-\(.release)"' "$G" | sort -u >"$W/$golden.expected"
  jq -r --arg id "$golden" '.findings[] | select(.vulnerability) | select(.vulnerability.id == $id or ((.vulnerability.aliases // []) | index($id))) | "\(.package.name) \(.vulnerability.fixed_version)"' "$OUT" | sort -u >"$W/$golden.actual"
  assert_files_equal "$golden: fixed versions as vuln-list-update parses them" "$W/$golden.expected" "$W/$golden.actual"
done
# Epochs: qemu-kvm is fixed at 10:1.5.3-141.amzn2.5.3; a higher version without an epoch (epoch 0)
# is still below it, the fixed EVR itself is not affected.
printf '%s' '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[
 {"type":"library","name":"qemu-kvm","version":"1.5.3-999","purl":"pkg:rpm/amazon/qemu-kvm@1.5.3-999?arch=x86_64&distro=amazon-2"},
 {"type":"library","name":"qemu-img","version":"1.5.3-141.amzn2.5.3","purl":"pkg:rpm/amazon/qemu-img@1.5.3-141.amzn2.5.3?arch=x86_64&epoch=10&distro=amazon-2"}]}' >"$W/epoch.cdx.json"
run_bulwark alas-epoch sbom-scan "$W/epoch.cdx.json" --db "$ALASDB" --format json
jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.vulnerability.id) \(.vulnerability.fixed_version) \(.severity)"' "$OUT" >"$W/epoch.actual"
printf 'qemu-kvm CVE-2017-5715 10:1.5.3-141.amzn2.5.3 high\n' >"$W/epoch.expected"
assert_files_equal "epoch 0 is below epoch 10; the fixed EVR is not affected; ALAS 'important' is high" "$W/epoch.expected" "$W/epoch.actual"
# The real Amazon Linux 2023 rpm database against the ALAS data: covered now, and rsyslog (the only
# package ALAS2023-2023-001 names) is not installed there, so no finding.
run_bulwark al-alas rootfs "$AL" --db "$ALASDB" --format json
assert_rc "Amazon Linux 2023 rootfs against ALAS" 0
assert_json "Amazon Linux 2023: every package checked against Amazon Linux:2023" "$OUT" \
  '.targets[0].vulnerability_coverage | .complete == true and .checked == 102'
assert_json "Amazon Linux 2023: no finding (rsyslog is not installed)" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'

SLE="$W/sle15"
mkroot "$SLE" sles 15.4 "SLES"
mkdir -p "$SLE/usr/lib/sysimage/rpm"
cp "$PKGDB/go-rpmdb_sle15-bci_Packages.db" "$SLE/usr/lib/sysimage/rpm/Packages.db"
run_bulwark sle rootfs "$SLE" --db "$DB"
assert_grep "SLE 15 SP4: not covered, by ecosystem name" "$ERR" 'no advisories for ecosystem SUSE:Linux Enterprise Server 15 SP4'

e2e_finish
