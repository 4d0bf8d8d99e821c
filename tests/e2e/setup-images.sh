#!/usr/bin/env bash
# Builds the real images the end-to-end suites scan. Idempotent and cached: a second run that finds
# every artefact (and the Docker images with the recorded ids) does nothing but check the registry.
# Needs root, dockerd, skopeo, debootstrap and the registry of scripts/start-services.sh.
#
# Artefacts, all under $BULWARK_E2E_CACHE (default /var/cache/bulwark-e2e; it survives build-dir
# wipes so debootstrap runs once per machine / CI run):
#   debian-12-rootfs.tar   debootstrap --variant=minbase bookworm, as a tar. The slow step (~1 min
#                          here, network-bound); only needed while the base image is missing.
#   Docker images          bulwark-e2e/debian:12  `docker import` of that tar: one layer, no history.
#                          bulwark-e2e/app:1      `docker build` on top of it (the Dockerfile is
#                          written below, to build-ctx/Dockerfile). Layer 1 is the base; then:
#                            2. deleted and replaced files        -> .wh.<name> whiteouts (among them
#                               /usr/share/doc/dpkg: dpkg's copyright file, so its licence, is gone)
#                            3. /etc/skel and /usr/share/doc/sed emptied and re-filled -> .wh..wh..opq
#                               (opaque directories; sed's copyright file is gone)
#                            4. ONE apt layer: installs ca-certificates, curl, procps and less, then
#                               `apt-get remove procps` (left in state config-files: "rc") and
#                               `apt-get purge less` (gone) -> dpkg status entries that must NOT be
#                               reported, and a layer whose diff_id the apt packages must carry.
#                            5. a plain file (a layer after the apt one, so "last layer" is not "apt").
#   images/debian.tar, images/app.tar     `docker save` (docker-archive, uncompressed layers)
#   images/app-oci-gzip                   `skopeo copy` to an OCI layout, gzip layers   (tag 1)
#   images/app-oci-zstd                   OCI layout with zstd layers (media type ...tar+zstd) (tag 1)
#   images/app-oci.tar                    OCI archive (tar of a gzip OCI layout)      (tag 1)
#   127.0.0.1:5000/bulwark-e2e/app:1      pushed to the htpasswd registry (checked on every run:
#                                         the registry's storage lives in /tmp)
#   rootfs/app                            the squashed app rootfs (`docker create` + `docker export`)
#                                         -- the dir: transport, and the source of the ground truth
#   truth/app.tsv, truth/debian.tsv       ground truth: dpkg-query over the exported rootfs,
#                                         installed packages only, sorted, TSV with columns
#                                         name version source source_version architecture
#   truth/app.layers                      diff_ids of the app image, one per line, oldest first
#                                         (line 1 = the base layer, line 4 = the apt layer)
#   stamp                                 hash of this script + app image id: a change rebuilds
#
# Fails loudly (exit 1 with "setup-images: ERROR: ..." and the failing step's log on stderr).
# Cold run on this 2-core machine: ~2.5 min (debootstrap ~65 s, build ~30 s, skopeo ~12 s,
# export + truth ~20 s, push ~10 s); warm: well under a second.
set -euo pipefail
SELF="$(readlink -f "${BASH_SOURCE[0]}")"

CACHE="${BULWARK_E2E_CACHE:-/var/cache/bulwark-e2e}"
STATE="${BULWARK_E2E_STATE:-/tmp/bulwark-e2e-services}"
MIRROR="${BULWARK_E2E_MIRROR:-}"
REGISTRY="127.0.0.1:5000"
BASE_TAG="bulwark-e2e/debian:12"
APP_TAG="bulwark-e2e/app:1"

die() { echo "setup-images: ERROR: $*" >&2; exit 1; }
log() { echo "setup-images: [$(date -u +%H:%M:%S)] $*" >&2; }
trap 'echo "setup-images: ERROR: command failed at line $LINENO: $BASH_COMMAND" >&2' ERR

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, docker)"
for tool in debootstrap docker skopeo dpkg-query tar sha256sum jq; do
  command -v "$tool" >/dev/null || die "missing tool '$tool' (run scripts/install-deps.sh)"
done
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "dockerd is not reachable (run scripts/start-services.sh)"

if [ -z "$MIRROR" ]; then
  # The machine's own Debian mirror (the only one reachable in CI).
  MIRROR="$(grep -rhoE '(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
    | grep -v security | head -1 | awk '{print $2}' || true)"
  MIRROR="${MIRROR:-http://deb.debian.org/debian}"
fi

mkdir -p "$CACHE/images" "$CACHE/truth" "$CACHE/rootfs"
cd "$CACHE"
SCRIPT_HASH="$(sha256sum "$SELF" | cut -c1-16)"
DEBUG_START=$(date +%s)

# ---------------------------------------------------------------- (a) debootstrap + docker import
image_id() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }

# The rootfs tar is only needed to (re)import the base image.
if [ ! -s debian-12-rootfs.tar ] && [ -z "$(image_id "$BASE_TAG")" ]; then
  log "debootstrap --variant=minbase bookworm from $MIRROR (a few minutes)"
  rm -rf debootstrap.tmp && mkdir debootstrap.tmp
  if ! debootstrap --variant=minbase bookworm debootstrap.tmp/root "$MIRROR" >debootstrap.log 2>&1; then
    tail -30 debootstrap.log >&2
    die "debootstrap failed (full log: $CACHE/debootstrap.log)"
  fi
  rm -rf debootstrap.tmp/root/var/cache/apt/archives/*.deb debootstrap.tmp/root/var/lib/apt/lists/*
  tar --numeric-owner --xattrs -C debootstrap.tmp/root -cf debian-12-rootfs.tar.tmp .
  mv debian-12-rootfs.tar.tmp debian-12-rootfs.tar
  rm -rf debootstrap.tmp
  log "debootstrap done"
fi

if [ -z "$(image_id "$BASE_TAG")" ]; then
  log "docker import -> $BASE_TAG"
  docker import --change 'CMD ["/bin/bash"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    debian-12-rootfs.tar "$BASE_TAG" >/dev/null || die "docker import failed"
fi

# ---------------------------------------------------------------- (b) docker build of the app image
mkdir -p build-ctx
cat >build-ctx/Dockerfile <<'DOCKERFILE'
FROM bulwark-e2e/debian:12
# Layer 2: whiteouts. Delete files and replace one (a replaced file is a plain file in the upper
# layer; a deleted one is a .wh.<name> entry).
RUN rm -f /etc/issue.net /etc/debian_version.bak /usr/share/doc/bash/README* \
 && rm -rf /usr/share/doc/dpkg \
 && echo "bulwark e2e motd" > /etc/motd \
 && echo "Bulwark E2E \\n \\l" > /etc/issue
# Layer 3: an opaque directory: remove the directory and recreate it in the same RUN, so overlay2
# marks it opaque and `docker save` writes etc/skel/.wh..wh..opq.
# /usr/share/doc/sed the same way: its copyright file is hidden only by the opaque marker, so a
# reader that ignores the marker would still find sed's licence.
RUN rm -rf /etc/skel && mkdir /etc/skel && echo "# bulwark e2e skel" > /etc/skel/.bulwark \
 && rm -rf /usr/share/doc/sed && mkdir /usr/share/doc/sed && echo "bulwark e2e" > /usr/share/doc/sed/README.bulwark
# Layer 4: the one apt layer. procps is removed (stays "rc", config-files), less is purged.
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ca-certificates curl procps less \
 && DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq procps \
 && DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq less \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
# Layer 5: something after the apt layer.
RUN echo "bulwark-e2e" > /etc/bulwark-e2e-release
CMD ["/bin/bash"]
DOCKERFILE

STAMP_WANT="$SCRIPT_HASH $(image_id "$BASE_TAG")"
app_ok() {
  [ -f stamp ] && [ -n "$(image_id "$APP_TAG")" ] || return 1
  [ "$(cat stamp)" = "$STAMP_WANT $(image_id "$APP_TAG")" ] || return 1
  for f in images/debian.tar images/app.tar images/app-oci-gzip/index.json images/app-oci-zstd/index.json \
           images/app-oci.tar rootfs/app/var/lib/dpkg/status truth/app.tsv truth/debian.tsv truth/app.layers; do
    [ -e "$f" ] || return 1
  done
}

if ! app_ok; then
  rm -f stamp
  log "docker build -> $APP_TAG"
  if ! DOCKER_BUILDKIT=0 docker build --network host -t "$APP_TAG" build-ctx >build.log 2>&1; then
    tail -30 build.log >&2
    die "docker build failed (full log: $CACHE/build.log)"
  fi

  # ------------------------------------------------------------ (c) docker save
  log "docker save -> images/debian.tar, images/app.tar"
  docker save -o images/debian.tar.tmp "$BASE_TAG" && mv images/debian.tar.tmp images/debian.tar
  docker save -o images/app.tar.tmp "$APP_TAG" && mv images/app.tar.tmp images/app.tar

  # ------------------------------------------------------------ (d) skopeo: OCI layouts and archive
  log "skopeo copy -> OCI layout (gzip), OCI layout (zstd), OCI archive"
  rm -rf images/app-oci-gzip images/app-oci-zstd images/app-oci.tar
  skopeo copy -q --dest-compress --dest-compress-format gzip \
    docker-archive:images/app.tar oci:images/app-oci-gzip:1 || die "skopeo copy to oci (gzip) failed"
  skopeo copy -q --dest-compress --dest-compress-format zstd \
    docker-archive:images/app.tar oci:images/app-oci-zstd:1 || die "skopeo copy to oci (zstd) failed"
  skopeo copy -q --dest-compress --dest-compress-format gzip \
    docker-archive:images/app.tar oci-archive:images/app-oci.tar:1 || die "skopeo copy to oci-archive failed"
  zm="$(jq -r '.manifests[0].digest' images/app-oci-zstd/index.json | sed 's/^sha256://')"
  jq -e '[.layers[].mediaType] | all(endswith("tar+zstd"))' "images/app-oci-zstd/blobs/sha256/$zm" >/dev/null \
    || die "the zstd OCI layout has no tar+zstd layer (skopeo ignored --dest-compress-format zstd?)"

  # ------------------------------------------------------------ (f) squashed rootfs + ground truth
  log "docker export -> rootfs/app, rootfs/debian; dpkg-query ground truth"
  for name in app debian; do
    tag="$APP_TAG"; [ "$name" = debian ] && tag="$BASE_TAG"
    cid="$(docker create "$tag")"
    rm -rf "rootfs/$name" && mkdir -p "rootfs/$name"
    docker export "$cid" | tar --numeric-owner -C "rootfs/$name" -xf - || { docker rm -f "$cid" >/dev/null; die "docker export of $tag failed"; }
    docker rm -f "$cid" >/dev/null
    dpkg-query --admindir="rootfs/$name/var/lib/dpkg" -W \
      -f='${db:Status-Status}\t${Package}\t${Version}\t${source:Package}\t${source:Version}\t${Architecture}\n' \
      | awk -F'\t' '$1 == "installed" { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 }' | LC_ALL=C sort >"truth/$name.tsv"
    [ "$(wc -l <"truth/$name.tsv")" -gt 50 ] || die "ground truth truth/$name.tsv has too few packages"
  done
  # debian rootfs is only needed for its truth; keep the app one (the dir: transport).
  rm -rf rootfs/debian
  dpkg-query --admindir=rootfs/app/var/lib/dpkg -W -f='${db:Status-Abbrev}${Package}\n' | grep -q '^rc procps$' \
    || die "procps is not in state config-files (rc) in the app image"
  docker image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$APP_TAG" | sed '/^$/d' >truth/app.layers
  [ "$(wc -l <truth/app.layers)" -eq 5 ] || die "app image should have 5 layers, has $(wc -l <truth/app.layers)"
  echo "$STAMP_WANT $(image_id "$APP_TAG")" >stamp
fi

# ---------------------------------------------------------------- (e) push to the local registry
CREDS_FILE="$STATE/registry/creds"
[ -s "$CREDS_FILE" ] || die "no registry credentials at $CREDS_FILE (run scripts/start-services.sh)"
CREDS="$(cat "$CREDS_FILE")"
if ! skopeo inspect --creds "$CREDS" --tls-verify=false "docker://$REGISTRY/$APP_TAG" >/dev/null 2>&1 \
   || [ ! -f registry.pushed ] || [ "$(cat registry.pushed)" != "$(image_id "$APP_TAG")" ]; then
  log "skopeo copy -> docker://$REGISTRY/$APP_TAG"
  skopeo copy -q --dest-creds "$CREDS" --dest-tls-verify=false \
    "docker-daemon:$APP_TAG" "docker://$REGISTRY/$APP_TAG" || die "push to $REGISTRY failed (is the registry up?)"
  image_id "$APP_TAG" >registry.pushed
fi
log "images ready in $CACHE ($(( $(date +%s) - DEBUG_START )) s)"
