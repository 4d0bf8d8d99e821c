#!/usr/bin/env bash
# trust: `bulwark verify-blob` over Sigstore conformance bundles (keyless against the shipped
# public-good root, keyed, and refusals), then cosign-style keyed signing of a real OCI layout
# (the e2e app image, made by skopeo in setup-images.sh): `bulwark sign`, `bulwark verify`, a
# wrong key and a wrong reference refused, and skopeo still reads the signed layout (the
# signature manifest is a valid OCI image that skopeo can copy).
. "$(dirname "$0")/lib.sh"
e2e_init trust
e2e_require_cmd openssl
e2e_require_cmd skopeo
e2e_setup_images

C="$BULWARK_SOURCE_DIR/tests/data/sigstore-conformance"
ID="https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
ISS="https://token.actions.githubusercontent.com"

run_bulwark blob_keyless verify-blob "$C/a.txt" --bundle "$C/happy-path-v0.3/bundle.sigstore.json" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
assert_rc "keyless v0.3 bundle verifies against the shipped public-good root" 0
assert_grep "identity and checks printed" "$OUT" "SCT, identity policy"
run_bulwark blob_wrong_identity verify-blob "$C/a.txt" --bundle "$C/happy-path-v0.3/bundle.sigstore.json" \
  --certificate-identity "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main" --certificate-oidc-issuer "$ISS"
assert_rc "another identity is refused" 1
assert_grep "the reason names the identity" "$ERR" "does not match the policy"
run_bulwark blob_no_policy verify-blob "$C/a.txt" --bundle "$C/happy-path-v0.3/bundle.sigstore.json"
assert_rc "keyless without an identity policy is refused" 1
echo "tampered" >"$W/a.txt"
run_bulwark blob_tampered verify-blob "$W/a.txt" --bundle "$C/happy-path-v0.3/bundle.sigstore.json" \
  --certificate-identity "$ID" --certificate-oidc-issuer "$ISS"
assert_rc "a changed artifact is refused" 1
run_bulwark blob_keyed verify-blob "$C/a.txt" --bundle "$C/managed-key-happy-path/bundle.sigstore.json" \
  --key "$C/managed-key-happy-path/key.pub"
assert_rc "keyed bundle verifies with its key" 0

# cosign-style keyed image signatures in a real OCI layout.
rm -rf "$W/layout"
cp -a "$IMG/images/app-oci-gzip" "$W/layout"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$W/key.pem"
openssl pkey -in "$W/key.pem" -pubout -out "$W/key.pub"
openssl genpkey -algorithm ed25519 -out "$W/other.pem" 2>/dev/null
openssl pkey -in "$W/other.pem" -pubout -out "$W/other.pub"
REF=127.0.0.1:5000/bulwark-e2e/trust/app
run_bulwark verify_unsigned verify "oci:$W/layout:1" --key "$W/key.pub"
assert_rc "an unsigned image is refused" 1
run_bulwark sign sign "oci:$W/layout:1" --key "$W/key.pem" --reference "$REF:1"
assert_rc "bulwark sign writes the signature" 0
DIGEST="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1") | .digest' "$W/layout/index.json")"
SIGTAG="sha256-${DIGEST#sha256:}.sig"
assert_true "signature tagged by cosign's scheme" jq -e --arg t "$SIGTAG" \
  '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]==$t)] | length == 1' "$W/layout/index.json"
run_bulwark verify_ok verify "oci:$W/layout:1" --key "$W/key.pub" --reference "$REF"
assert_rc "bulwark verify accepts it" 0
run_bulwark verify_other_key verify "oci:$W/layout:1" --key "$W/other.pub"
assert_rc "another key is refused" 1
run_bulwark verify_other_ref verify "oci:$W/layout:1" --key "$W/key.pub" --reference 127.0.0.1:5000/elsewhere/app
assert_rc "another docker-reference is refused" 1
assert_true "skopeo still reads the signed image" skopeo inspect --raw "oci:$W/layout:1" >/dev/null
assert_true "skopeo reads the signature manifest" skopeo inspect --raw "oci:$W/layout:$SIGTAG" >/dev/null
# Through the local registry (htpasswd): push the image and its signature tag with skopeo,
# verify from the registry by cosign's tag scheme.
e2e_require_registry
REPO="$REGISTRY/bulwark-e2e/trust/app"
skopeo copy -q --preserve-digests --dest-tls-verify=false --dest-creds "$REG_CREDS" \
  "oci:$W/layout:1" "docker://$REPO:1" || _fail "skopeo push of the image"
skopeo copy -q --preserve-digests --dest-tls-verify=false --dest-creds "$REG_CREDS" \
  "oci:$W/layout:$SIGTAG" "docker://$REPO:$SIGTAG" || _fail "skopeo push of the signature"
run_bulwark reg_verify verify "docker://$REPO:1" --key "$W/key.pub" --reference "$REF" --creds "$REG_CREDS" --tls-verify=false
assert_rc "registry image verifies by the tag scheme" 0
assert_grep "the registry's manifest digest is the signed one" "$OUT" "${DIGEST#sha256:}"
run_bulwark reg_verify_digest verify "docker://$REPO@$DIGEST" --key "$W/key.pub" --creds "$REG_CREDS" --tls-verify=false
assert_rc "by digest too" 0
run_bulwark reg_other_key verify "docker://$REPO:1" --key "$W/other.pub" --creds "$REG_CREDS" --tls-verify=false
assert_rc "registry: another key is refused" 1
run_bulwark reg_nocreds verify "docker://$REPO:1" --key "$W/key.pub" --tls-verify=false
assert_rc "registry: no credentials, refused" 1
assert_no_grep "the password is never printed" "$ERR" "$REG_PASS"

# Tamper with the signed payload: replace the blob, keep its name; the digest check refuses it.
PAYLOAD="$(skopeo inspect --raw "oci:$W/layout:$SIGTAG" | jq -r '.layers[0].digest')"
chmod u+w "$W/layout/blobs/sha256/${PAYLOAD#sha256:}"
sed -i 's/bulwark-e2e/bulwark-evil/' "$W/layout/blobs/sha256/${PAYLOAD#sha256:}"
run_bulwark verify_tampered verify "oci:$W/layout:1" --key "$W/key.pub"
assert_rc "a tampered payload is refused" 1
e2e_finish
