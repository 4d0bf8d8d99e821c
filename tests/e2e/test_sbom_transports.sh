#!/usr/bin/env bash
# `bulwark sbom` over every transport of the same app image (built by setup-images.sh) must report
# exactly the packages dpkg-query reports for its squashed rootfs (installed ones only: the removed
# "rc" procps and the purged less must not appear), on Debian 12, with deb purls, and with each
# package attributed to the layer that installed it. Whiteouts and opaque directories are checked
# through licences: dpkg's and sed's copyright files are gone in the app image (when the base image
# reports licences for them). bulwark's JSON and one CycloneDX output are schema-validated.
. "$(dirname "$0")/lib.sh"
e2e_init sbom_transports
e2e_setup_images

BASE_DIFF_ID="$(sed -n 1p "$IMG/truth/app.layers")"
APT_DIFF_ID="$(sed -n 4p "$IMG/truth/app.layers")"
APP_ID="$(docker image inspect --format '{{.Id}}' bulwark-e2e/app:1)"
oci_config_digest() {  # LAYOUT-DIR: config digest of the first manifest of an OCI layout
  local m; m="$(jq -r '.manifests[0].digest' "$1/index.json")"
  jq -r '.config.digest' "$1/blobs/sha256/${m#sha256:}"
}

# Expected layer of each package: a base-image package with the base version comes from the base
# layer; everything else from the apt layer.
awk -F'\t' -v base="$BASE_DIFF_ID" -v apt="$APT_DIFF_ID" '
  NR == FNR { inbase[$1 "\t" $2] = 1; next }
  { print $1 "\t" (($1 "\t" $2) in inbase ? base : apt) }' "$BASE_TRUTH" "$APP_TRUTH" >"$W/expected.layers.tsv"
grep -qP "^curl\t$APT_DIFF_ID\$" "$W/expected.layers.tsv" || e2e_fatal "ground truth: curl is not from the apt layer?"

# check NAME KIND EXPECTED-ID: the assertions every transport shares, on $W/NAME.out.
check_sbom() {  # NAME KIND EXPECTED-ID [EXPECTED-MANIFEST-DIGEST]
  local name="$1" kind="$2" want_id="$3" json="$W/$1.out"
  if [ ! -s "$json" ] || ! jq -e . "$json" >/dev/null 2>&1; then _fail "$name: stdout is not JSON"; _show "$json"; return; fi
  assert_json "$name: schema bulwark/v1, one target of kind $kind" "$json" \
    ".schema == \"bulwark/v1\" and (.targets | length) == 1 and .targets[0].kind == \"$kind\""
  assert_json "$name: os is debian 12 (bookworm)" "$json" \
    '.targets[0].os.id == "debian" and .targets[0].os.version_id == "12" and .targets[0].os.codename == "bookworm"'
  jq -r '.targets[0].packages[] | [.name, .version, .source, .source_version, .architecture] | @tsv' "$json" \
    | LC_ALL=C sort >"$W/$name.packages.tsv"
  assert_files_equal "$name: packages equal dpkg-query's ($(wc -l <"$APP_TRUTH") installed)" "$APP_TRUTH" "$W/$name.packages.tsv"
  assert_json "$name: every package is ecosystem deb with a pkg:deb/debian/ purl" "$json" \
    '[.targets[0].packages[] | (.ecosystem == "deb" and (.purl | startswith("pkg:deb/debian/")))] | all'
  assert_json "$name: curl's purl is pkg:deb/debian/curl@<version>?arch=amd64&distro=debian-12" "$json" \
    '[.targets[0].packages[] | select(.name == "curl") | .purl | test("^pkg:deb/debian/curl@[^?]+\\?arch=amd64&distro=debian-12$")] == [true]'
  assert_json "$name: purl versions percent-encode + and : (epochs)" "$json" \
    '[.targets[0].packages[] | .purl | capture("@(?<v>[^?]+)").v | test("[+:]") | not] | all'
  assert_json "$name: libc6 from source glibc" "$json" \
    '[.targets[0].packages[] | select(.name == "libc6") | .source] == ["glibc"]'
  assert_json "$name: no removed (procps, rc) or purged (less) package" "$json" \
    '[.targets[0].packages[] | select(.name == "procps" or .name == "less")] == []'
  local p
  for p in dpkg sed; do
    if [ -n "${BASE_LICENSE[$p]}" ]; then
      assert_json "$name: no licence for $p (its copyright file is gone: $([ $p = dpkg ] && echo whiteout || echo opaque dir))" "$json" \
        "[.targets[0].packages[] | select(.name == \"$p\") | (.license == null or .license == \"\" or .license == [])] == [true]"
    fi
  done
  if [ "$kind" = image ]; then
    assert_eq "$name: target id is the config digest" "$want_id" "$(jq -r '.targets[0].id' "$json")"
    assert_eq "$name: image.config_digest" "$want_id" "$(jq -r '.targets[0].image.config_digest' "$json")"
    assert_eq "$name: image layers' diff_ids (oldest first)" "$(cat "$IMG/truth/app.layers")" \
      "$(jq -r '.targets[0].image.layers[].diff_id' "$json")"
    assert_json "$name: image is linux/amd64" "$json" '.targets[0].image.os == "linux" and .targets[0].image.architecture == "amd64"'
    # Only sources with a registry-style manifest have a manifest digest (not docker save / the daemon).
    if [ -n "${4:-}" ]; then
      assert_eq "$name: image.manifest_digest" "$4" "$(jq -r '.targets[0].image.manifest_digest' "$json")"
    fi
    jq -r '.targets[0].packages[] | [.name, .layer] | @tsv' "$json" | LC_ALL=C sort >"$W/$name.layers.tsv"
    assert_files_equal "$name: layer of each package (base layer vs the apt layer)" "$W/expected.layers.tsv" "$W/$name.layers.tsv"
  fi
}

declare -A BASE_LICENSE=([dpkg]="" [sed]="")
# The base image alone: its own ground truth, all from its single layer.
run_bulwark base-docker-archive sbom "docker-archive:$IMG/images/debian.tar" --format json --quiet
assert_rc "base image (docker-archive)" 0
if [ "$RC" -eq 0 ]; then
  jq -r '.targets[0].packages[] | [.name, .version, .source, .source_version, .architecture] | @tsv' "$OUT" \
    | LC_ALL=C sort >"$W/base.packages.tsv"
  assert_files_equal "base image: packages equal dpkg-query's" "$BASE_TRUTH" "$W/base.packages.tsv"
  assert_json "base image: every package in the base layer" "$OUT" \
    "[.targets[0].packages[] | .layer == \"$BASE_DIFF_ID\"] | all"
  # Licences come from /usr/share/doc/<pkg>/copyright. The app image removes dpkg's doc folder
  # (a whiteout) and makes sed's opaque (its copyright file hidden only by .wh..wh..opq).
  for p in dpkg sed; do
    BASE_LICENSE[$p]="$(jq -r --arg p "$p" '[.targets[0].packages[] | select(.name == $p) | .license // empty | tostring] | join(",")' "$OUT")"
  done
fi
[ -n "${BASE_LICENSE[sed]}" ] || echo "   note: no licence for sed in the base image: the whiteout/opaque licence checks are not run"



CREDS_ARGS=(--creds "$REG_CREDS" --tls-verify=false)
# name | kind | expected id | target | extra args
# MANIFEST_DIGEST (the expected image.manifest_digest) is read by check_sbom; empty = not checked.
run_case() {
  local name="$1" kind="$2" want_id="$3" target="$4"; shift 4
  run_bulwark "$name" sbom "$target" --format json --quiet "$@"
  assert_rc "$name ($target)" 0
  [ "$RC" -eq 0 ] && check_sbom "$name" "$kind" "$want_id" "${MANIFEST_DIGEST:-}"
  MANIFEST_DIGEST=""
  return 0
}
oci_manifest_digest() { jq -r '.manifests[0].digest' "$1/index.json"; }

run_case docker-archive image "$APP_ID" "docker-archive:$IMG/images/app.tar"
MANIFEST_DIGEST="$(oci_manifest_digest "$IMG/images/app-oci-gzip")"
run_case oci-gzip image "$(oci_config_digest "$IMG/images/app-oci-gzip")" "oci:$IMG/images/app-oci-gzip:1"
MANIFEST_DIGEST="$(oci_manifest_digest "$IMG/images/app-oci-zstd")"
run_case oci-zstd image "$(oci_config_digest "$IMG/images/app-oci-zstd")" "oci:$IMG/images/app-oci-zstd"
mkdir -p "$W/oci-archive-x" && tar -C "$W/oci-archive-x" -xf "$IMG/images/app-oci.tar" index.json blobs
MANIFEST_DIGEST="$(oci_manifest_digest "$W/oci-archive-x")"
run_case oci-archive image "$(oci_config_digest "$W/oci-archive-x")" "oci-archive:$IMG/images/app-oci.tar"
run_case docker-daemon image "$APP_ID" "docker-daemon:bulwark-e2e/app:1"
MANIFEST_DIGEST="sha256:$(skopeo inspect --raw --creds "$REG_CREDS" --tls-verify=false "docker://$REGISTRY/bulwark-e2e/app:1" | sha256sum | cut -d' ' -f1)"
run_case registry image "$APP_ID" "docker://$REGISTRY/bulwark-e2e/app:1" "${CREDS_ARGS[@]}"
run_case dir rootfs "" "dir:$IMG/rootfs/app"
# Bare paths: auto-detected transports.
run_case bare-docker-archive image "$APP_ID" "$IMG/images/app.tar"
MANIFEST_DIGEST="$(oci_manifest_digest "$IMG/images/app-oci-gzip")"
run_case bare-oci-layout image "$(oci_config_digest "$IMG/images/app-oci-gzip")" "$IMG/images/app-oci-gzip"
run_case bare-dir rootfs "" "$IMG/rootfs/app"

# validate_doc cyclonedx|bulwark FILE: the schema validator of tests/schema (another suite's
# tool; its npm packages are installed by tests/schema/setup.sh into BULWARK_SCHEMA_NODE).
validate_doc() {
  local kind="$1" file="$2" validator="$BULWARK_SOURCE_DIR/tests/schema/validate.mjs" rc=0
  export BULWARK_SCHEMA_NODE="${BULWARK_SCHEMA_NODE:-$(dirname "$E2E_WORK")/schema-node}"
  if [ ! -f "$validator" ] || ! command -v node >/dev/null; then
    if [ "${BULWARK_E2E_REQUIRED:-}" = 1 ]; then _fail "$kind schema: the validator $validator (or node) is missing"
    else echo "   note: $kind schema validation not run: $validator (or node) is missing"; fi
    return 0
  fi
  bash "$BULWARK_SOURCE_DIR/tests/schema/setup.sh" "$BULWARK_SCHEMA_NODE" >"$W/schema-setup.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    if [ "$rc" -eq 77 ] && [ "${BULWARK_E2E_REQUIRED:-}" != 1 ]; then
      echo "   note: $kind schema validation not run: $(tail -1 "$W/schema-setup.log")"
    else
      _fail "$kind schema: tests/schema/setup.sh failed:"; _show "$W/schema-setup.log"
    fi
    return 0
  fi
  if node "$validator" "$kind" "$file" >"$W/validate-$kind.log" 2>&1; then
    _pass "$kind schema: $(basename "$file") validates"
  else
    _fail "$kind schema: $(basename "$file") does not validate:"; _show "$W/validate-$kind.log"
  fi
}

# bulwark's own JSON of one transport against docs/formats/bulwark-v1.schema.json.
[ -s "$W/docker-archive.out" ] && validate_doc bulwark "$W/docker-archive.out"

# CycloneDX of one transport, validated against the schema by tests/schema/validate.mjs.
run_bulwark cyclonedx sbom "oci:$IMG/images/app-oci-zstd:1" --format cyclonedx --quiet -o "$W/app.cdx.json"
assert_rc "cyclonedx output" 0
if [ "$RC" -eq 0 ]; then
  assert_json "cyclonedx: bomFormat CycloneDX, specVersion 1.5" "$W/app.cdx.json" \
    '.bomFormat == "CycloneDX" and .specVersion == "1.5"'
  assert_eq "cyclonedx: one pkg:deb component per installed package" "$(wc -l <"$APP_TRUTH")" \
    "$(jq '[.. | objects | select(has("purl")) | .purl | select(startswith("pkg:deb/debian/"))] | unique | length' "$W/app.cdx.json")"
  validate_doc cyclonedx "$W/app.cdx.json"
fi

e2e_finish
