#!/usr/bin/env bash
# Oracle Linux: ELSA OVAL (tests/data/oracle-oval, Oracle's own OVAL from vuln-list-update's test data)
# imported with `db import` and matched in "Oracle Linux:<major>" (docs/vulnerability-scanning.md):
#  - an SBOM of Oracle Linux 7: sudo below ELSA-2019-4821 gets CVE-2019-14287 with Oracle's fixed EVR
#    and "IMPORTANT"; the UEK kernel below ELSA-2019-4820 is found; at the fixed EVR nothing;
#  - an SBOM of Oracle Linux 6: dbus-libs at 1.2.24-7.0.1.el6_3 without an epoch is below the fix's
#    epoch 1 (rpm's rule), with epoch 1 it is fixed;
#  - an SBOM of Oracle Linux 9: the data holds no Oracle Linux 9, so the scan says so instead of an
#    all-clear.
. "$(dirname "$0")/lib.sh"
e2e_init vuln_oracle_oval
e2e_require_cmd jq
DATA="$BULWARK_SOURCE_DIR/tests/data/oracle-oval"

DB="$W/ol.db"
run_bulwark import db import --db "$DB" "$DATA"
assert_rc "import the Oracle OVAL files (one broken)" 0
assert_grep "the ELSA definitions imported" "$OUT" '^oracle-oval +[0-9]+$'
assert_grep "the broken document is named" "$ERR" 'broken-oval-data.xml.*not well-formed XML'

sbom() {  # FILE DISTRO NAME@VERSION[?QUALIFIERS]...
  local file=$1 distro=$2
  shift 2
  local comps=() c
  for c in "$@"; do
    local name=${c%%@*} rest=${c#*@}
    local version=${rest%%\?*} q=""
    [ "$rest" != "$version" ] && q="&${rest#*\?}"
    comps+=("{\"type\":\"library\",\"name\":\"$name\",\"version\":\"$version\",\"purl\":\"pkg:rpm/oracle/$name@$version?arch=x86_64&distro=$distro$q\"}")
  done
  local IFS=,
  printf '{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":[%s]}' "${comps[*]}" >"$file"
}
findings() { jq -r '.findings[] | select(.vulnerability) | "\(.package.name) \(.package.version) \(.vulnerability.id) \(.vulnerability.fixed_version // "-") \(.vulnerability.state) \(.severity)"' "$OUT" | sort; }

sbom "$W/ol7.cdx.json" ol-7.9 sudo@1.8.23-4.el7 sudo-devel@1.8.23-4.0.1.el7 kernel-uek@4.14.35-1902.5.2.el7uek
run_bulwark ol7 sbom-scan "$W/ol7.cdx.json" --db "$DB" --format json
assert_rc "scan of the Oracle Linux 7 SBOM" 0
findings >"$W/ol7.actual"
cat >"$W/ol7.expected" <<'X'
sudo 1.8.23-4.el7 CVE-2019-14287 1.8.23-4.0.1.el7 fixed high
X
jq -r '.findings[] | select(.vulnerability) | select(.package.name == "kernel-uek") | .vulnerability.fixed_version' "$OUT" | sort -u >"$W/uek.actual"
grep -v '^kernel-uek ' "$W/ol7.actual" >"$W/ol7.nouek" || true
assert_files_equal "Oracle Linux 7: sudo below ELSA-2019-4821, Oracle's IMPORTANT; sudo-devel at the fix not reported" \
  "$W/ol7.expected" "$W/ol7.nouek"
printf '4.14.35-1902.6.6.el7uek\n' >"$W/uek.expected"
assert_files_equal "Oracle Linux 7: the UEK kernel below ELSA-2019-4820" "$W/uek.expected" "$W/uek.actual"
assert_grep "evidence names the ecosystem and the ELSA" "$OUT" 'Oracle Linux:7 advisory data: oracle-oval ELSA-2019-4821'

sbom "$W/ol6.cdx.json" ol-6.10 dbus-libs@1.2.24-7.0.1.el6_3
run_bulwark ol6 sbom-scan "$W/ol6.cdx.json" --db "$DB" --format json
assert_rc "scan of the Oracle Linux 6 SBOM" 0
assert_json "Oracle Linux 6: epoch 0 is below the fix's epoch 1" "$OUT" \
  '[.findings[] | select(.vulnerability) | .vulnerability.fixed_version] | unique == ["1:1.2.24-7.0.1.el6_3"]'
sbom "$W/ol6e.cdx.json" ol-6.10 'dbus-libs@1.2.24-7.0.1.el6_3?epoch=1'
run_bulwark ol6e sbom-scan "$W/ol6e.cdx.json" --db "$DB" --format json
assert_json "Oracle Linux 6: with epoch 1 at the fix, no finding" "$OUT" '[.findings[] | select(.vulnerability)] | length == 0'

sbom "$W/ol9.cdx.json" ol-9.4 sudo@1.9.5p2-10.el9
run_bulwark ol9 sbom-scan "$W/ol9.cdx.json" --db "$DB" --format json
assert_rc "scan of the Oracle Linux 9 SBOM" 0
assert_json "Oracle Linux 9 against data without it: not covered, no finding" "$OUT" \
  '(.targets[0].vulnerability_coverage.complete == false) and ([.findings[] | select(.vulnerability)] | length == 0)'
assert_grep "Oracle Linux 9: the gap names the ecosystem" "$ERR" 'no advisories for ecosystem Oracle Linux:9'

e2e_finish
