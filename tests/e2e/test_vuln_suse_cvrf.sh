#!/usr/bin/env bash
# SUSE: CVRF documents (tests/data/suse-cvrf, SUSE's real files from vuln-list-update) imported with
# `db import` and matched by product (docs/vulnerability-scanning.md):
#  - an SBOM of openSUSE Leap 15.0 (Syft's distro=opensuse-leap-15.0): glibc and nscd below
#    openSUSE-SU-2018:1633-1 get CVE-2018-11237 with the fixed version and SUSE's "moderate"; at the
#    fixed version nothing is reported;
#  - an SBOM of SLES 12 SP4: libopenssl0_9_8 is fixed in the "Module for Legacy Software 12", not in
#    "Server 12 SP4": found through the module;
#  - the real SLE 15 BCI rpm database (shared pkgdb) under its SLES 15 SP3 os-release: the documents
#    hold no SLE 15 SP3 data, so the scan says so by ecosystem name instead of an all-clear, and
#    --exit-code fails on it when asked to.
. "$(dirname "$0")/lib.sh"
e2e_init vuln_suse_cvrf
e2e_require_cmd jq
PKGDB="$BULWARK_SHARED_DIR/data/pkgdb/rpm"
[ -f "$PKGDB/go-rpmdb_sle15-bci_Packages.db" ] || e2e_missing "shared pkgdb not found under $PKGDB"
DATA="$BULWARK_SOURCE_DIR/tests/data/suse-cvrf"

DB="$W/suse.db"
run_bulwark import db import --db "$DB" "$DATA"
assert_rc "import the SUSE CVRF documents (one truncated)" 0
assert_grep "five patches imported" "$OUT" '^suse-cvrf +5$'
assert_grep "the truncated document is named" "$ERR" 'cvrf-suse-su-2018-1784-1.xml.*not well-formed XML'

sbom() {  # FILE DISTRO NAME@VERSION...
  local file=$1 distro=$2
  shift 2
  local comps=() c
  for c in "$@"; do
    local name=${c%%@*} version=${c#*@}
    comps+=("{\"type\":\"library\",\"name\":\"$name\",\"version\":\"$version\",\"purl\":\"pkg:rpm/suse/$name@$version?arch=x86_64&distro=$distro\"}")
  done
  local IFS=,
  printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[%s]}' "${comps[*]}" >"$file"
}
findings() { jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.package.version) \(.vulnerability.id) \(.vulnerability.fixed_version // "-") \(.vulnerability.state) \(.severity)"' "$OUT" | sort; }

# openSUSE Leap 15.0 shipped glibc 2.26-lp150.10.1 (below the fix); bash is in no document.
sbom "$W/leap.cdx.json" opensuse-leap-15.0 glibc@2.26-lp150.10.1 nscd@2.26-lp150.10.1 bash@4.4-lp150.7.8
run_bulwark leap sbom-scan "$W/leap.cdx.json" --db "$DB" --format json
assert_rc "scan of the Leap 15.0 SBOM" 0
findings >"$W/leap.actual"
cat >"$W/leap.expected" <<'X'
glibc 2.26-lp150.10.1 CVE-2018-11237 2.26-lp150.11.3.2 fixed medium
nscd 2.26-lp150.10.1 CVE-2018-11237 2.26-lp150.11.3.2 fixed medium
X
assert_files_equal "Leap 15.0: glibc and nscd below openSUSE-SU-2018:1633-1, SUSE's moderate" "$W/leap.expected" "$W/leap.actual"
assert_grep "evidence names the ecosystem and the patch" "$OUT" 'openSUSE:Leap 15.0 advisory data: suse-cvrf openSUSE-SU-2018:1633-1'
assert_json "Leap 15.0: all three packages checked" "$OUT" '.targets[0].vulnerability_coverage | .checked == 3 and .complete == true'

sbom "$W/leap-fixed.cdx.json" opensuse-leap-15.0 glibc@2.26-lp150.11.3.2 nscd@2.26-lp150.11.6.1
run_bulwark leap-fixed sbom-scan "$W/leap-fixed.cdx.json" --db "$DB" --format json
assert_rc "scan of the patched Leap 15.0 SBOM" 0
assert_json "Leap 15.0 at or above the fix: no finding" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'

# SLES 12 SP4: the 0.9.8 compatibility library comes from the Legacy module.
sbom "$W/sles12.cdx.json" sles-12.4 libopenssl0_9_8@0.9.8j-106.9.1 compat-openssl098@0.9.8j-106.12.1
run_bulwark sles12 sbom-scan "$W/sles12.cdx.json" --db "$DB" --format json
assert_rc "scan of the SLES 12 SP4 SBOM" 0
findings >"$W/sles12.actual"
printf 'libopenssl0_9_8 0.9.8j-106.9.1 CVE-2019-1559 0.9.8j-106.12.1 fixed medium\n' >"$W/sles12.expected"
assert_files_equal "SLES 12 SP4: found through the Module for Legacy Software 12; the fixed one not" \
  "$W/sles12.expected" "$W/sles12.actual"
assert_grep "SLES 12 SP4: the evidence names the module" "$OUT" 'SUSE:Linux Enterprise Module for Legacy Software 12 advisory data: suse-cvrf SUSE-SU-2019:1608-1'

# The real SLE 15 BCI rpm database (36 packages) under its os-release (SLES 15 SP3).
SLE="$W/sle15"
mkdir -p "$SLE/etc" "$SLE/usr/lib/sysimage/rpm"
printf 'NAME="SLES"\nVERSION="15-SP3"\nVERSION_ID="15.3"\nID="sles"\nID_LIKE="suse"\nCPE_NAME="cpe:/o:suse:sles:15:sp3"\n' >"$SLE/etc/os-release"
cp "$PKGDB/go-rpmdb_sle15-bci_Packages.db" "$SLE/usr/lib/sysimage/rpm/Packages.db"
run_bulwark sle rootfs "$SLE" --db "$DB" --format json
assert_rc "scan of the SLE 15 SP3 rootfs" 0
assert_json "SLE 15 SP3 against data without SLE 15 SP3: not covered, no finding" "$OUT" \
  '(.targets[0].vulnerability_coverage | .complete == false and .checked == 0) and ([.findings[] | select(.vulnerability)] | length == 0)'
assert_grep "SLE 15 SP3: the gap names the ecosystem" "$ERR" 'no advisories for ecosystem SUSE:Linux Enterprise Server 15 SP3'
run_bulwark sle-table rootfs "$SLE" --db "$DB"
assert_grep "SLE 15 SP3: the table does not say all-clear" "$OUT" 'SUSE:Linux Enterprise Server 15 SP3'
assert_no_grep "SLE 15 SP3: no 'No known vulnerabilities'" "$OUT" 'No known vulnerabilities'

e2e_finish
