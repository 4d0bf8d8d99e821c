#!/usr/bin/env bash
# The schema test: writes sample SBOMs and bulwark/v1 reports with bulwark's
# writers, then validates them with validate.mjs (official CycloneDX 1.5 schema;
# SPDX 2.3 rules; docs/formats/bulwark-v1.schema.json).
# Usage: run-schema-test.sh SAMPLES_EXECUTABLE WORK_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
samples="$1"
mkdir -p "$2"
work="$(cd "$2" && pwd)"
export BULWARK_SCHEMA_NODE="${BULWARK_SCHEMA_NODE:-$work/../schema-node}"

bash "$here/setup.sh" "$BULWARK_SCHEMA_NODE"

rm -rf "$work/samples"
"$samples" "$work/samples"
node "$here/validate.mjs" cyclonedx "$work/samples"/*.cdx.json
node "$here/validate.mjs" spdx "$work/samples"/*.spdx.json
node "$here/validate.mjs" bulwark "$work/samples"/*.bulwark.json

# The validator must also reject what is wrong, or the checks above prove nothing.
mkdir -p "$work/broken"
node -e '
const fs = require("fs");
const [dir, out] = process.argv.slice(1);
const cdx = JSON.parse(fs.readFileSync(dir + "/image.cdx.json"));
cdx.components[1].type = "packaged-thing";
fs.writeFileSync(out + "/bad-type.cdx.json", JSON.stringify(cdx));
const dup = JSON.parse(fs.readFileSync(dir + "/image.cdx.json"));
dup.components[2]["bom-ref"] = dup.components[1]["bom-ref"];
fs.writeFileSync(out + "/dup-ref.cdx.json", JSON.stringify(dup));
const lic = JSON.parse(fs.readFileSync(dir + "/image.cdx.json"));
lic.components[1].licenses = [{ license: { id: "GPL-2+" } }];
fs.writeFileSync(out + "/bad-licence-id.cdx.json", JSON.stringify(lic));
const spdx = JSON.parse(fs.readFileSync(dir + "/image.spdx.json"));
spdx.packages[2].SPDXID = "SPDXRef-a_b";
fs.writeFileSync(out + "/bad-id.spdx.json", JSON.stringify(spdx));
const spdx2 = JSON.parse(fs.readFileSync(dir + "/image.spdx.json"));
spdx2.packages[2].licenseDeclared = "GPL-2+";
fs.writeFileSync(out + "/bad-licence.spdx.json", JSON.stringify(spdx2));
const spdx3 = JSON.parse(fs.readFileSync(dir + "/image.spdx.json"));
delete spdx3.packages[2].filesAnalyzed;
fs.writeFileSync(out + "/files-analyzed.spdx.json", JSON.stringify(spdx3));
const own = JSON.parse(fs.readFileSync(dir + "/image.bulwark.json"));
own.targets[0].packages[0].source = "";
fs.writeFileSync(out + "/empty-field.bulwark.json", JSON.stringify(own));
const own2 = JSON.parse(fs.readFileSync(dir + "/image.bulwark.json"));
own2.findings[0].severity = "severe";
fs.writeFileSync(out + "/bad-severity.bulwark.json", JSON.stringify(own2));
' "$work/samples" "$work/broken"
for f in "$work/broken"/*.json; do
  format=cyclonedx
  case "$f" in *.spdx.json) format=spdx ;; *.bulwark.json) format=bulwark ;; esac
  if node "$here/validate.mjs" "$format" "$f" 2>"$f.errors"; then
    echo "schema test: the validator accepted the broken document $f" >&2
    exit 1
  fi
  echo "rejected as expected: $(basename "$f"): $(sed -n 2p "$f.errors")"
done
echo "schema test: all sample documents valid, all broken documents rejected"
