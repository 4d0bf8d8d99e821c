#!/usr/bin/env bash
# Writes DIR/hostile.tar (docker-archive, tag hostile/x:1): a Debian 11 rootfs whose dpkg status
# holds real bullseye packages pinned before DSA fixes (so there are vulnerabilities) and
# packages whose names, versions and sources carry <script>/<img onerror> payloads, a Python
# dist-info with markup in its folder name and METADATA, and an image config whose labels,
# environment and history carry markup. Used by the HTML report and dashboard browser tests.
set -euo pipefail
H="$1"
R="$H/rootfs"
DIST="$R/usr/lib/python3/dist-packages/evil<img src=x onerror=alert(11)>-1.0.dist-info"
mkdir -p "$R/etc" "$R/var/lib/dpkg" "$DIST" "$H/img"
printf 'PRETTY_NAME="Debian GNU/Linux 11 (bullseye)"\nNAME="Debian GNU/Linux"\nVERSION_ID="11"\nVERSION_CODENAME=bullseye\nID=debian\n' \
  >"$R/etc/os-release"
# Real bullseye packages pinned before DSA fixes (so there are vulnerabilities to show), and
# hostile entries; one hostile package claims zlib as its source, so a finding carries it.
cat >"$R/var/lib/dpkg/status" <<'ST'
Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.11.dfsg-2+deb11u1

Package: openssl
Status: install ok installed
Architecture: amd64
Version: 1.1.1n-0+deb11u3

Package: git
Status: install ok installed
Architecture: amd64
Version: 1:2.30.2-1+deb11u1

Package: libexpat1
Status: install ok installed
Architecture: amd64
Source: expat
Version: 2.2.10-2+deb11u3

Package: <script>window.__pwned=1;console.log('BULWARK-XSS')</script>
Status: install ok installed
Architecture: amd64
Version: 1.0</script><!--

Package: x<img src=x onerror="console.log('BULWARK-XSS');alert(1)">
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.11.dfsg-2+deb11u1
ST
printf 'Metadata-Version: 2.1\nName: <svg onload=alert(12)>\nVersion: 1.0\nLicense: <b>MIT</b>\n' >"$DIST/METADATA"
tar -C "$R" --owner=0 --group=0 --numeric-owner -cf "$H/img/layer.tar" etc var usr
DIFF_ID="sha256:$(sha256sum "$H/img/layer.tar" | cut -d' ' -f1)"
cat >"$H/img/config.json" <<CFG
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/bin","AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
   "Labels":{"<b>label</b>":"<script>alert(6)</script>","org.opencontainers.image.source":"javascript:alert(7)"}},
 "rootfs":{"type":"layers","diff_ids":["$DIFF_ID"]},
 "history":[{"created_by":"/bin/sh -c #(nop) <img src=x onerror=alert(9)> </script><!-- \u2028 end"}]}
CFG
CONFIG_DIGEST="$(sha256sum "$H/img/config.json" | cut -d' ' -f1)"
mv "$H/img/config.json" "$H/img/$CONFIG_DIGEST.json"
echo "[{\"Config\":\"$CONFIG_DIGEST.json\",\"RepoTags\":[\"hostile/x:1\"],\"Layers\":[\"layer.tar\"]}]" >"$H/img/manifest.json"
tar -C "$H/img" -cf "$H/hostile.tar" manifest.json "$CONFIG_DIGEST.json" layer.tar
