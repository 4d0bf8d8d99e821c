#!/usr/bin/env bash
# `bulwark image` runs the image-config checks on real images built here with `docker build`:
#  - a careless image: root, no HEALTHCHECK, a secret in ENV and one in a RUN line, port 22 exposed,
#    a world-writable file, a setuid copy of bash;
#  - a hardened image: numeric USER, HEALTHCHECK, provenance labels, no setuid/setgid bits left,
#    no secrets, no privileged ports.
# The expected verdicts are written from the Dockerfiles below.
. "$(dirname "$0")/lib.sh"
e2e_init image_config
e2e_require_root
e2e_require_docker
e2e_require_cmd jq
e2e_setup_images

mkdir -p "$W/careless" "$W/hardened"
cat >"$W/careless/Dockerfile" <<'DOCKERFILE'
FROM bulwark-e2e/debian:12
ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
RUN echo "token=ghp_abcdefghijklmnopqrstuvwxyz0123456789" > /dev/null \
 && cp /bin/bash /usr/local/bin/rootbash && chmod 4755 /usr/local/bin/rootbash \
 && echo shared > /srv/shared.txt && chmod 0666 /srv/shared.txt
EXPOSE 22 8080
CMD ["/bin/bash"]
DOCKERFILE
cat >"$W/hardened/Dockerfile" <<'DOCKERFILE'
FROM bulwark-e2e/debian:12
RUN find / -xdev -perm /6000 -type f -exec chmod ug-s {} + \
 && useradd --uid 10001 --no-create-home app
LABEL org.opencontainers.image.source="https://example.org/app" \
      org.opencontainers.image.revision="0123456789abcdef" \
      org.opencontainers.image.created="2026-11-27T00:00:00Z"
HEALTHCHECK --interval=30s CMD ["/bin/true"]
EXPOSE 8080
USER 10001
CMD ["/bin/sleep", "infinity"]
DOCKERFILE
for name in careless hardened; do
  docker build -q -t "bulwark-e2e/config-$name:1" "$W/$name" >/dev/null || e2e_fatal "docker build $name failed"
  docker save -o "$W/$name.tar" "bulwark-e2e/config-$name:1"
done

ids() { jq -r '[.findings[] | select(.id | startswith("BW-IMG")) | .id] | unique | join(" ")' "$1"; }
has() { jq -e --arg id "$2" '[.findings[] | select(.id == $id)] | length > 0' "$1" >/dev/null; }

run_bulwark careless image "docker-archive:$W/careless.tar" --scanners config --format json --quiet
assert_rc "careless image" 0
for id in BW-IMG-001 BW-IMG-002 BW-IMG-003 BW-IMG-004 BW-IMG-006 BW-IMG-007 BW-IMG-010 BW-IMG-013; do
  assert_true "careless: $id fires" has "$OUT" "$id"
done
assert_json "careless: the setuid copy of bash is named" "$OUT" \
  '[.findings[] | select(.id=="BW-IMG-002") | .evidence | contains("/usr/local/bin/rootbash")] | any'
assert_json "careless: the world-writable file is named" "$OUT" \
  '[.findings[] | select(.id=="BW-IMG-003") | .evidence | contains("/srv/shared.txt")] | any'
assert_no_grep "careless: the secret's value is not printed" "$OUT" "wJalrXUtnFEMI/K7MDENG"
assert_json "careless: findings carry the image as target" "$OUT" \
  '[.findings[] | select(.id|startswith("BW-IMG")) | .target.kind == "image"] | all'

run_bulwark hardened image "docker-archive:$W/hardened.tar" --scanners config --format json --quiet
assert_rc "hardened image" 0
for id in BW-IMG-001 BW-IMG-002 BW-IMG-003 BW-IMG-004 BW-IMG-005 BW-IMG-006 BW-IMG-007 BW-IMG-010 BW-IMG-013; do
  if has "$OUT" "$id"; then _fail "hardened: $id fires: $(jq -c --arg id "$id" '[.findings[]|select(.id==$id)|.evidence]' "$OUT")"; else _pass "hardened: $id does not fire"; fi
done

run_bulwark table image "docker-archive:$W/careless.tar" --scanners config --quiet
assert_grep "table: the configuration section is shown" "$OUT" "Configuration and end of life"
run_bulwark gate image "docker-archive:$W/careless.tar" --scanners config --fail-on high --exit-code 7 --quiet
assert_rc "a high config finding trips --exit-code" 7
docker image rm "bulwark-e2e/config-careless:1" "bulwark-e2e/config-hardened:1" >/dev/null 2>&1 || true
e2e_finish
