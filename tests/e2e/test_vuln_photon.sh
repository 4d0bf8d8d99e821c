#!/usr/bin/env bash
# Photon OS: VMware's cve_data_photon<release>.json files (tests/data/photon, vuln-list-update's test
# data) imported with `db import` and matched in "Photon OS:<release>": a Photon 3.0 SBOM's
# apache-tomcat below both fixes gets both CVEs (severity from the CVSS score), curl listed "Not
# Affected" gives no finding yet is checked, and a Photon 5.0 SBOM is reported as not covered.
. "$(dirname "$0")/lib.sh"
e2e_init vuln_photon
e2e_require_cmd jq
DATA="$BULWARK_SOURCE_DIR/tests/data/photon"

DB="$W/photon.db"
run_bulwark import db import --db "$DB" "$DATA"
assert_rc "import the Photon CVE files" 0
assert_grep "Photon 3.0 CVEs imported" "$OUT" '^photon:3.0 +6$'

sbom() {  # FILE DISTRO NAME@VERSION...
  local file=$1 distro=$2
  shift 2
  local comps=() c
  for c in "$@"; do
    local name=${c%%@*} version=${c#*@}
    comps+=("{\"type\":\"library\",\"name\":\"$name\",\"version\":\"$version\",\"purl\":\"pkg:rpm/photon/$name@$version?arch=x86_64&distro=$distro\"}")
  done
  local IFS=,
  printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[%s]}' "${comps[*]}" >"$file"
}
sbom "$W/ph3.cdx.json" photon-3.0 apache-tomcat@8.5.35-1.ph3 curl@7.61.1-1.ph3 ansible@2.7.6-2.ph3
run_bulwark ph3 sbom-scan "$W/ph3.cdx.json" --db "$DB" --format json
assert_rc "scan of the Photon 3.0 SBOM" 0
jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.vulnerability.id) \(.vulnerability.fixed_version) \(.severity)"' "$OUT" | sort >"$W/ph3.actual"
cat >"$W/ph3.expected" <<'X'
apache-tomcat CVE-2019-0199 8.5.40-1.ph3 high
apache-tomcat CVE-2019-10072 8.5.40-2.ph3 high
X
assert_files_equal "Photon 3.0: tomcat below both fixes; curl not affected; ansible at its fix" "$W/ph3.expected" "$W/ph3.actual"
assert_json "Photon 3.0: all three packages checked" "$OUT" '.targets[0].vulnerability_coverage | .checked == 3 and .complete == true'

sbom "$W/ph5.cdx.json" photon-5.0 curl@8.1.2-1.ph5
run_bulwark ph5 sbom-scan "$W/ph5.cdx.json" --db "$DB" --format json
assert_rc "scan of the Photon 5.0 SBOM" 0
assert_json "Photon 5.0 without data: not covered" "$OUT" '.targets[0].vulnerability_coverage.complete == false'
assert_grep "Photon 5.0: the gap names the ecosystem" "$ERR" 'no advisories for ecosystem Photon OS:5.0'

e2e_finish
