#!/usr/bin/env bash
# Azure Linux / CBL-Mariner: Microsoft's OVAL (tests/data/azurelinux-oval, excerpts of
# microsoft/AzureLinuxVulnerabilityData) imported with `db import` and matched in "Azure Linux:<N>" /
# "CBL-Mariner:<N>" (docs/vulnerability-scanning.md):
#  - a root filesystem with Azure Linux 3.0's os-release and the real Amazon Linux 2023 rpm database
#    (the shared data holds no Azure Linux one): zlib 1.2.11 is below the zlib fix of CVE-2023-45853
#    (Critical), curl-minimal and libcurl-minimal (source rpm curl) below curl's fix of CVE-2024-6874;
#    all 102 packages checked;
#  - an SBOM of CBL-Mariner 2.0 (Trivy's distro=cbl-mariner-2.0): c-ares below its fix, grpc at the
#    unfixed "less than or equal" EVR reported unfixed, a later grpc build not reported, fish ("Not
#    Applicable") and zlib at its fix not reported;
#  - an SBOM of CBL-Mariner 1.0: the kernel gets 1.0's fix of CVE-2023-3863, not 2.0's;
#  - an SBOM of Azure Linux 2.0: no such data, so the scan says so instead of an all-clear.
. "$(dirname "$0")/lib.sh"
e2e_init vuln_azure_oval
e2e_require_cmd jq
e2e_require_cmd zstd
DATA="$BULWARK_SOURCE_DIR/tests/data/azurelinux-oval"
PKGDB="$BULWARK_SHARED_DIR/data/pkgdb/rpm"
[ -f "$PKGDB/go-rpmdb_amazonlinux2023_rpmdb.sqlite.zst" ] || e2e_missing "shared pkgdb not found under $PKGDB"

DB="$W/azl.db"
run_bulwark import db import --db "$DB" "$DATA"
assert_rc "import the Azure Linux / CBL-Mariner OVAL files (one truncated)" 0
assert_grep "Azure Linux 3 CVEs imported" "$OUT" '^azurelinux:3 +12$'
assert_grep "CBL-Mariner 2 CVEs imported" "$OUT" '^cbl-mariner:2 +7$'
assert_grep "CBL-Mariner 1 CVEs imported" "$OUT" '^cbl-mariner:1 +5$'
assert_grep "the truncated document is named with the reason" "$ERR" 'azurelinux-3.0-oval-truncated.xml: error: not well-formed XML'
run_bulwark reimport db import --db "$DB" "$DATA"
assert_grep "importing again changes nothing" "$OUT" '0 new, 0 updated, 24 unchanged'

findings() { jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.package.version) \(.vulnerability.id) \(.vulnerability.fixed_version // "-") \(.vulnerability.state) \(.severity)"' "$OUT" | sort; }

AZ="$W/azl3"
mkdir -p "$AZ/etc" "$AZ/var/lib/rpm"
printf 'NAME="Microsoft Azure Linux"\nID=azurelinux\nVERSION_ID="3.0"\n' >"$AZ/etc/os-release"
zstd -qdc "$PKGDB/go-rpmdb_amazonlinux2023_rpmdb.sqlite.zst" >"$AZ/var/lib/rpm/rpmdb.sqlite"
run_bulwark azl3 rootfs "$AZ" --db "$DB" --format json
assert_rc "scan of the Azure Linux 3.0 rootfs" 0
findings >"$W/azl3.actual"
cat >"$W/azl3.expected" <<'X'
curl-minimal 8.0.1-1.amzn2023.0.1 CVE-2024-6874 8.8.0-1.azl3 fixed medium
libcurl-minimal 8.0.1-1.amzn2023.0.1 CVE-2024-6874 8.8.0-1.azl3 fixed medium
zlib 1.2.11-33.amzn2023.0.4 CVE-2023-45853 1.3.1-1.azl3 fixed critical
X
assert_files_equal "Azure Linux 3.0: zlib and curl (by source rpm) below Microsoft's fixes" "$W/azl3.expected" "$W/azl3.actual"
assert_json "Azure Linux 3.0: every package checked against Azure Linux:3" "$OUT" \
  '.targets[0].vulnerability_coverage | .complete == true and .checked == 102'
assert_grep "evidence names the ecosystem and the source" "$OUT" 'Azure Linux:3 advisory data: azurelinux:3 CVE-2023-45853'

sbom() {  # FILE DISTRO NAME@VERSION...
  local file=$1 distro=$2
  shift 2
  local comps=() c
  for c in "$@"; do
    local name=${c%%@*} version=${c#*@}
    comps+=("{\"type\":\"library\",\"name\":\"$name\",\"version\":\"$version\",\"purl\":\"pkg:rpm/$distro/$name@$version?arch=x86_64&distro=$distro\"}")
  done
  local IFS=,
  printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[%s]}' "${comps[*]}" >"$file"
}

sbom "$W/cm2.cdx.json" cbl-mariner-2.0 c-ares@1.18.1-2.cm2 grpc@1.42.0-7.cm2 fish@3.6.2-1.cm2 zlib@1.2.12-1.cm2
run_bulwark cm2 sbom-scan "$W/cm2.cdx.json" --db "$DB" --format json
assert_rc "scan of the CBL-Mariner 2.0 SBOM" 0
findings >"$W/cm2.actual"
cat >"$W/cm2.expected" <<'X'
c-ares 1.18.1-2.cm2 CVE-2022-4904 1.19.0-1.cm2 fixed high
grpc 1.42.0-7.cm2 CVE-2022-4904 - unfixed high
X
assert_files_equal "CBL-Mariner 2.0: c-ares fixed, grpc unfixed; fish not applicable, zlib at its fix" \
  "$W/cm2.expected" "$W/cm2.actual"
assert_json "CBL-Mariner 2.0: all four packages checked" "$OUT" '.targets[0].vulnerability_coverage | .checked == 4 and .complete == true'
sbom "$W/cm2b.cdx.json" mariner-2.0 grpc@1.42.0-8.cm2
run_bulwark cm2b sbom-scan "$W/cm2b.cdx.json" --db "$DB" --format json
assert_json "CBL-Mariner 2.0: a grpc build after the last affected EVR is not reported" "$OUT" \
  '[.findings[] | select(.vulnerability)] | length == 0'

sbom "$W/cm1.cdx.json" mariner-1.0 kernel@5.10.185.1-1.cm1
run_bulwark cm1 sbom-scan "$W/cm1.cdx.json" --db "$DB" --format json
assert_rc "scan of the CBL-Mariner 1.0 SBOM" 0
findings >"$W/cm1.actual"
printf 'kernel 5.10.185.1-1.cm1 CVE-2023-3863 5.10.188.1-1.cm1 fixed medium\n' >"$W/cm1.expected"
assert_files_equal "CBL-Mariner 1.0: the kernel below 1.0's fix (not 2.0's)" "$W/cm1.expected" "$W/cm1.actual"

sbom "$W/az2.cdx.json" azurelinux-2.0 zlib@1.2.13-1.azl2
run_bulwark az2 sbom-scan "$W/az2.cdx.json" --db "$DB" --format json
assert_rc "scan of the Azure Linux 2.0 SBOM" 0
assert_json "Azure Linux 2.0 against data without it: not covered, no finding" "$OUT" \
  '(.targets[0].vulnerability_coverage.complete == false) and ([.findings[] | select(.vulnerability)] | length == 0)'
assert_grep "Azure Linux 2.0: the gap names the ecosystem" "$ERR" 'no advisories for ecosystem Azure Linux:2'

e2e_finish
