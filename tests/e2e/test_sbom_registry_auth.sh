#!/usr/bin/env bash
# Registry authentication against the htpasswd docker-registry on 127.0.0.1:5000 (plain HTTP):
# wrong or missing credentials fail with exit 4 and an auth message that never shows the password;
# credentials from --creds, from BULWARK_USERNAME/BULWARK_PASSWORD and from ~/.docker/config.json
# all work; without --tls-verify=false the plain-HTTP registry is refused.
. "$(dirname "$0")/lib.sh"
e2e_init sbom_registry_auth
e2e_setup_images

REF="docker://$REGISTRY/bulwark-e2e/app:1"
AUTH_RE='auth|unauthori[sz]ed|401|credential|denied|login'
# An empty HOME and no BULWARK_* variables, so nothing leaks in from the machine.
mkdir -p "$W/home-empty"
clean_env=(env -u BULWARK_USERNAME -u BULWARK_PASSWORD -u DOCKER_CONFIG -u REGISTRY_AUTH_FILE HOME="$W/home-empty")
packages_of() { jq -r '.targets[0].packages[] | [.name, .version, .source, .source_version, .architecture] | @tsv' "$1" | LC_ALL=C sort; }

run_env() {  # NAME ENV-PREFIX... -- BULWARK-ARGS...
  local name="$1"; shift
  local pre=()
  while [ "$1" != -- ]; do pre+=("$1"); shift; done
  shift
  OUT="$W/$name.out"; ERR="$W/$name.err"
  set +e
  "${pre[@]}" timeout -k 5 300 "$BULWARK" "$@" >"$OUT" 2>"$ERR"
  RC=$?
  set -e
  local shown="$*"
  echo "   [$name] bulwark ${shown//"$REG_PASS"/***} -> exit $RC"
}

# Wrong password (the right user): exit 4, auth named, password never printed.
WRONG_PASS="Wr0ngPa55-e2e-$RANDOM$RANDOM"
run_env wrong-pass "${clean_env[@]}" -- sbom "$REF" --creds "$REG_USER:$WRONG_PASS" --tls-verify=false --format json --quiet
assert_rc "wrong password" 4
assert_grep "wrong password: stderr mentions authentication" "$ERR" "$AUTH_RE"
assert_no_grep "wrong password: stderr never shows the password" "$ERR" "$WRONG_PASS"
assert_no_grep "wrong password: stdout never shows the password" "$OUT" "$WRONG_PASS"
assert_grep "wrong password: stderr names the registry or image" "$ERR" '127\.0\.0\.1:5000|bulwark-e2e/app'

# Wrong user too.
run_env wrong-user "${clean_env[@]}" -- sbom "$REF" --creds "nobody-e2e:$WRONG_PASS" --tls-verify=false --format json --quiet
assert_rc "unknown user" 4
assert_no_grep "unknown user: stderr never shows the password" "$ERR" "$WRONG_PASS"

# No credentials at all.
run_env no-creds "${clean_env[@]}" -- sbom "$REF" --tls-verify=false --format json --quiet
assert_rc "no credentials" 4
assert_grep "no credentials: stderr mentions authentication" "$ERR" "$AUTH_RE"

# --creds (the reference way; also in test_sbom_transports.sh) and the password is not echoed.
run_env creds-flag "${clean_env[@]}" -- sbom "$REF" --creds "$REG_CREDS" --tls-verify=false --format json --quiet
assert_rc "--creds" 0
[ "$RC" -eq 0 ] && { packages_of "$OUT" >"$W/creds-flag.tsv"; assert_files_equal "--creds: packages" "$APP_TRUTH" "$W/creds-flag.tsv"; }
assert_no_grep "--creds: stderr never shows the password" "$ERR" "$REG_PASS"

# BULWARK_USERNAME / BULWARK_PASSWORD.
run_env env-creds "${clean_env[@]}" BULWARK_USERNAME="$REG_USER" BULWARK_PASSWORD="$REG_PASS" -- \
  sbom "$REF" --tls-verify=false --format json --quiet
assert_rc "BULWARK_USERNAME/BULWARK_PASSWORD" 0
[ "$RC" -eq 0 ] && { packages_of "$OUT" >"$W/env-creds.tsv"; assert_files_equal "env creds: packages" "$APP_TRUTH" "$W/env-creds.tsv"; }

# ~/.docker/config.json in a temp HOME (the "auth" field: base64 of user:pass).
mkdir -p "$W/home-docker/.docker"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REGISTRY" "$(printf '%s' "$REG_CREDS" | base64 -w0)" \
  >"$W/home-docker/.docker/config.json"
chmod 600 "$W/home-docker/.docker/config.json"
run_env docker-config env -u BULWARK_USERNAME -u BULWARK_PASSWORD -u DOCKER_CONFIG -u REGISTRY_AUTH_FILE HOME="$W/home-docker" -- \
  sbom "$REF" --tls-verify=false --format json --quiet
assert_rc "~/.docker/config.json" 0
[ "$RC" -eq 0 ] && { packages_of "$OUT" >"$W/docker-config.tsv"; assert_files_equal "docker config: packages" "$APP_TRUTH" "$W/docker-config.tsv"; }

# A wrong password in the env loses to nothing: it must fail, not fall back silently to anonymous success.
run_env env-wrong "${clean_env[@]}" BULWARK_USERNAME="$REG_USER" BULWARK_PASSWORD="$WRONG_PASS" -- \
  sbom "$REF" --tls-verify=false --format json --quiet
assert_rc "wrong BULWARK_PASSWORD" 4
assert_no_grep "wrong BULWARK_PASSWORD: stderr never shows it" "$ERR" "$WRONG_PASS"

# TLS verification stays on by default: the plain-HTTP registry is refused, even with good creds.
run_env tls-default "${clean_env[@]}" -- sbom "$REF" --creds "$REG_CREDS" --format json --quiet
assert_rc "plain-HTTP registry without --tls-verify=false" 4
assert_grep "TLS refused: stderr says why" "$ERR" 'tls|ssl|https|certificate|handshake|plain'
assert_no_grep "TLS refused: stderr never shows the password" "$ERR" "$REG_PASS"

e2e_finish
