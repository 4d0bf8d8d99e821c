#!/usr/bin/env bash
# Base-image detection and bump advice (docs/base-images.md), on a real base image in a real
# registry:
#  - the tags of $REPO are made from the Debian 12 image of setup-images.sh with real operations:
#    12.5 is that image; 12.6, 12.8 and 12.9-slim are `docker build`s on it that `dpkg --purge`
#    packages (mount; the e2fsprogs binaries; both and apt), so newer tags have fewer findings;
#    13.1 and 14.0 are majors (the 12.9-slim and the 12.6 images), latest and bookworm other
#    names of 12.8 and 12.5;
#  - the app is bulwark-e2e/app:1 from setup-images.sh, built FROM bulwark-e2e/debian:12 (= 12.5)
#    with curl on top, as pushed to the registry;
#  - the advisory database: Debian 12 OSV records written here with the ids and CVEs of real
#    DSAs read from the shared security-tracker list (which predates bookworm, so it has no
#    bookworm lines of its own), each fixed in a version after the one installed, and a CVSS
#    vector chosen for each so that the severities differ.
# Asserted: the base found by the diff-ID prefix (12.5, not bookworm), the base/top attribution,
# the advice (which tag, how many fixed, by severity), the SBOM cache on a second run, the
# Dockerfile's FROM and the annotations as sources, an OCI layout as the candidates.
. "$(dirname "$0")/lib.sh"
e2e_init base_image
e2e_require_cmd jq skopeo sha256sum
SHARED_ADV="$BULWARK_SHARED_DIR/data/advisories"
DSA_LIST="$SHARED_ADV/debian-security-tracker/DSA.list"
[ -f "$DSA_LIST" ] || e2e_missing "the shared Debian tracker list is missing: $DSA_LIST"
e2e_setup_images
T0=$SECONDS

REPO="$REGISTRY/e2e-baseimage/debian"
APP="docker://$REGISTRY/bulwark-e2e/app:1"
SRC="docker://$REPO"
COMMON=(--creds "$REG_CREDS" --tls-verify=false --cache-dir "$W/cache")

# ---- the base's tags --------------------------------------------------------------------------
derive() {  # TAG PACKAGES...: FROM the Debian 12 image, dpkg --purge PACKAGES
  local tag="$1"; shift
  printf 'FROM bulwark-e2e/debian:12\nRUN dpkg --purge %s\n' "$*" |
    DOCKER_BUILDKIT=0 docker build -q --network none -t "$REPO:$tag" - >"$W/build-$tag.log" 2>&1
}
push() {  # TAG: from the Docker engine to the registry
  skopeo copy -q --dest-creds "$REG_CREDS" --dest-tls-verify=false "docker-daemon:$REPO:$1" "docker://$REPO:$1" \
    >"$W/push-$1.log" 2>&1
}
retag() {  # FROM TO: in the registry (the manifest only; the blobs are there)
  skopeo copy -q --src-creds "$REG_CREDS" --src-tls-verify=false --dest-creds "$REG_CREDS" --dest-tls-verify=false \
    "docker://$REPO:$1" "docker://$REPO:$2" || e2e_fatal "skopeo copy $REPO:$1 -> $2 failed"
}
wait_all() {  # WHAT: waits for the background jobs; any failure is fatal
  local pid bad=0
  for pid in $(jobs -p); do wait "$pid" || bad=1; done
  [ "$bad" = 0 ] || { cat "$W"/build-*.log "$W"/push-*.log >&2 2>/dev/null; e2e_fatal "$1 failed"; }
}
E2FS="e2fsprogs logsave libext2fs2 libss2 libcom-err2"
docker tag bulwark-e2e/debian:12 "$REPO:12.5"
push 12.5 &
derive 12.6 mount &
derive 12.8 $E2FS &
derive 12.9-slim $E2FS mount apt libapt-pkg6.0 &
wait_all "docker build of the tags"
push 12.6 &
push 12.8 &
push 12.9-slim &
wait_all "pushing the tags"
retag 12.9-slim 13.1
retag 12.6 14.0
retag 12.8 latest
retag 12.5 bookworm
echo "   tags built and pushed ($((SECONDS - T0)) s)"

# ---- the advisory database --------------------------------------------------------------------
ver() {  # SOURCE-PACKAGE: its (source) version in the Debian image
  awk -F'\t' -v s="$1" '$3 == s { print ($4 != "" ? $4 : $2); exit }' "$BASE_TRUTH" "$APP_TRUTH"
}
record() {  # DSA SOURCE VECTOR
  local line cves
  line="$(grep -A1 " $1 " "$DSA_LIST" | tail -1 | tr -d '\t{}')"
  [ -n "$line" ] || e2e_fatal "$1 is not in $DSA_LIST"
  cves="$(jq -Rc 'split(" ")' <<<"$line")"
  local v; v="$(ver "$2")"
  [ -n "$v" ] || e2e_fatal "source package $2 is not in the image"
  jq -n --arg id "$1" --argjson cves "$cves" --arg src "$2" --arg fix "$v+fix1" --arg vec "$3" '{
    schema_version: "1.6.0", id: $id, aliases: $cves, modified: "2024-01-01T00:00:00Z",
    summary: ($src + " - security update"), severity: [{type: "CVSS_V3", score: $vec}],
    affected: [{package: {ecosystem: "Debian:12", name: $src},
                ranges: [{type: "ECOSYSTEM", events: [{introduced: "0"}, {fixed: $fix}]}]}]}' >"$W/adv/$1.json"
}
mkdir -p "$W/adv"
record DSA-4535-1 e2fsprogs 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H'   # 6.7 medium
record DSA-5055-1 util-linux 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H'  # 5.5 medium
record DSA-4371-1 apt 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H'         # 8.1 high
record DSA-5218-1 zlib 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'        # 9.8 critical
record DSA-5365-1 curl 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H'        # 7.5 high (the app's layer)
DB="$W/debian12.db"
run_bulwark import db import --db "$DB" "$W/adv"
assert_rc "import the Debian 12 records" 0

# ---- 1. detection by layers, attribution, advice (JSON) ----------------------------------------
run_bulwark base-json base "$APP" --base-images "$SRC" --db "$DB" "${COMMON[@]}" --format json
assert_rc "bulwark base --format json" 0
B='.targets[0].base_image'
assert_json "found by the diff-ID prefix: 12.5 (the version tag, not bookworm, of the same image)" "$OUT" \
  "$B | .found and .source == \"layers\" and .tag == \"12.5\" and .name == \"$REPO:12.5\" and .layers == 1 and .layers_confirmed"
assert_json "the base's one layer is the app's first" "$OUT" \
  "$B.diff_ids == [.targets[0].image.layers[0].diff_id]"
assert_json "the evidence says how" "$OUT" "$B.evidence | test(\"first 1 of 5 layers\")"
assert_json "vulnerabilities from the base: 16 (1 critical, 2 high, 13 medium)" "$OUT" \
  "$B.vulnerabilities.base | .total == 16 and .critical == 1 and .high == 2 and .medium == 13"
assert_json "from the layers on top: curl and libcurl4 (2 high)" "$OUT" \
  "$B.vulnerabilities.top | .total == 2 and .high == 2"
assert_json "each finding says where it comes from" "$OUT" \
  '([.findings[] | select(.origin == "top") | .package.name] | sort) == ["curl", "libcurl4"] and ([.findings[] | select(.origin == "base")] | length) == 16'
assert_json "candidates: the newer tags without a variant, newest first (not 12.9-slim, latest, bookworm)" "$OUT" \
  "[$B.advice.candidates[].tag] == [\"14.0\", \"13.1\", \"12.8\", \"12.6\"]"
assert_json "the base itself: 16" "$OUT" "$B.advice.current.total == 16"
assert_json "update: 12.8 fixes 5 (the e2fsprogs binaries, medium), not the newer 12.6" "$OUT" \
  "$B.advice.update | .tag == \"12.8\" and .fixed.total == 5 and .fixed.medium == 5 and .added.total == 0"
assert_json "major: 13.1 fixes 8 (2 high: apt), not the newer 14.0 (1)" "$OUT" \
  "$B.advice.major | .tag == \"13.1\" and .fixed.total == 8 and .fixed.high == 2 and .fixed.medium == 6"
assert_json "14.0 fixes 1, 12.6 fixes 1, both marked" "$OUT" \
  "[$B.advice.candidates[] | select(.tag == \"14.0\" or .tag == \"12.6\") | [.fixed.total, .major_change]] == [[1, true], [1, false]]"
assert_json "the first run scanned every candidate (no cache)" "$OUT" "[$B.advice.candidates[].cached] | all | not"
if command -v python3 >/dev/null && python3 -c 'import jsonschema' 2>/dev/null; then
  assert_true "the document validates against docs/formats/bulwark-v1.schema.json" \
    python3 -c 'import json,sys,jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' \
    "$OUT" "$BULWARK_SOURCE_DIR/docs/formats/bulwark-v1.schema.json"
fi

# ---- 2. the table, from the SBOM cache ----------------------------------------------------------
run_bulwark base-table base "$APP" --base-images "$SRC" --db "$DB" "${COMMON[@]}"
assert_rc "bulwark base (table)" 0
assert_grep "the table names the base and how it was found" "$OUT" "^Base image: $REPO:12.5 @[0-9a-f]{12} \(found by layers:"
assert_grep "the table splits the vulnerabilities" "$OUT" \
  '^Vulnerabilities: 16 \(1 critical, 2 high, 13 medium\) from the base image.s 1 layer, 2 \(2 high\) from the 4 layers on top'
assert_grep "the update, Docker Scout's way" "$OUT" "Update: +FROM $REPO:12.5 -> 12.8 fixes 5 \(5 medium\)$"
assert_grep "the major change" "$OUT" "Major version: +FROM $REPO:12.5 -> 13.1 fixes 8 \(2 high, 6 medium\)$"
run_bulwark base-cached base "$APP" --base-images "$SRC" --db "$DB" "${COMMON[@]}" --format json
assert_json "a second run reads every candidate's SBOM from the cache, same answer" "$OUT" \
  "([$B.advice.candidates[].cached] | all) and $B.advice.update.tag == \"12.8\" and $B.advice.major.fixed.total == 8"
assert_true "the cache holds one SBOM per manifest digest (12.5, 12.6 = 14.0, 12.8, 13.1)" \
  test "$(find "$W/cache/base-images" -name '*.cdx.json' | wc -l)" -eq 4

# ---- 3. bulwark image with --base-images: the same, in the vulnerability table -----------------
run_bulwark image-base image "$APP" --base-images "$SRC" --db "$DB" "${COMMON[@]}" --scanners vuln
assert_rc "bulwark image --base-images" 0
assert_grep "the LAYER column says base or top" "$OUT" '^curl .* [0-9a-f]{12} top *$'
assert_grep "and the advice follows" "$OUT" "-> 12.8 fixes 5"

# ---- 4. the Dockerfile's FROM; a FROM the layers contradict ------------------------------------
printf 'ARG BASE=%s:12.5\nFROM $BASE AS build\nRUN true\nFROM build\nRUN true\n' "$REPO" >"$W/Dockerfile"
run_bulwark dockerfile base "$APP" --dockerfile "$W/Dockerfile" --db "$DB" "${COMMON[@]}" --format json --base-advice=false
assert_rc "bulwark base --dockerfile (the repository from FROM, through ARG and a stage)" 0
assert_json "found from the Dockerfile, confirmed by the layers" "$OUT" \
  "$B | .source == \"dockerfile\" and .tag == \"12.5\" and .layers_confirmed and .repository == \"$SRC\" and (has(\"advice\") | not)"
printf 'FROM %s:12.8\n' "$REPO" >"$W/Dockerfile.wrong"
run_bulwark dockerfile-wrong base "$APP" --dockerfile "$W/Dockerfile.wrong" --db "$DB" "${COMMON[@]}" --format json --base-advice=false
assert_json "a FROM the layers contradict: the layers win, with a note" "$OUT" \
  "$B | .source == \"layers\" and .tag == \"12.5\" and (.notes | any(test(\"says .*:12.8, but the layers match\")))"

printf 'FROM %s:12.5 AS build\nFROM scratch\nCOPY --from=build /etc/os-release /\n' "$REPO" >"$W/Dockerfile.scratch"
run_bulwark dockerfile-scratch base "$APP" --dockerfile "$W/Dockerfile.scratch" --db "$DB" "${COMMON[@]}"
assert_rc "a last stage FROM scratch: reported, not an error" 0
assert_grep "no base image, and why" "$OUT" '^Base image: not found$'
assert_grep "the note names the line" "$OUT" 'Dockerfile.scratch:2: the last stage is FROM scratch'

# ---- 5. the annotations; an OCI layout of candidates -------------------------------------------
L="$W/annotated"
cp -a "$IMG/images/app-oci-gzip" "$L"
MD="$(jq -r '.manifests[0].digest' "$L/index.json")"
jq -c --arg n "$REPO:12.5" '.annotations = {"org.opencontainers.image.base.name": $n}' \
  "$L/blobs/sha256/${MD#sha256:}" >"$W/manifest.json"
NEW="$(sha256sum "$W/manifest.json" | cut -d' ' -f1)"
cp "$W/manifest.json" "$L/blobs/sha256/$NEW"
jq --arg d "sha256:$NEW" --argjson s "$(stat -c %s "$W/manifest.json")" \
  '.manifests[0].digest = $d | .manifests[0].size = $s' "$L/index.json" >"$W/index.json" && mv "$W/index.json" "$L/index.json"
run_bulwark annotated base "oci:$L:1" --base-images "$SRC" --db "$DB" "${COMMON[@]}" --format json --base-advice=false
assert_json "found from the annotation, confirmed by the layers" "$OUT" \
  "$B | .source == \"annotations\" and .tag == \"12.5\" and .layers_confirmed and (.evidence | test(\"org.opencontainers.image.base.name\"))"

for tag in 12.5 12.8; do
  skopeo copy -q --src-creds "$REG_CREDS" --src-tls-verify=false "docker://$REPO:$tag" "oci:$W/bases:$tag" ||
    e2e_fatal "skopeo copy to oci:$W/bases:$tag failed"
done
run_bulwark oci-bases base "oci:$IMG/images/app-oci-gzip:1" --base-images "oci:$W/bases" --db "$DB" \
  --cache-dir "$W/cache" --format json
assert_json "an OCI layout as the candidates: 12.5 by layers, 12.8 fixes 5" "$OUT" \
  "$B | .source == \"layers\" and .tag == \"12.5\" and .advice.update.tag == \"12.8\" and .advice.update.fixed.total == 5"

# ---- 6. bad input -------------------------------------------------------------------------------
run_bulwark no-source base "oci:$IMG/images/app-oci-gzip:1" --db "$DB" --cache-dir "$W/cache"
assert_rc "no annotation, no Dockerfile, no --base-images: an error" 2
assert_grep "the error says what to give" "$ERR" 'give|name the candidates with --base-images'
run_bulwark tagged-source base "$APP" --base-images "$SRC:12.5" --db "$DB" "${COMMON[@]}"
assert_rc "--base-images with a tag: an error" 2
assert_grep "the error names the problem" "$ERR" 'names a repository, not one image'

echo "   suite body: $((SECONDS - T0)) s"
e2e_finish
