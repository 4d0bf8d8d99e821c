#!/usr/bin/env bash
# enforce_admission: `bulwark server --admission-policy` answers AdmissionReview documents on
# POST /api/v1/admission/validate over real HTTP on loopback. The documents are kubewarden's captured
# API-server requests wrapped in the AdmissionReview envelope as the API server sends it, and the
# Kubernetes API's fully populated v1 fixture (tests/data/admission/README.md). A signature rule is
# checked against an image signed by `bulwark sign` and pushed with its signature to the local
# registry (htpasswd), and against the same image in a repository without a signature. The deploy
# manifest deploy/kubernetes/bulwark-admission.yaml passes `bulwark config`.
. "$(dirname "$0")/lib.sh"
e2e_init enforce_admission
e2e_require_cmd curl jq openssl skopeo
e2e_setup_images

PORT=18901
DATA="$BULWARK_SOURCE_DIR/tests/data/admission"
SERVER_PID=""
cleanup() {
  [ -z "$SERVER_PID" ] || { kill "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; } || true
}
trap cleanup EXIT

# A signed image in the registry, and the same image unsigned in another repository.
cp -a "$IMG/images/app-oci-gzip" "$W/layout"
openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null | openssl pkcs8 -topk8 -nocrypt -out "$W/key.pem"
openssl pkey -in "$W/key.pem" -pubout -out "$W/key.pub"
REPO="$REGISTRY/bulwark-e2e/enforce/app"
run_bulwark sign sign "oci:$W/layout:1" --key "$W/key.pem" --reference "$REPO:1"
assert_rc "bulwark sign" 0
DIGEST="$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"]=="1") | .digest' "$W/layout/index.json")"
SIGTAG="sha256-${DIGEST#sha256:}.sig"
for ref in "1:$REPO:1" "$SIGTAG:$REPO:$SIGTAG" "1:$REGISTRY/bulwark-e2e/enforce/unsigned:1"; do
  skopeo copy -q --preserve-digests --dest-tls-verify=false --dest-creds "$REG_CREDS" \
    "oci:$W/layout:${ref%%:*}" "docker://${ref#*:}" || e2e_fatal "skopeo push ${ref#*:}"
done
printf '%s\n' "$REG_CREDS" >"$W/creds"
chmod 600 "$W/creds"

cat >"$W/policy.yaml" <<EOF
pod_security:
  level: baseline
images:
  allowed_registries: [docker.io, $REGISTRY]
  signatures:
    - images: "$REGISTRY/bulwark-e2e/enforce/*"
      key: key.pub
      credentials_file: creds
      insecure: true
      timeout: 5s
EOF

"$BULWARK" server --listen "127.0.0.1:$PORT" --data "$W/data" --admission-policy "$W/policy.yaml" 2>"$W/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -s --max-time 2 "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
curl -s --max-time 2 "http://127.0.0.1:$PORT/healthz" >/dev/null || { cat "$W/server.log" >&2; e2e_fatal "server did not start"; }

review() {  # NAME FILE: posts FILE; sets CODE and ANS (the answer's file)
  ANS="$W/$1.answer.json"
  CODE="$(curl -s --max-time 30 -o "$ANS" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$2" "http://127.0.0.1:$PORT/api/v1/admission/validate")"
  echo "   [$1] HTTP $CODE $(head -c 300 "$ANS")"
}
wrap() {  # kubewarden's request -> the AdmissionReview the API server posts
  jq '{apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: .}' "$DATA/kubewarden/$1" >"$W/$1"
  echo "$W/$1"
}

review privileged "$(wrap privileged_container.json)"
assert_eq "privileged pod: HTTP 200" 200 "$CODE"
assert_json "privileged pod: denied, uid echoed" "$ANS" \
  '.apiVersion == "admission.k8s.io/v1" and .kind == "AdmissionReview" and .response.uid == "1299d386-525b-4032-98ae-1949f69f9cfc" and .response.allowed == false and .response.status.code == 403'
assert_json "the message names the Pod Security level and the container" "$ANS" \
  '.response.status.message | test("PodSecurity \"baseline:latest\": privileged .*nginx")'

review plain "$(wrap no_privileged_containers.json)"
assert_json "a plain pod from an allowed registry: allowed" "$ANS" '.response.allowed == true and (.response | has("status") | not)'

review hostns "$(wrap hostns_pod_request.json)"
assert_json "host namespaces: denied" "$ANS" '.response.allowed == false and (.response.status.message | test("host namespaces"))'
review deploy "$(wrap deployment_with_privileged_containers.json)"
assert_json "a Deployment's pod template: denied" "$ANS" '.response.allowed == false and (.response.status.message | test("privileged"))'

review k8s_fixture "$DATA/kubernetes-api/admission.k8s.io.v1.AdmissionReview.json"
assert_json "Kubernetes' v1 fixture: uid echoed, unknown operation denied" "$ANS" \
  '.response.uid == "uidValue" and .response.allowed == false and (.response.status.message | test("unknown operation"))'

# Images: signed (by digest and by tag) allowed; unsigned and foreign registries denied.
signed_pod() {  # NAME IMAGE
  jq --arg i "$2" '.request.object.spec.containers |= map(.image = $i) | .request.uid = "uid-'"$1"'"' \
    "$W/no_privileged_containers.json" >"$W/$1.json"
  echo "$W/$1.json"
}
review signed "$(signed_pod signed "$REPO@$DIGEST")"
assert_json "a signed image pinned by digest: allowed" "$ANS" '.response.allowed == true and .response.uid == "uid-signed"'
review signed_tag "$(signed_pod signed_tag "$REPO:1")"
assert_json "the signed image by tag: allowed" "$ANS" '.response.allowed == true'
review unsigned "$(signed_pod unsigned "$REGISTRY/bulwark-e2e/enforce/unsigned:1")"
assert_json "the same image without a signature: denied, saying why" "$ANS" \
  '.response.allowed == false and (.response.status.message | test("no cosign signature verifies with key.pub"))'
review foreign "$(signed_pod foreign "quay.io/team/app:1")"
assert_json "a registry outside the allow list: denied" "$ANS" \
  '.response.allowed == false and (.response.status.message | test("not in the allowed registries"))'
assert_no_grep "the registry password is never in an answer" "$ANS" "$REG_PASS"

# Malformed input fails closed.
printf 'not json' >"$W/garbage"
review garbage "$W/garbage"
assert_eq "a body that is not JSON: HTTP 400" 400 "$CODE"
echo '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{}}' >"$W/nouid"
review nouid "$W/nouid"
assert_eq "no request.uid: HTTP 400" 400 "$CODE"
assert_eq "GET is refused" 405 "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/api/v1/admission/validate")"

# A policy with a mistake stops the server from starting, naming the file and line.
printf 'images:\n  require_digets: true\n' >"$W/bad.yaml"
run_bulwark badpolicy --timeout 20 server --listen 127.0.0.1:18902 --data "$W/data2" --admission-policy "$W/bad.yaml"
assert_true "a bad policy: the server refuses to start" test "$RC" -ne 0
assert_grep "the error names the file, line and key" "$ERR" "bad.yaml:2.*require_digets"

run_bulwark manifest config "$BULWARK_SOURCE_DIR/deploy/kubernetes/bulwark-admission.yaml" --exit-code 1
assert_rc "deploy/kubernetes/bulwark-admission.yaml passes bulwark config" 0
e2e_finish
