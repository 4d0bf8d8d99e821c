#!/usr/bin/env bash
# Red Hat: CSAF VEX documents (tests/data/redhat-csaf, trivy-db's excerpts) imported with `db import`
# and matched in "Red Hat:enterprise_linux:<major>" (docs/vulnerability-scanning.md):
#  - an SBOM of RHEL 9 packages: pam below its fix gets CVE-2024-10041 with RHSA-2024:9941's EVR and
#    Red Hat's "Moderate"; epoch 0 is below the fix's epoch 1; at the fixed EVR nothing is reported;
#    none_available products are reported unfixed; a module stream build is not matched (limit);
#  - a product Red Hat lists as known_not_affected gives no finding, yet the package counts as checked;
#  - the real UBI 8 rpm database (shared pkgdb) under a RHEL 8 os-release: the documents hold no
#    RHEL 8 data, so the scan says so by ecosystem name instead of an all-clear.
. "$(dirname "$0")/lib.sh"
e2e_init vuln_redhat_csaf
e2e_require_cmd jq
PKGDB="$BULWARK_SHARED_DIR/data/pkgdb/rpm"
[ -f "$PKGDB/go-rpmdb_libuuid_Packages" ] || e2e_missing "shared pkgdb not found under $PKGDB"
DATA="$BULWARK_SOURCE_DIR/tests/data/redhat-csaf"

DB="$W/rh.db"
run_bulwark import db import --db "$DB" "$DATA"
assert_rc "import the Red Hat CSAF VEX excerpts" 0
assert_grep "three CVEs with RHEL rpm data imported" "$OUT" '^redhat-csaf +3$'

sbom() {  # FILE DISTRO NAME@VERSION[?QUALIFIERS]...
  local file=$1 distro=$2
  shift 2
  local comps=() c
  for c in "$@"; do
    local name=${c%%@*} rest=${c#*@}
    local version=${rest%%\?*} q=""
    [ "$rest" != "$version" ] && q="&${rest#*\?}"
    comps+=("{\"type\":\"library\",\"name\":\"$name\",\"version\":\"$version\",\"purl\":\"pkg:rpm/redhat/$name@$version?arch=x86_64&distro=$distro$q\"}")
  done
  local IFS=,
  printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[%s]}' "${comps[*]}" >"$file"
}
findings() { jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.package.version) \(.vulnerability.id) \(.vulnerability.fixed_version // "-") \(.vulnerability.state) \(.severity)"' "$OUT" | sort; }

sbom "$W/el9.cdx.json" rhel-9.5 pam@1.5.1-20.el9 test-package@1.0.0-1.el9 affected-package-bin@3.0-1.el9 \
  'modular-package@2.4.37-60.module+el8.9.0+20000+00000000'
run_bulwark el9 sbom-scan "$W/el9.cdx.json" --db "$DB" --format json
assert_rc "scan of the RHEL 9 SBOM" 0
findings >"$W/el9.actual"
cat >"$W/el9.expected" <<'X'
affected-package-bin 3.0-1.el9 CVE-2024-11111 - unfixed high
affected-package-bin 3.0-1.el9 CVE-2024-22222 - unfixed critical
pam 1.5.1-20.el9 CVE-2024-10041 1.5.1-21.el9_5 fixed medium
test-package 1.0.0-1.el9 CVE-2024-11111 1:1.0.0-1.el9 fixed high
test-package 1.0.0-1.el9 CVE-2024-22222 1:1.0.0-1.el9 fixed critical
X
assert_files_equal "RHEL 9: fixed EVRs, epochs, unfixed states and Red Hat's severities" "$W/el9.expected" "$W/el9.actual"
assert_grep "evidence names the ecosystem and the source" "$OUT" 'Red Hat:enterprise_linux:9 advisory data: redhat-csaf CVE-2024-10041'
assert_grep "none_available details shown" "$OUT" 'vendor state: unfixed: Affected'

sbom "$W/el9-fixed.cdx.json" rhel-9.5 pam@1.5.1-21.el9_5 'test-package@1.0.0-1.el9?epoch=1'
run_bulwark el9-fixed sbom-scan "$W/el9-fixed.cdx.json" --db "$DB" --format json
assert_rc "scan of the patched RHEL 9 SBOM" 0
assert_json "RHEL 9 at the fixed EVRs (epoch 1 included): no finding" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'
assert_json "RHEL 9 at the fixed EVRs: both packages checked" "$OUT" '.targets[0].vulnerability_coverage | .checked == 2 and .complete == true'

# known_not_affected: the real pam document with a RHEL 8 product Red Hat marks not affected (the
# trimmed excerpt lost its product_status lists; this adds one in Red Hat's own shape).
mkdir -p "$W/na"
jq '.product_tree.branches[0].branches += [{"category":"product_name","name":"Red Hat Enterprise Linux 8",
      "product":{"name":"Red Hat Enterprise Linux 8","product_id":"red_hat_enterprise_linux_8",
        "product_identification_helper":{"cpe":"cpe:/o:redhat:enterprise_linux:8"}}}]
    | .product_tree.relationships += [{"category":"default_component_of",
      "full_product_name":{"name":"pam as a component of Red Hat Enterprise Linux 8","product_id":"red_hat_enterprise_linux_8:pam"},
      "product_reference":"pam","relates_to_product_reference":"red_hat_enterprise_linux_8"}]
    | .vulnerabilities[0].product_status = {"known_not_affected":["red_hat_enterprise_linux_8:pam"]}' \
  "$DATA/cve-2024-10041.json" >"$W/na/cve-2024-10041.json"
NADB="$W/na.db"
run_bulwark na-import db import --db "$NADB" "$W/na"
assert_rc "import the document with a not-affected product" 0
sbom "$W/el8.cdx.json" rhel-8.9 pam@1.3.1-25.el8
run_bulwark el8 sbom-scan "$W/el8.cdx.json" --db "$NADB" --format json
assert_rc "scan of the RHEL 8 SBOM" 0
assert_json "RHEL 8 pam, known_not_affected: no finding" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'
assert_json "RHEL 8 pam: checked against Red Hat:enterprise_linux:8" "$OUT" '.targets[0].vulnerability_coverage | .checked == 1 and .complete == true'

# The real UBI 8 rpm database (libuuid 2.32.1-42.el8_8, source util-linux) under RHEL's os-release.
UBI="$W/ubi8"
mkdir -p "$UBI/etc" "$UBI/var/lib/rpm"
printf 'NAME="Red Hat Enterprise Linux"\nID="rhel"\nVERSION_ID="8.9"\nCPE_NAME="cpe:/o:redhat:enterprise_linux:8::baseos"\n' >"$UBI/etc/os-release"
cp "$PKGDB/go-rpmdb_libuuid_Packages" "$UBI/var/lib/rpm/Packages"
run_bulwark ubi rootfs "$UBI" --db "$DB" --format json
assert_rc "scan of the UBI 8 rootfs" 0
assert_json "UBI 8 against RHEL 9-only data: not covered, no finding" "$OUT" \
  '(.targets[0].vulnerability_coverage.complete == false) and ([.findings[] | select(.vulnerability)] | length == 0)'
assert_grep "UBI 8: the gap names Red Hat:enterprise_linux:8" "$ERR" 'no advisories for ecosystem Red Hat:enterprise_linux:8'
run_bulwark ubi-na rootfs "$UBI" --db "$NADB" --format json
assert_rc "scan of the UBI 8 rootfs with RHEL 8 data present" 0
assert_json "UBI 8 with RHEL 8 data: libuuid checked (by binary and source name), no finding" "$OUT" \
  '(.targets[0].vulnerability_coverage | .checked == 1 and .complete == true) and ([.findings[] | select(.vulnerability)] | length == 0)'

e2e_finish
