#!/usr/bin/env bash
# Never a false all-clear, and SBOMs matched like images (docs/vulnerability-scanning.md):
#  1. the Debian 12 lab image (setup-images.sh) against a database with no Debian 12 data (the shared
#     tracker's DSA/DLA lists stop at bullseye): the table says NOT FULLY CHECKED instead of "No known
#     vulnerabilities.", JSON has targets[].vulnerability_coverage, SARIF a tool notification, and
#     --exit-code fails on it; --exit-code-scanners picks which scanners' findings trip --exit-code
#     (shown on the Ubuntu rootfs of part 3, whose coverage is complete);
#  2. real Trivy and Syft SBOMs (tests/data/sbom-trivy-syft): the distro qualifier in both spellings,
#     the source package from Syft's `upstream` qualifier and Trivy's SrcName properties / sourceInfo;
#  3. Ubuntu: a real Ubuntu 18.04 dpkg status (tests/data/ubuntu-dpkg) against Canonical's OSV records
#     (tests/data/ubuntu-osv): a USN and its UBUNTU-CVE record as one finding, an unfixed CVE listed
#     under Ubuntu Pro 18.04 only, the priority as severity.
. "$(dirname "$0")/lib.sh"
e2e_init vuln_coverage
e2e_require_cmd jq
SHARED_ADV="$BULWARK_SHARED_DIR/data/advisories"
[ -d "$SHARED_ADV" ] || e2e_missing "shared advisories not found under $SHARED_ADV"
DATA="$BULWARK_SOURCE_DIR/tests/data"

# ---- 1. no Debian 12 data: never an all-clear ----------------------------------------------------
mkdir -p "$W/tracker"
cp "$SHARED_ADV/debian-security-tracker/DSA.list" "$SHARED_ADV/debian-security-tracker/DLA.list" "$W/tracker/"
DB="$W/no-bookworm.db"
run_bulwark import-tracker db import --db "$DB" "$W/tracker"
assert_rc "import the DSA/DLA lists (buster and bullseye only)" 0

e2e_setup_images
DEB="docker-archive:$IMG/images/debian.tar"
run_bulwark deb-table image "$DEB" --db "$DB" --scanners vuln
assert_rc "table scan of the Debian 12 image exits 0 without --exit-code" 0
assert_grep "the table says the packages were NOT checked" "$OUT" '^NOT FULLY CHECKED: [0-9]+ of [0-9]+ packages were NOT checked for vulnerabilities \(no vulnerability data\): [0-9]+ OS packages: the database has no advisories for ecosystem Debian:12'
assert_no_grep "no 'No known vulnerabilities.' line" "$OUT" 'No known vulnerabilities.'
assert_grep "the table says it is not an all-clear" "$OUT" 'This is not an all-clear'

run_bulwark deb-json image "$DEB" --db "$DB" --scanners vuln --format json
assert_rc "JSON scan exits 0 without --exit-code" 0
assert_json "JSON: coverage incomplete" "$OUT" '.targets[0].vulnerability_coverage.complete == false'
assert_json "JSON: the gap names Debian:12 and OS packages" "$OUT" \
  '.targets[0].vulnerability_coverage.gaps | map(select(.ecosystem == "Debian:12" and .os == true and .counts == true)) | length == 1'
assert_json "JSON: every OS package unchecked" "$OUT" \
  '.targets[0].vulnerability_coverage as $c | $c.unchecked > 50 and $c.checked == 0 and $c.packages == $c.unchecked'
if [ -f "$BULWARK_SOURCE_DIR/docs/formats/bulwark-v1.schema.json" ] && command -v python3 >/dev/null &&
  python3 -c 'import jsonschema' 2>/dev/null; then
  assert_true "JSON with vulnerability_coverage validates against docs/formats/bulwark-v1.schema.json" \
    python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
    "$OUT" "$BULWARK_SOURCE_DIR/docs/formats/bulwark-v1.schema.json"
fi

run_bulwark deb-sarif image "$DEB" --db "$DB" --scanners vuln --format sarif
assert_json "SARIF: a tool execution notification names the gap" "$OUT" \
  '.runs[0].invocations[0].toolExecutionNotifications[0] | .descriptor.id == "bulwark/no-vulnerability-data" and .level == "error" and (.message.text | test("Debian:12")) and .properties.ecosystems == ["Debian:12"]'
assert_json "SARIF: no results (nothing was matched)" "$OUT" '.runs[0].results | length == 0'

run_bulwark deb-exit image "$DEB" --db "$DB" --scanners vuln --exit-code 5 -q
assert_rc "--exit-code 5 fails on packages left unchecked" 5
assert_grep "stderr says why the exit code" "$ERR" 'exit 5: .*NOT checked.*Debian:12'
run_bulwark deb-exit-critical image "$DEB" --db "$DB" --scanners vuln --exit-code 5 --fail-on critical -q
assert_rc "--fail-on critical does not excuse unchecked packages" 5
run_bulwark deb-exit-config-only image "$DEB" --db "$DB" --scanners vuln --exit-code 5 --exit-code-scanners secret -q
assert_rc "--exit-code-scanners secret: unchecked vulnerabilities do not trip it" 0

run_bulwark bad-scanner image "$DEB" --db "$DB" --exit-code 6 --exit-code-scanners vulns -q
assert_rc "--exit-code-scanners with an unknown scanner is a usage error" 2

# ---- 2. real Trivy and Syft SBOMs ---------------------------------------------------------------
SB="$DATA/sbom-trivy-syft"
mkdir -p "$W/alpine"
zstd -dc "$SHARED_ADV/alpine-secdb-json.tar.zst" | tar -x -C "$W/alpine"
ADB="$W/alpine.db"
run_bulwark import-alpine db import --db "$ADB" "$W/alpine"
assert_rc "import the Alpine secdb" 0

# Trivy, no OS component: the release comes from distro=3.16.0 and the purl's namespace.
run_bulwark trivy-noos sbom-scan "$SB/trivy-third-party-no-os.cdx.json" --db "$ADB" --format json
assert_rc "Trivy SBOM without an OS component" 0
assert_json "Trivy distro=3.16.0 is Alpine 3.16" "$OUT" '.targets[0].os.id == "alpine" and .targets[0].os.version_id == "3.16.0"'
assert_json "musl checked against Alpine:v3.16; the composer package is listed as uncheckable, not failing" "$OUT" \
  '.targets[0].vulnerability_coverage | .complete == true and .checked == 1 and (.gaps | length == 1 and .[0].counts == false)'
# The same document with musl at 1.1.24-r9 (a copy the test makes with jq): CVE-2020-28928, fixed in v3.16's 1.2.2_pre2-r0.
jq '(.components[] | select(.name == "musl")) |= (.version = "1.1.24-r9" | .purl = "pkg:apk/alpine/musl@1.1.24-r9?distro=3.16.0")' \
  "$SB/trivy-third-party-no-os.cdx.json" >"$W/trivy-noos-old.cdx.json"
run_bulwark trivy-noos-old sbom-scan "$W/trivy-noos-old.cdx.json" --db "$ADB" --format json
jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.vulnerability.id) \(.vulnerability.fixed_version)"' "$OUT" >"$W/trivy-noos.actual"
printf 'musl CVE-2020-28928 1.2.2_pre2-r0\n' >"$W/trivy-noos.expected"
assert_files_equal "older musl under distro=3.16.0 matches Alpine v3.16's secdb" "$W/trivy-noos.expected" "$W/trivy-noos.actual"

# Trivy CycloneDX with an OS component and SrcName/SrcVersion properties, and Trivy SPDX with sourceInfo.
for f in trivy-alpine-3.16.cdx.json trivy-alpine-3.16.spdx.json; do
  run_bulwark "$f" sbom-scan "$SB/$f" --db "$ADB" --format json
  assert_rc "$f scans" 0
  assert_json "$f: Alpine 3.16, musl checked" "$OUT" \
    '.targets[0].os.id == "alpine" and .targets[0].os.version_id == "3.16.0" and .targets[0].vulnerability_coverage.checked >= 1'
done

# Syft SPDX: distro=alpine-3.10.9; ssl_client carries upstream=busybox.
run_bulwark syft-table sbom-scan "$SB/syft-alpine-3.10.spdx.json" --db "$ADB"
assert_grep "complete coverage, no finding: 'No known vulnerabilities.'" "$OUT" '^No known vulnerabilities\.$'
assert_no_grep "complete coverage: no NOT FULLY CHECKED line" "$OUT" 'NOT FULLY CHECKED'

run_bulwark syft sbom-scan "$SB/syft-alpine-3.10.spdx.json" --db "$ADB" --format json
assert_rc "Syft SPDX scans" 0
assert_json "Syft distro=alpine-3.10.9 is Alpine 3.10, all three packages checked" "$OUT" \
  '.targets[0].os.version_id == "3.10.9" and .targets[0].vulnerability_coverage.complete == true and .targets[0].vulnerability_coverage.checked == 3'
assert_json "the real versions are all fixed in v3.10's secdb" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'
# ssl_client at 1.30.1-r4 (a jq copy): busybox's CVE-2021-28831 (fixed 1.30.1-r5) reaches it only through upstream=busybox.
jq '(.packages[] | select(.name == "ssl_client")) |= (.versionInfo = "1.30.1-r4" | .externalRefs |= map(if .referenceType == "purl" then .referenceLocator = "pkg:apk/alpine/ssl_client@1.30.1-r4?arch=x86_64&upstream=busybox&distro=alpine-3.10.9" else . end))' \
  "$SB/syft-alpine-3.10.spdx.json" >"$W/syft-old.spdx.json"
run_bulwark syft-old sbom-scan "$W/syft-old.spdx.json" --db "$ADB" --format json
jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.package.source) \(.vulnerability.id) \(.vulnerability.fixed_version)"' "$OUT" >"$W/syft.actual"
printf 'ssl_client busybox CVE-2021-28831 1.30.1-r5\n' >"$W/syft.expected"
assert_files_equal "ssl_client matched through its upstream (busybox)" "$W/syft.expected" "$W/syft.actual"
assert_grep "evidence names the origin it was matched as" "$OUT" 'matched as busybox 1.30.1-r4'

# Trivy CentOS 7 (rpm): no Red Hat data in this database, so the scan says so and --exit-code fails.
run_bulwark centos sbom-scan "$SB/trivy-centos-7.cdx.json" --db "$ADB" --format json --exit-code 4
assert_rc "CentOS 7 SBOM against a database without Red Hat data fails --exit-code" 4
assert_json "CentOS 7: both rpm packages unchecked under Red Hat:enterprise_linux:7" "$OUT" \
  '.targets[0].vulnerability_coverage.gaps[0] | .ecosystem == "Red Hat:enterprise_linux:7" and .packages == 2 and .os == true'

# ---- 3. Ubuntu: Canonical's OSV records, dpkg packages of an Ubuntu 18.04 root filesystem ------------
UDB="$W/ubuntu.db"
run_bulwark import-ubuntu db import --db "$UDB" "$DATA/ubuntu-osv"
assert_rc "import Canonical's OSV records" 0
U="$W/ubuntu1804"
mkdir -p "$U/etc" "$U/var/lib/dpkg"
printf 'NAME="Ubuntu"\nVERSION="18.04.1 LTS (Bionic Beaver)"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="18.04"\nVERSION_CODENAME=bionic\n' >"$U/etc/os-release"
cp "$DATA/ubuntu-dpkg/status" "$U/var/lib/dpkg/status"
run_bulwark ubuntu rootfs "$U" --db "$UDB" --scanners vuln --format json
assert_rc "scan of the Ubuntu 18.04 rootfs" 0
jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.vulnerability.id) \(.vulnerability.fixed_version // "-") \(.vulnerability.state) \(.severity)"' "$OUT" | sort >"$W/ubuntu.actual"
cat >"$W/ubuntu.expected" <<'EOF'
coreutils CVE-2016-2781 - unfixed low
liblz4-1 CVE-2021-3520 0.0~r131-2ubuntu3.1 fixed medium
EOF
assert_files_equal "Ubuntu 18.04: lz4 fixed by USN-4968-1, coreutils unfixed (Ubuntu Pro 18.04 entry)" "$W/ubuntu.expected" "$W/ubuntu.actual"
assert_json "the lz4 finding is the USN and the UBUNTU-CVE record together" "$OUT" \
  '[.findings[] | select(.vulnerability.id == "CVE-2021-3520")][0].vulnerability.aliases | (index("USN-4968-1") != null) and (index("UBUNTU-CVE-2021-3520") != null)'
assert_json "the evidence names the ecosystem Ubuntu:18.04:LTS and the source package" "$OUT" \
  '[.findings[] | select(.vulnerability.id == "CVE-2021-3520")][0].evidence | test("matched as lz4 0.0~r131-2ubuntu3\\)") and test("Ubuntu:18.04:LTS advisory data")'
assert_json "Ubuntu coverage complete (the Debian git package in Trivy's fixture is still a deb on Ubuntu)" "$OUT" \
  '.targets[0].vulnerability_coverage.complete == true'
# --exit-code-scanners on a completely covered scan: the rootfs also has a config finding (Ubuntu
# 18.04's end of life, high); its vulnerabilities are low and medium.
assert_json "the Ubuntu 18.04 rootfs has a high end-of-life finding" "$OUT" \
  '[.findings[] | select(.vulnerability == null and .severity == "high" and .status == "fail")] | length == 1'
run_bulwark ubuntu-exit-all rootfs "$U" --db "$UDB" --scanners vuln --exit-code 6 --fail-on high -q
assert_rc "without --exit-code-scanners the end-of-life finding trips --fail-on high" 6
run_bulwark ubuntu-exit-vuln rootfs "$U" --db "$UDB" --scanners vuln --exit-code 6 --fail-on high --exit-code-scanners vuln -q
assert_rc "--exit-code-scanners vuln: a config finding cannot fail a job that asked about high vulnerabilities" 0
run_bulwark ubuntu-exit-vuln-any rootfs "$U" --db "$UDB" --scanners vuln --exit-code 6 --exit-code-scanners vuln -q
assert_rc "--exit-code-scanners vuln without --fail-on: the low/medium vulnerabilities do" 6
# The same inventory named Ubuntu 20.04: the 18.04 fix does not apply there, and lz4 0.0~r131 is
# not a focal version, so only the unbounded coreutils entry of 20.04 matches.
sed -i 's/VERSION_ID="18.04"/VERSION_ID="20.04"/; s/bionic/focal/' "$U/etc/os-release"
run_bulwark ubuntu2004 rootfs "$U" --db "$UDB" --scanners vuln --format json
jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.vulnerability.id)"' "$OUT" | sort >"$W/ubuntu2004.actual"
printf 'coreutils CVE-2016-2781\nliblz4-1 CVE-2021-3520\n' >"$W/ubuntu2004.expected"
assert_files_equal "Ubuntu 20.04: the focal entries decide (lz4 below focal's fix, coreutils unfixed)" "$W/ubuntu2004.expected" "$W/ubuntu2004.actual"
assert_json "Ubuntu 20.04: lz4's fix is focal's" "$OUT" \
  '[.findings[] | select(.vulnerability.id == "CVE-2021-3520")][0].vulnerability.fixed_version == "1.9.2-2ubuntu0.20.04.1"'
# An Ubuntu release the database has nothing for: not an all-clear.
sed -i 's/VERSION_ID="20.04"/VERSION_ID="23.10"/' "$U/etc/os-release"
run_bulwark ubuntu2310 rootfs "$U" --db "$UDB" --scanners vuln --exit-code 7
assert_rc "Ubuntu 23.10 without data fails --exit-code" 7
assert_grep "Ubuntu 23.10: the table names the ecosystem" "$OUT" 'no advisories for ecosystem Ubuntu:23.10'

e2e_finish
