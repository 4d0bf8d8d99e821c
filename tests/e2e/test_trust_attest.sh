#!/usr/bin/env bash
# trust: `bulwark sign` and `bulwark attest` straight into the local registry (htpasswd, no
# referrers API, so the referrers tag schema is what is written) with cosign's encrypted key from
# cosign's own test data (tests/data/cosign-keys, password "hello"). Set-up: the e2e app image is
# pushed once with skopeo; each run PUTs its manifest again with a unique annotation (same
# blobs, a new digest), so the .sig/.att tags start empty every run. Then: sign (COSIGN_PASSWORD)
# and sign again (--password-file) append to the sha256-<hex>.sig manifest; a wrong password is
# a clear error naming the key and never the password; attest the image's own SBOM; `bulwark
# verify` (signatures, --type sbom) and a trust policy with signers and require_attestations
# pass; another key, another image's digest (the attestation copied to it) and a tampered
# envelope are refused.
. "$(dirname "$0")/lib.sh"
e2e_init trust_attest
e2e_require_cmd openssl
e2e_require_cmd skopeo
e2e_require_cmd curl
e2e_setup_images
e2e_require_registry

KEYS="$BULWARK_SOURCE_DIR/tests/data/cosign-keys"
NAME=bulwark-e2e/trust-attest/app
REPO="$REGISTRY/$NAME"
API="http://$REGISTRY/v2/$NAME"
A=(--creds "$REG_CREDS" --tls-verify=false)
MT=application/vnd.oci.image.manifest.v1+json
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$W/other.pem"
openssl pkey -in "$W/other.pem" -pubout -out "$W/other.pub"

# reg_put_blob FILE: uploads a blob (POST, then PUT ?digest=); prints its digest.
reg_put_blob() {
  local d loc
  d="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  loc="$(curl -sS -u "$REG_CREDS" -X POST -D - -o /dev/null "$API/blobs/uploads/" | tr -d '\r' \
    | sed -n 's/^[Ll]ocation: //p')"
  case "$loc" in http*) ;; *) loc="http://$REGISTRY$loc" ;; esac
  curl -sS -f -u "$REG_CREDS" -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" \
    "$loc$(case "$loc" in *\?*) echo '&' ;; *) echo '?' ;; esac)digest=$d" >/dev/null || _fail "blob upload $d"
  echo "$d"
}
# reg_put_manifest FILE REF: PUTs an OCI manifest; prints its digest.
reg_put_manifest() {
  curl -sS -f -u "$REG_CREDS" -X PUT -H "Content-Type: $MT" --data-binary "@$1" "$API/manifests/$2" >/dev/null \
    || _fail "manifest PUT $2"
  echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}
reg_get() { curl -sS -f -u "$REG_CREDS" -H "Accept: $MT, application/vnd.oci.image.index.v1+json" "$API/$1"; }

# The app image's blobs, pushed once (skopeo skips blobs the registry has), then one manifest per
# image this run: "app" (signed and attested) and "other" (an attacker's target).
skopeo copy -q --preserve-digests --dest-tls-verify=false --dest-creds "$REG_CREDS" \
  "oci:$IMG/images/app-oci-gzip:1" "docker://$REPO:base" || e2e_fatal "skopeo push of the app image"
BASE="$(reg_get manifests/base)" || e2e_fatal "the pushed manifest cannot be read back"
RUN="$(date +%s%N)-$$"
for img in app other; do
  jq -c --arg r "$RUN" --arg i "$img" '.annotations = {"org.example.e2e.run": $r, "org.example.e2e.image": $i}' \
    <<<"$BASE" >"$W/$img.json"
done
D="$(reg_put_manifest "$W/app.json" "app-$RUN")"
D2="$(reg_put_manifest "$W/other.json" "other-$RUN")"
HEX="${D#sha256:}"
echo "   app $D, other $D2"

# Sign with the encrypted key: a wrong password first.
export COSIGN_PASSWORD="not-hello-xyz"
run_bulwark sign_wrong_pw sign "docker://$REPO@$D" --key "$KEYS/sigstore.key" "${A[@]}"
assert_rc "sign: a wrong password is a usage error" 2
assert_grep "sign: says the password is wrong and names the key file" "$ERR" "sigstore.key.*wrong password"
assert_no_grep "sign: the password is never printed" "$ERR" "not-hello-xyz"
unset COSIGN_PASSWORD
run_bulwark sign_no_pw sign "docker://$REPO@$D" --key "$KEYS/sigstore.key" "${A[@]}"
assert_rc "sign: an encrypted key without a password is refused" 2
assert_grep "sign: says where the password comes from" "$ERR" "COSIGN_PASSWORD or --password-file"
COSIGN_PASSWORD=hello run_bulwark sign sign "docker://$REPO@$D" --key "$KEYS/sigstore.key" "${A[@]}"
assert_rc "sign: the encrypted cosign key signs the image in the registry" 0
assert_grep "sign: names the signature tag and the referrers index" "$OUT" \
  "tag sha256-$HEX\.sig.*listed in the referrers index sha256:[0-9a-f]{64} \(tag sha256-$HEX\)"
run_bulwark sign2 sign "docker://$REPO@$D" --key "$KEYS/cosign-ec.key" --password-file "$KEYS/password.txt" "${A[@]}"
assert_rc "sign: the older COSIGN-labelled key, password from --password-file" 0
assert_eq "sign: the second signature is appended to the .sig manifest, as cosign does" 2 \
  "$(reg_get "manifests/sha256-$HEX.sig" | jq '.layers | length')"
assert_eq "sign: the referrers tag lists both signature referrers" 2 \
  "$(reg_get "manifests/sha256-$HEX" | jq '[.manifests[] | select(.artifactType=="application/vnd.dev.cosign.artifact.sig.v1+json")] | length')"

# Attest the image's own SBOM.
COSIGN_PASSWORD=hello run_bulwark attest attest "docker://$REPO@$D" --key "$KEYS/sigstore.key" --predicate sbom \
  --cache-dir "$W/cache" "${A[@]}"
assert_rc "attest: bulwark's SBOM of the image, signed, attached" 0
assert_grep "attest: names the .att tag and the referrer" "$OUT" "https://cyclonedx.org/bom.*tagged sha256-$HEX\.att.*referrer sha256:"
ATT="$(reg_get "manifests/sha256-$HEX.att")"
assert_true "attest: the .att layer is a DSSE envelope with the predicateType annotation" jq -e \
  '.layers[0].mediaType=="application/vnd.dsse.envelope.v1+json" and .layers[0].annotations.predicateType=="https://cyclonedx.org/bom"' \
  <<<"$ATT"
ENV_DIGEST="$(jq -r '.layers[0].digest' <<<"$ATT")"
reg_get "blobs/$ENV_DIGEST" >"$W/envelope.json"
jq -r .payload "$W/envelope.json" | base64 -d >"$W/statement.json"
assert_true "attest: an in-toto Statement v1 about the manifest digest, predicate a CycloneDX SBOM with packages" \
  jq -e --arg h "$HEX" '._type=="https://in-toto.io/Statement/v1" and .subject[0].digest.sha256==$h
    and .predicate.bomFormat=="CycloneDX" and (.predicate.components | length) > 10' "$W/statement.json"
assert_eq "attest: the referrers tag lists the attestation (artifactType in-toto)" 1 \
  "$(reg_get "manifests/sha256-$HEX" | jq '[.manifests[] | select(.artifactType=="application/vnd.in-toto+json")] | length')"

# Verify: signatures, the attestation, and a trust policy.
run_bulwark verify verify "docker://$REPO@$D" --key "$KEYS/sigstore.pub" --reference "$REPO" "${A[@]}"
assert_rc "verify: the signature made with the encrypted key verifies with its public key" 0
assert_grep "verify: found under the tag and as a referrer" "$OUT" "tag sha256-$HEX\.sig, referrer sha256:"
run_bulwark verify_att verify "docker://$REPO@$D" --key "$KEYS/sigstore.pub" --type sbom "${A[@]}"
assert_rc "verify --type sbom: the SBOM attestation verifies" 0
run_bulwark verify_att_other verify "docker://$REPO@$D" --key "$W/other.pub" --type sbom "${A[@]}"
assert_rc "verify --type sbom: another key is refused" 1
run_bulwark verify_sig_other verify "docker://$REPO@$D" --key "$W/other.pub" "${A[@]}"
assert_rc "verify: another key's signature check is refused" 1
for k in sigstore other; do
  cp "$KEYS/sigstore.pub" "$W/sigstore.pub"
  printf '%s\n' 'rules:' "  - images: \"$REPO\"" '    require_digest: true' '    signers:' \
    "      - key: $k.pub" '    require_attestations:' '      - predicate_type: https://cyclonedx.org/bom' \
    "        key: $k.pub" '        conditions: [{path: /bomFormat, equals: CycloneDX}]' >"$W/policy-$k.yaml"
done
run_bulwark policy verify "docker://$REPO@$D" --trust-policy "$W/policy-sigstore.yaml" "${A[@]}"
assert_rc "policy: signers and require_attestations pass" 0
assert_grep "policy: the attestation check passes with its condition" "$OUT" \
  "ok BW-TRUST-009: .*attestation https://cyclonedx.org/bom signed with sigstore.pub, 1 conditions met"
run_bulwark policy_other verify "docker://$REPO@$D" --trust-policy "$W/policy-other.yaml" "${A[@]}"
assert_rc "policy: another key is refused" 1
assert_grep "policy: the attestation refused with the reason" "$ERR" "DSSE signature does not verify with the key"

# The other image has neither.
run_bulwark policy_d2 verify "docker://$REPO@$D2" --trust-policy "$W/policy-sigstore.yaml" "${A[@]}"
assert_rc "other image: unsigned and unattested, refused" 1
assert_grep "other image: says it has no attestation" "$ERR" "the image has no attestation \(no tag sha256-${D2#sha256:}\.att\)"

# The app's attestation copied to the other image (its .att tag): the subject is not that image.
printf '%s' "$ATT" >"$W/att.json"
reg_put_manifest "$W/att.json" "sha256-${D2#sha256:}.att" >/dev/null
run_bulwark copied verify "docker://$REPO@$D2" --key "$KEYS/sigstore.pub" --type sbom "${A[@]}"
assert_rc "copied attestation: refused for another image's digest" 1
assert_grep "copied attestation: the subject is named" "$ERR" "subject is sha256:$HEX, not this image"

# A tampered envelope: the Statement's subject rewritten to the other image, signature kept.
sed "s/$HEX/${D2#sha256:}/" "$W/statement.json" >"$W/statement2.json"
jq -c --arg p "$(base64 -w0 "$W/statement2.json")" '.payload = $p' "$W/envelope.json" >"$W/envelope2.json"
E2="$(reg_put_blob "$W/envelope2.json")"
jq -c --arg e "$E2" --argjson n "$(stat -c %s "$W/envelope2.json")" '.layers[0].digest = $e | .layers[0].size = $n' \
  "$W/att.json" >"$W/att2.json"
reg_put_manifest "$W/att2.json" "sha256-${D2#sha256:}.att" >/dev/null
run_bulwark tampered verify "docker://$REPO@$D2" --key "$KEYS/sigstore.pub" --type sbom "${A[@]}"
assert_rc "tampered envelope: refused" 1
assert_grep "tampered envelope: its signature does not verify" "$ERR" "DSSE signature does not verify with the key"

# Through the referrer alone: the app's .att tag replaced by a manifest without the envelope.
jq -c '.layers = []' <<<"$ATT" >"$W/att_empty.json"
reg_put_manifest "$W/att_empty.json" "sha256-$HEX.att" >/dev/null
run_bulwark via_referrer verify "docker://$REPO@$D" --key "$KEYS/sigstore.pub" --type sbom "${A[@]}"
assert_rc "referrer only: the attestation is found through the referrers tag" 0
assert_grep "referrer only: says where" "$OUT" "found in: referrer sha256:[0-9a-f]{64} \(referrers tag sha256-$HEX\)"
run_bulwark via_referrer_policy verify "docker://$REPO@$D" --trust-policy "$W/policy-sigstore.yaml" "${A[@]}"
assert_rc "referrer only: the trust policy's require_attestations passes too" 0
e2e_finish
