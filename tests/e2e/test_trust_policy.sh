#!/usr/bin/env bash
# trust policy (--trust-policy, docs/trust.md): the `trust` scanner of `bulwark image` and
# `bulwark verify --trust-policy` against the local registry (htpasswd). Set-up: the e2e Debian
# base image is pushed to the registry; the e2e app image (built FROM it) is copied to an OCI
# layout whose manifest gets the base-image annotations (org.opencontainers.image.base.name /
# .base.digest, naming that pushed base and its digest), signed by `bulwark sign` with one key
# (and a copy with another key), and pushed with skopeo --preserve-digests. Then: the signed
# image passes; unsigned, signed by another key, from a denied registry, not pinned, or on a base
# the rule does not allow are refused with findings naming the rule; a malformed policy is an
# error naming the file and field. max_age: app layouts with their config's created set to 2020,
# to now, and removed, pushed to bulwark-e2e/trust-age: refused, passed, refused (fails closed).
# require_attestations: DSSE envelopes made with openssl in cosign's .att tag, pushed with the
# image: signed by the key passes (and refuses on an unmet condition), another key and none refuse.
. "$(dirname "$0")/lib.sh"
e2e_init trust_policy
e2e_require_cmd openssl
e2e_require_cmd skopeo
e2e_setup_images
e2e_require_registry

REPO="$REGISTRY/bulwark-e2e/trust-policy"
SK=(--dest-tls-verify=false --dest-creds "$REG_CREDS")
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$W/key.pem"
openssl pkey -in "$W/key.pem" -pubout -out "$W/key.pub"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$W/other.pem"
openssl pkey -in "$W/other.pem" -pubout -out "$W/other.pub"

# The base image in the registry, and its manifest digest as the registry serves it.
skopeo copy -q "${SK[@]}" "docker-archive:$IMG/images/debian.tar" "docker://$REPO/debian:12" \
  || e2e_fatal "skopeo push of the base image"
BASE_DIGEST="$(skopeo inspect --tls-verify=false --creds "$REG_CREDS" --format '{{.Digest}}' "docker://$REPO/debian:12")"
echo "   base image $REPO/debian:12@$BASE_DIGEST"

# annotate LAYOUT BASE_NAME BASE_DIGEST: rewrites the manifest tagged 1 with the base-image
# annotations (a new manifest blob; index.json points at it).
annotate() {
  local dir="$1" old new size
  old="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1") | .digest' "$dir/index.json")"
  jq -c --arg n "$2" --arg d "$3" \
    '.annotations = {"org.opencontainers.image.base.name": $n, "org.opencontainers.image.base.digest": $d}' \
    "$dir/blobs/sha256/${old#sha256:}" >"$W/manifest.json"
  new="sha256:$(sha256sum "$W/manifest.json" | cut -d' ' -f1)"
  size="$(stat -c %s "$W/manifest.json")"
  cp "$W/manifest.json" "$dir/blobs/sha256/${new#sha256:}"
  jq -c --arg o "$old" --arg n "$new" --argjson s "$size" \
    '.manifests |= map(if .digest == $o then .digest = $n | .size = $s else . end)' "$dir/index.json" >"$W/index.json"
  cp "$W/index.json" "$dir/index.json"
}
# push LAYOUT NAME: the image tagged 1 and every signature tag, digests preserved.
push() {
  skopeo copy -q --preserve-digests "${SK[@]}" "oci:$1:1" "docker://$REPO/$2:1" || _fail "skopeo push of $2"
  local t
  for t in $(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"] | select(endswith(".sig"))' "$1/index.json"); do
    skopeo copy -q --preserve-digests "${SK[@]}" "oci:$1:$t" "docker://$REPO/$2:$t" || _fail "skopeo push of $2:$t"
  done
}
digest_of() { jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1") | .digest' "$1/index.json"; }

rm -rf "$W/signed" "$W/other" "$W/unsigned" "$W/elsewhere"
cp -a "$IMG/images/app-oci-gzip" "$W/signed"
chmod -R u+w "$W/signed"
annotate "$W/signed" "$REPO/debian:12" "$BASE_DIGEST"
cp -a "$W/signed" "$W/unsigned"
cp -a "$W/signed" "$W/other"
cp -a "$IMG/images/app-oci-gzip" "$W/elsewhere"
chmod -R u+w "$W/elsewhere"
annotate "$W/elsewhere" "docker.io/library/alpine:3.20" "sha256:$(printf '%064d' 0)"
run_bulwark sign_signed sign "oci:$W/signed:1" --key "$W/key.pem" --reference "$REPO/signed:1"
assert_rc "bulwark sign (the required key)" 0
run_bulwark sign_other sign "oci:$W/other:1" --key "$W/other.pem" --reference "$REPO/other:1"
assert_rc "bulwark sign (another key)" 0
run_bulwark sign_elsewhere sign "oci:$W/elsewhere:1" --key "$W/key.pem" --reference "$REPO/elsewhere:1"
assert_rc "bulwark sign (image on another base)" 0
assert_true "skopeo reads the annotated layout" skopeo inspect --raw "oci:$W/signed:1" >/dev/null
push "$W/signed" signed
push "$W/unsigned" unsigned
push "$W/other" other
push "$W/elsewhere" elsewhere
D="$(digest_of "$W/signed")"
DE="$(digest_of "$W/elsewhere")"
assert_eq "the registry serves the annotated manifest unchanged" "$D" \
  "$(skopeo inspect --tls-verify=false --creds "$REG_CREDS" --format '{{.Digest}}' "docker://$REPO/signed:1")"

cat >"$W/trust.yaml" <<EOF
version: 1
registries:
  allowed: [$REGISTRY]
  denied: [docker.io, localhost:5000]
unmatched: deny
rules:
  - images: "$REPO/*"
    require_digest: true
    signers:
      - key: key.pub
    allowed_base_images: ["$REPO/debian"]
EOF
A=(--creds "$REG_CREDS" --tls-verify=false)
IM=(--scanners trust --trust-policy "$W/trust.yaml" "${A[@]}" --exit-code 1)

# bulwark verify --trust-policy
run_bulwark v_signed verify "docker://$REPO/signed@$D" --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: the signed, pinned image on the allowed base passes" 0
assert_grep "verify: the signature check is reported" "$OUT" "ok BW-TRUST-004: .*signed with key.pub"
assert_grep "verify: the base image is reported" "$OUT" "info BW-TRUST-010: .*base image $REPO/debian:12@$BASE_DIGEST"
run_bulwark v_unsigned verify "docker://$REPO/unsigned@$D" --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: an unsigned image is refused" 1
assert_grep "verify: the refusal names the key and the rule" "$ERR" \
  "refused BW-TRUST-004: .*no signature verifies with key.pub, rule 1 \(images: $REPO/\*, $W/trust.yaml:7\)"
assert_grep "verify: and why" "$ERR" "image is not signed"
run_bulwark v_other verify "docker://$REPO/other@$D" --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: an image signed by another key is refused" 1
assert_grep "verify: the other key's signature does not verify" "$ERR" "signature does not verify with the key"
run_bulwark v_tag verify "docker://$REPO/signed:1" --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: an unpinned tag is refused when the rule requires a digest" 1
assert_grep "verify: the pinning finding" "$ERR" "BW-TRUST-003: .*not pinned by digest, rule 1"
run_bulwark v_denied verify "docker://localhost:5000/bulwark-e2e/trust-policy/signed@$D" \
  --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: a denied registry is refused (the same registry under a denied name)" 1
assert_grep "verify: the denied-registry finding" "$ERR" "BW-TRUST-001: .*registry denied by the trust policy \(registries.denied: localhost:5000\)"
assert_grep "verify: and the allowed list" "$ERR" "BW-TRUST-002"
run_bulwark v_base verify "docker://$REPO/elsewhere@$DE" --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: a base image the rule does not allow is refused" 1
assert_grep "verify: the base-image finding" "$ERR" "BW-TRUST-005: .*base image docker.io/library/alpine:3.20 is not allowed by rule 1"

# OCI 1.1 referrers. `bulwark sign` also wrote the signature as a referrer (subject: the image)
# listed in the referrers tag schema's index sha256-<hex>. The image and only that index are
# pushed to a new repository: no cosign .sig tag there. docker-registry 2.8 has no referrers API
# (404), so bulwark finds the signature through the fallback tag.
RT="sha256-${D#sha256:}"
rm -rf "$W/referred"
cp -a "$W/unsigned" "$W/referred"
run_bulwark sign_referred sign "oci:$W/referred:1" --key "$W/key.pem" --reference "$REPO/referred:1"
assert_rc "bulwark sign (for the referrers test)" 0
assert_grep "bulwark sign names the referrer and the referrers tag" "$OUT" \
  "OCI 1.1 referrer sha256:[0-9a-f]{64}, listed in the referrers index sha256:[0-9a-f]{64} \(tag $RT\)"
skopeo copy -q --preserve-digests "${SK[@]}" "oci:$W/referred:1" "docker://$REPO/referred:1" \
  || _fail "skopeo push of referred:1"
# (skopeo 1.9 cannot preserve the index's digest, and rewrites it without the descriptors'
# artifactType; the referrer manifest itself is copied unchanged.)
skopeo copy -q --all "${SK[@]}" "oci:$W/referred:$RT" "docker://$REPO/referred:$RT" \
  || _fail "skopeo push of the referrers index referred:$RT"
assert_eq "the registry has no referrers API (so the fallback tag is what is exercised)" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' -u "$REG_CREDS" "http://$REGISTRY/v2/bulwark-e2e/trust-policy/referred/referrers/$D")"
assert_eq "no cosign .sig tag in the referred repository" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' -u "$REG_CREDS" "http://$REGISTRY/v2/bulwark-e2e/trust-policy/referred/manifests/$RT.sig")"
curl -s -u "$REG_CREDS" -H 'Accept: application/vnd.oci.image.index.v1+json' \
  "http://$REGISTRY/v2/bulwark-e2e/trust-policy/referred/manifests/$RT" >"$W/referrers.json"
RI="$(jq -r --arg t "$RT" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t) | .digest' \
  "$W/referred/index.json")"
REFERRER="$(jq -r '.manifests[0].digest' "$W/referred/blobs/sha256/${RI#sha256:}")"
assert_json "the registry serves the referrers index, listing the referrer bulwark sign wrote" "$W/referrers.json" \
  "[.manifests[] | select(.digest==\"$REFERRER\")] | length == 1"
run_bulwark v_referred verify "docker://$REPO/referred@$D" --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "verify: a signature found only as a referrer (fallback tag) passes the policy" 0
assert_grep "verify: the signer check passes on the referrer alone" "$OUT" \
  "ok BW-TRUST-004: .*signed with key.pub"
run_bulwark v_referred_key verify "docker://$REPO/referred@$D" --key "$W/key.pub" "${A[@]}"
assert_rc "verify --key: the referrer's signature verifies" 0
assert_grep "verify --key: names the referrer and how it was listed" "$OUT" \
  "found in: referrer $REFERRER \(referrers tag $RT\)"
run_bulwark v_referred_other verify "docker://$REPO/referred@$D" --key "$W/other.pub" "${A[@]}"
assert_rc "verify --key: another key is refused for the referrer" 1
assert_grep "verify --key: the referrer's signature does not verify with it" "$ERR" \
  "signature does not verify with the key \(referrer sha256:"
# A referrers index moved under another image's fallback tag: the referrer's subject is not that image.
skopeo copy -q --preserve-digests "${SK[@]}" "oci:$W/elsewhere:1" "docker://$REPO/moved:1" \
  || _fail "skopeo push of moved:1"
skopeo copy -q --all "${SK[@]}" "oci:$W/referred:$RT" "docker://$REPO/moved:sha256-${DE#sha256:}" \
  || _fail "skopeo push of the moved referrers index"
run_bulwark v_moved verify "docker://$REPO/moved@$DE" --key "$W/key.pub" "${A[@]}"
assert_rc "verify --key: a referrer of another image is refused" 1
assert_grep "verify --key: because its subject is not this image" "$ERR" "the referrer's subject is not this image"
run_bulwark v_signed_tag verify "docker://$REPO/signed@$D" --key "$W/key.pub" "${A[@]}"
assert_rc "verify --key: the tag-scheme signature still verifies" 0
assert_grep "verify --key: found in the cosign tag" "$OUT" "found in: tag $RT.sig"

# bulwark image: the trust scanner, through the normal report.
run_bulwark i_signed image "docker://$REPO/signed@$D" "${IM[@]}" --format json
assert_rc "image: the signed image passes with --exit-code 1" 0
assert_json "image: no failing trust finding; the base image reported (info)" "$OUT" \
  "([.findings[] | select(.practice==\"trusted-base-image\" and .status==\"fail\")] | length == 0) and
   ([.findings[] | select(.id==\"BW-TRUST-010\" and .status==\"info\")] | length == 1)"
run_bulwark i_unsigned image "docker://$REPO/unsigned@$D" "${IM[@]}" --format json
assert_rc "image: an unsigned image fails --exit-code 1" 1
assert_json "image: JSON finding BW-TRUST-004, practice trusted-base-image, naming the rule" "$OUT" \
  "[.findings[] | select(.id==\"BW-TRUST-004\" and .status==\"fail\" and .practice==\"trusted-base-image\"
    and (.title | contains(\"rule 1\")))] | length == 1"
run_bulwark i_other_sarif image "docker://$REPO/other@$D" "${IM[@]}" --format sarif
assert_rc "image: another key fails (SARIF)" 1
assert_json "image: SARIF result with ruleId BW-TRUST-004" "$OUT" \
  '[.runs[].results[] | select(.ruleId=="BW-TRUST-004")] | length == 1'
run_bulwark i_tag_table image "docker://$REPO/signed:1" "${IM[@]}"
assert_rc "image: an unpinned tag fails (table)" 1
assert_grep "image: the table shows the pinning finding" "$OUT" "BW-TRUST-003"
run_bulwark i_no_exit image "docker://$REPO/unsigned@$D" --scanners trust --trust-policy "$W/trust.yaml" "${A[@]}"
assert_rc "image: without --exit-code a refusal is reported, exit 0" 0
assert_grep "image: table names the unsigned finding" "$OUT" "BW-TRUST-004"
run_bulwark i_no_policy image "docker://$REPO/signed@$D" --scanners trust "${A[@]}"
assert_rc "image: the trust scanner without --trust-policy is a usage error" 2
assert_grep "image: says what is missing" "$ERR" "needs --trust-policy"
# The whole scan with the policy: vulnerability and config findings are still there too.
run_bulwark i_config image "docker://$REPO/unsigned@$D" --scanners config --trust-policy "$W/trust.yaml" \
  "${A[@]}" --format json
assert_json "image: --trust-policy adds the trust findings to the other scanners'" "$OUT" \
  "([.findings[] | select(.id==\"BW-TRUST-004\")] | length == 1) and
   ([.findings[] | select(.id | startswith(\"BW-TRUST\") | not)] | length > 0)"

# The base image is a field of the image result (JSON target.image.base_image, the table, HTML),
# with or without a trust policy; an image without the annotations has none.
run_bulwark base_json image "docker://$REPO/signed@$D" --scanners config "${A[@]}" --format json
assert_rc "image: scan of the annotated image" 0
assert_json "image JSON: base_image names the base and its digest, from the annotations" "$OUT" \
  ".targets[0].image.base_image == {\"name\": \"$REPO/debian:12\", \"digest\": \"$BASE_DIGEST\", \"source\": \"annotations\"}"
cp "$OUT" "$W/base_image.json"
run_bulwark base_layout image "oci:$W/signed:1" --scanners config --format json
assert_json "image JSON (OCI layout): the same base_image" "$OUT" \
  ".targets[0].image.base_image.name == \"$REPO/debian:12\" and .targets[0].image.base_image.digest == \"$BASE_DIGEST\""
run_bulwark base_none image "docker://$REPO/debian:12" --scanners config "${A[@]}" --format json
assert_json "image JSON: no base_image for an image without the annotations" "$OUT" \
  '.targets[0].image | has("base_image") | not'
run_bulwark base_table image "docker://$REPO/signed@$D" --scanners config "${A[@]}"
assert_grep "image table: the base image line" "$OUT" "^Base image: $REPO/debian:12@$BASE_DIGEST \(from the manifest annotations\)"
run_bulwark base_html image "docker://$REPO/signed@$D" --scanners config "${A[@]}" --format html
assert_true "image HTML: the report's data block carries the base image (the card's row is drawn from it)" python3 -c '
import json, sys
page = open(sys.argv[1]).read()
data = json.loads(page.split("id=\"bulwark-data\">", 1)[1].split("</script>", 1)[0])
sys.exit(0 if data["targets"][0]["image"]["base_image"]["name"] == sys.argv[2] else 1)' "$OUT" "$REPO/debian:12"
if python3 -c 'import jsonschema' 2>/dev/null; then
  assert_true "image JSON with base_image validates against docs/formats/bulwark-v1.schema.json" python3 -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))' \
    "$BULWARK_SOURCE_DIR/docs/formats/bulwark-v1.schema.json" "$W/base_image.json"
fi

# max_age: copies of the app layout whose config `created` is set (a new config blob, manifest
# and index.json entry), pushed to the registry; a rule with max_age 30d refuses the old one,
# passes the fresh one, and fails closed on the one without a created time.
AGE_REPO="$REGISTRY/bulwark-e2e/trust-age"
# dated LAYOUT CREATED ("" removes it)
dated() {
  local dir="$1" m c new size csize
  m="$(digest_of "$dir")"
  c="$(jq -r '.config.digest' "$dir/blobs/sha256/${m#sha256:}")"
  if [ -n "$2" ]; then
    jq -c --arg t "$2" '.created = $t' "$dir/blobs/sha256/${c#sha256:}" >"$W/config.json"
  else
    jq -c 'del(.created)' "$dir/blobs/sha256/${c#sha256:}" >"$W/config.json"
  fi
  new="sha256:$(sha256sum "$W/config.json" | cut -d' ' -f1)"
  csize="$(stat -c %s "$W/config.json")"
  cp "$W/config.json" "$dir/blobs/sha256/${new#sha256:}"
  jq -c --arg d "$new" --argjson s "$csize" '.config.digest = $d | .config.size = $s' \
    "$dir/blobs/sha256/${m#sha256:}" >"$W/manifest.json"
  new="sha256:$(sha256sum "$W/manifest.json" | cut -d' ' -f1)"
  size="$(stat -c %s "$W/manifest.json")"
  cp "$W/manifest.json" "$dir/blobs/sha256/${new#sha256:}"
  jq -c --arg o "$m" --arg n "$new" --argjson s "$size" \
    '.manifests |= map(if .digest == $o then .digest = $n | .size = $s else . end)' "$dir/index.json" >"$W/index.json"
  cp "$W/index.json" "$dir/index.json"
}
NOW="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
for age in old fresh undated; do
  rm -rf "$W/$age"
  cp -a "$IMG/images/app-oci-gzip" "$W/$age"
  chmod -R u+w "$W/$age"
done
dated "$W/old" "2020-01-01T00:00:00.5Z"
dated "$W/fresh" "$NOW"
dated "$W/undated" ""
for age in old fresh undated; do
  skopeo copy -q --preserve-digests "${SK[@]}" "oci:$W/$age:1" "docker://$AGE_REPO/$age:1" || _fail "skopeo push of $age"
done
assert_eq "the registry serves the old image's config with its created time" "2020-01-01T00:00:00.5Z" \
  "$(skopeo inspect --tls-verify=false --creds "$REG_CREDS" --config "docker://$AGE_REPO/old:1" | jq -r .created)"
printf 'rules:\n  - images: "%s/*"\n    max_age: 30d\n' "$AGE_REPO" >"$W/age.yaml"
run_bulwark age_old verify "docker://$AGE_REPO/old:1" --trust-policy "$W/age.yaml" "${A[@]}"
assert_rc "max_age: an image created in 2020 is refused" 1
assert_grep "max_age: the refusal names the created date, the age and the rule" "$ERR" \
  "refused BW-TRUST-008: .*created 2020-01-01T00:00:00Z, [0-9]+ days ago, older than max_age 30d of rule 1 \(images: $AGE_REPO/\*"
run_bulwark age_fresh verify "docker://$AGE_REPO/fresh:1" --trust-policy "$W/age.yaml" "${A[@]}"
assert_rc "max_age: an image created now passes" 0
assert_grep "max_age: the pass names the created date" "$OUT" "ok BW-TRUST-008: .*created $NOW \(0 hours ago\), within max_age 30d"
run_bulwark age_undated image "docker://$AGE_REPO/undated:1" --scanners trust --trust-policy "$W/age.yaml" \
  "${A[@]}" --exit-code 1 --format json
assert_rc "max_age: an image without a created time fails closed (--exit-code 1)" 1
assert_json "max_age: JSON finding BW-TRUST-008 saying the creation time is unknown, with a remediation" "$OUT" \
  "[.findings[] | select(.id==\"BW-TRUST-008\" and .status==\"fail\" and .practice==\"trusted-base-image\"
    and (.title | contains(\"creation time unknown\")) and (.remediation | length > 0))] | length == 1"
# require_attestations, from the registry: an in-toto SLSA statement about the fresh image, made
# here as a DSSE envelope with openssl (PAE signed by key.pem, or by other.pem), stored cosign's
# way (a manifest tagged sha256-<hex>.att whose layer is the envelope) and pushed with skopeo.
FD="$(digest_of "$W/fresh")"
ATT_TAG="sha256-${FD#sha256:}.att"
EMPTY="sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
# attest LAYOUT KEY BUILD_TYPE
attest() {
  local dir="$1" pt="application/vnd.in-toto+json" env man
  jq -nc --arg d "${FD#sha256:}" --arg bt "$3" '{_type: "https://in-toto.io/Statement/v1",
    subject: [{name: "app", digest: {sha256: $d}}], predicateType: "https://slsa.dev/provenance/v1",
    predicate: {buildDefinition: {buildType: $bt}}}' >"$W/statement.json"
  { printf 'DSSEv1 %d %s %d ' "${#pt}" "$pt" "$(stat -c %s "$W/statement.json")"; cat "$W/statement.json"; } >"$W/pae"
  openssl dgst -sha256 -sign "$2" -out "$W/pae.sig" "$W/pae" || _fail "openssl signs the PAE"
  jq -nc --arg p "$(base64 -w0 "$W/statement.json")" --arg s "$(base64 -w0 "$W/pae.sig")" \
    '{payloadType: "application/vnd.in-toto+json", payload: $p, signatures: [{keyid: "", sig: $s}]}' >"$W/envelope.json"
  env="sha256:$(sha256sum "$W/envelope.json" | cut -d' ' -f1)"
  cp "$W/envelope.json" "$dir/blobs/sha256/${env#sha256:}"
  printf '{}' >"$dir/blobs/sha256/${EMPTY#sha256:}"
  jq -nc --arg e "$env" --argjson n "$(stat -c %s "$W/envelope.json")" --arg c "$EMPTY" '{schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", size: 2, digest: $c},
    layers: [{mediaType: "application/vnd.dsse.envelope.v1+json", size: $n, digest: $e,
              annotations: {predicateType: "https://slsa.dev/provenance/v1"}}]}' >"$W/att.json"
  man="sha256:$(sha256sum "$W/att.json" | cut -d' ' -f1)"
  cp "$W/att.json" "$dir/blobs/sha256/${man#sha256:}"
  jq -c --arg m "$man" --argjson s "$(stat -c %s "$W/att.json")" --arg t "$ATT_TAG" \
    '.manifests += [{mediaType: "application/vnd.oci.image.manifest.v1+json", size: $s, digest: $m,
                     annotations: {"org.opencontainers.image.ref.name": $t}}]' "$dir/index.json" >"$W/index.json"
  cp "$W/index.json" "$dir/index.json"
}
for name in attested attested-other; do
  rm -rf "$W/$name"
  cp -a "$W/fresh" "$W/$name"
done
attest "$W/attested" "$W/key.pem" https://example.com/ci/v1
attest "$W/attested-other" "$W/other.pem" https://example.com/ci/v1
for name in attested attested-other; do
  skopeo copy -q --preserve-digests "${SK[@]}" "oci:$W/$name:1" "docker://$AGE_REPO/$name:1" || _fail "skopeo push of $name"
  skopeo copy -q --preserve-digests "${SK[@]}" "oci:$W/$name:$ATT_TAG" "docker://$AGE_REPO/$name:$ATT_TAG" \
    || _fail "skopeo push of $name:$ATT_TAG"
done
printf '%s\n' 'rules:' "  - images: \"$AGE_REPO/*\"" '    require_attestations:' \
  '      - predicate_type: https://slsa.dev/provenance/v1' '        key: key.pub' \
  '        conditions: [{path: /buildDefinition/buildType, equals: "https://example.com/ci/v1"}]' >"$W/att.yaml"
sed 's|ci/v1"|ci/v2"|' "$W/att.yaml" >"$W/att_v2.yaml"
run_bulwark att_ok verify "docker://$AGE_REPO/attested@$FD" --trust-policy "$W/att.yaml" "${A[@]}"
assert_rc "attestations: a SLSA attestation signed by the key, about this image, passes" 0
assert_grep "attestations: the pass names the key and the condition" "$OUT" \
  "ok BW-TRUST-009: .*attestation https://slsa.dev/provenance/v1 signed with key.pub, 1 conditions met"
run_bulwark att_cond verify "docker://$AGE_REPO/attested@$FD" --trust-policy "$W/att_v2.yaml" "${A[@]}"
assert_rc "attestations: a condition the predicate does not meet refuses" 1
assert_grep "attestations: names the path, the value and the wanted value" "$ERR" \
  "/buildDefinition/buildType is https://example.com/ci/v1, not https://example.com/ci/v2"
run_bulwark att_other verify "docker://$AGE_REPO/attested-other@$FD" --trust-policy "$W/att.yaml" "${A[@]}"
assert_rc "attestations: one signed by another key is refused" 1
assert_grep "attestations: its signature does not verify" "$ERR" \
  "refused BW-TRUST-009: .*no attestation https://slsa.dev/provenance/v1 signed with key.pub verifies"
assert_grep "attestations: and why" "$ERR" "DSSE signature does not verify with the key"
run_bulwark att_none verify "docker://$AGE_REPO/fresh:1" --trust-policy "$W/att.yaml" "${A[@]}"
assert_rc "attestations: an image without any is refused" 1
assert_grep "attestations: says there is none" "$ERR" "the image has no attestation \(no tag $ATT_TAG\)"

printf 'rules:\n  - images: "oci:*"\n    max_age: 1000d\n' >"$W/age_layout.yaml"
run_bulwark age_layout image "oci:$W/old:1" --scanners trust --trust-policy "$W/age_layout.yaml" --format json
assert_json "max_age: the OCI layout's config is read too (created 2020, max 1000d: refused)" "$OUT" \
  '[.findings[] | select(.id=="BW-TRUST-008" and .status=="fail" and (.title | contains("created 2020-01-01T00:00:00Z")))] | length == 1'
printf 'rules:\n  - images: "x/*"\n    max_age: 3 months\n' >"$W/bad_age.yaml"
run_bulwark age_bad verify "docker://$AGE_REPO/old:1" --trust-policy "$W/bad_age.yaml" "${A[@]}"
assert_rc "max_age: a malformed value is a usage error" 2
assert_grep "max_age: the error names file, line and field" "$ERR" "$W/bad_age.yaml:3: rules\[0\]\.max_age: expected a number of days or hours"

# Malformed policies: a clear error naming the file, the line and the field.
printf 'rules:\n  - images: "%s/*"\n    require_digest: yes-please\n' "$REPO" >"$W/bad.yaml"
run_bulwark bad_bool image "docker://$REPO/signed@$D" --scanners trust --trust-policy "$W/bad.yaml" "${A[@]}"
assert_rc "malformed policy: usage error" 2
assert_grep "malformed policy: file, line and field" "$ERR" "$W/bad.yaml:3: rules\[0\]\.require_digest: expected true or false"
printf 'rules:\n  - images: "x/*"\n    signers:\n      - key: missing.pub\n' >"$W/bad2.yaml"
run_bulwark bad_key verify "docker://$REPO/signed@$D" --trust-policy "$W/bad2.yaml" "${A[@]}"
assert_rc "policy naming a missing key: error" 2
assert_grep "missing key: file, line and field" "$ERR" "$W/bad2.yaml:4: rules\[0\]\.signers\[0\]\.key: cannot read"
printf 'registries:\n  allow: [x]\n' >"$W/bad3.yaml"
run_bulwark bad_key3 verify "docker://$REPO/signed@$D" --trust-policy "$W/bad3.yaml" "${A[@]}"
assert_rc "policy with an unknown key: error" 2
assert_grep "unknown key named" "$ERR" "$W/bad3.yaml:2: registries.allow: unknown key"

# The JSON Schema (docs/trust-policy.schema.json) accepts the policy used here and the example of
# docs/trust.md, and refuses the malformed ones bulwark refuses.
if python3 -c 'import jsonschema, yaml' 2>/dev/null; then
  printf '%s\n' 'import json, sys, yaml, jsonschema' \
    'jsonschema.validate(yaml.safe_load(open(sys.argv[2])), json.load(open(sys.argv[1])))' >"$W/schema_check.py"
  schema_ok() { python3 "$W/schema_check.py" "$BULWARK_SOURCE_DIR/docs/trust-policy.schema.json" "$1"; }
  schema_bad() { ! schema_ok "$1" 2>/dev/null; }
  awk '/^## The trust policy/{p=1} p&&/^```yaml/{f=1;next} f&&/^```/{exit} f' "$BULWARK_SOURCE_DIR/docs/trust.md" >"$W/doc.yaml"
  assert_true "schema: the docs example is a valid policy" schema_ok "$W/doc.yaml"
  assert_true "schema: the e2e policy is valid" schema_ok "$W/trust.yaml"
  assert_true "schema: refuses a non-boolean require_digest" schema_bad "$W/bad.yaml"
  assert_true "schema: refuses an unknown key" schema_bad "$W/bad3.yaml"
  assert_true "schema: the max_age policy is valid" schema_ok "$W/age.yaml"
  assert_true "schema: refuses a malformed max_age" schema_bad "$W/bad_age.yaml"
  assert_true "schema: the require_attestations policy is valid" schema_ok "$W/att.yaml"
else
  echo "   (python3 jsonschema/yaml missing: schema checks skipped)"
fi
e2e_finish
