#!/usr/bin/env bash
# The SARIF schema test: writes sample SARIF logs with report::write_sarif and
# validates them with validate.mjs against the official SARIF 2.1.0 JSON schema
# (sarif-2.1.0-rtm.5 as shipped by @microsoft/jest-sarif) plus GitHub code
# scanning's own rules; then checks that broken logs are rejected.
# Usage: run-sarif-test.sh SAMPLES_EXECUTABLE WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
samples="$1"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
export BULWARK_SCHEMA_NODE="${BULWARK_SCHEMA_NODE:-$work/../schema-node}"

bash "$here/setup.sh" "$BULWARK_SCHEMA_NODE"

rm -rf "$work/sarif"
"$samples" "$work/sarif" >/dev/null
node "$here/validate.mjs" sarif "$work/sarif"/*.sarif

mkdir -p "$work/sarif-broken"
node -e '
const fs = require("fs");
const [dir, out] = process.argv.slice(1);
const load = () => JSON.parse(fs.readFileSync(dir + "/image.sarif"));
const emit = (name, doc) => fs.writeFileSync(out + "/" + name + ".sarif", JSON.stringify(doc));
let d = load(); d.runs[0].results[0].level = "fatal"; emit("bad-level", d);
d = load(); delete d.runs[0].tool.driver.name; emit("no-driver-name", d);
d = load(); d.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0; emit("line-zero", d);
d = load(); d.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri = "/etc/passwd"; emit("absolute-uri", d);
d = load(); d.runs[0].results[0].locations = []; emit("no-location", d);
d = load(); d.runs[0].results[0].ruleId = "NOT-A-RULE"; emit("unknown-rule", d);
d = load(); d.runs[0].results[0].suppressions[0].kind = "ignored"; emit("bad-suppression-kind", d);
d = load(); d.runs[0].tool.driver.rules[0].properties["security-severity"] = "high"; emit("bad-security-severity", d);
d = load(); d.version = "2.0.0"; emit("bad-version", d);
' "$work/sarif" "$work/sarif-broken"
for f in "$work/sarif-broken"/*.sarif; do
  if node "$here/validate.mjs" sarif "$f" 2>"$f.errors"; then
    echo "sarif test: the validator accepted the broken log $f" >&2
    exit 1
  fi
  echo "rejected as expected: $(basename "$f"): $(sed -n 2p "$f.errors")"
done
echo "sarif test: all sample logs valid, all broken logs rejected"
