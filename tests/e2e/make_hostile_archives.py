#!/usr/bin/env python3
"""Writes hostile image archives for test_sbom_hostile.sh, with Python's tarfile (never with bulwark).

usage: make_hostile_archives.py OUT_DIR CANARY_DIR

Each case is a docker-archive (`docker save` layout: manifest.json, a config JSON, layer tars) or an
OCI layout folder, valid in every respect except the one attack it carries, so that a reader that
accepts it is wrong for exactly that reason. benign.tar is the control: same builder, no attack,
must scan fine. Paths aimed at the host use names unique to this suite (bulwark-evil-*, pwned-*),
so the test can check afterwards that none exist.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

OUT, CANARY = sys.argv[1], sys.argv[2].rstrip("/")
UP = "../" * 16  # enough to reach / from any extraction folder
OS_RELEASE = b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n'
STATUS = (b"Package: bulwark-e2e-pkg\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\n"
          b"Version: 1.0-1\nDescription: e2e control package\n\n")


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def entry(tf, name, data=b"", kind="file", target=""):
    ti = tarfile.TarInfo(name)
    ti.mtime = 1700000000
    ti.mode = 0o644
    if kind == "file":
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
        return
    if kind == "dir":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    elif kind == "symlink":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
    elif kind == "hardlink":
        ti.type, ti.linkname = tarfile.LNKTYPE, target
    tf.addfile(ti)


def layer(entries, base=True):
    """An uncompressed layer tar. base=True adds a small Debian so OS detection has something."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
        if base:
            for d in ("etc", "usr", "usr/lib", "var", "var/lib", "var/lib/dpkg"):
                entry(tf, d, kind="dir")
            entry(tf, "usr/lib/os-release", OS_RELEASE)
            entry(tf, "etc/os-release", kind="symlink", target="../usr/lib/os-release")
            entry(tf, "var/lib/dpkg/status", STATUS)
        for e in entries:
            entry(tf, *e)
    return buf.getvalue()


def config(diff_ids):
    return json.dumps({
        "architecture": "amd64", "os": "linux", "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created_by": "e2e hostile"} for _ in diff_ids],
    }).encode()


def docker_archive(name, layers, diff_ids=None, manifest_layers=None, raw_members=None):
    """layers: list of layer blobs (as stored). diff_ids default to their sha256."""
    path = os.path.join(OUT, name)
    diff_ids = diff_ids or [sha(b) for b in layers]
    cfg = config(diff_ids)
    cfg_name = hashlib.sha256(cfg).hexdigest() + ".json"
    names = [f"{hashlib.sha256(b).hexdigest()}/layer.tar" for b in layers]
    manifest = [{"Config": cfg_name, "RepoTags": [f"e2e-hostile/{name[:-4]}:1"],
                 "Layers": manifest_layers if manifest_layers is not None else names}]
    with tarfile.open(path, "w", format=tarfile.GNU_FORMAT) as tf:
        entry(tf, "manifest.json", json.dumps(manifest).encode())
        entry(tf, cfg_name, cfg)
        for n, b in zip(names, layers):
            entry(tf, n, b)
        for n, b in (raw_members or []):
            entry(tf, n, b)
    return path


def oci_layout(name, blob, size_delta=0, corrupt_blob=False):
    """An OCI layout with one gzip layer; optionally a descriptor size that lies or a blob whose
    bytes do not match its digest (its file name)."""
    root = os.path.join(OUT, name)
    os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)

    def put(b):
        with open(os.path.join(root, "blobs", "sha256", hashlib.sha256(b).hexdigest()), "wb") as f:
            f.write(b)
        return sha(b)

    gz = gzip.compress(blob, mtime=0)
    cfg = config([sha(blob)])
    layer_digest = sha(gz)
    with open(os.path.join(root, "blobs", "sha256", layer_digest[7:]), "wb") as f:
        if corrupt_blob:  # same length, different bytes
            f.write(gzip.compress(layer([("etc/bulwark-e2e-swapped", b"x" * 7)]), mtime=0)[:len(gz)].ljust(len(gz), b"\0"))
        else:
            f.write(gz)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(cfg), "size": len(cfg)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer_digest,
                    "size": len(gz) + size_delta}],
    }).encode()
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(manifest),
                            "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1"}}]}
    with open(os.path.join(root, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(root, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    return root


class HashingWriter:
    """Forwards writes to `out` and hashes them (the diff_id of a streamed, compressed layer)."""

    def __init__(self, out):
        self.out, self.h = out, hashlib.sha256()

    def write(self, b):
        self.h.update(b)
        return self.out.write(b)


class Zeros(io.RawIOBase):
    def __init__(self, n):
        self.left = n

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), self.left)
        b[:n] = bytes(n)
        self.left -= n
        return n


def gzip_bomb(name, size=1 << 30):
    """A docker-archive whose one gzip layer inflates to a tar holding `size` bytes of zeros (~1 MiB stored)."""
    gz_buf = io.BytesIO()
    with gzip.GzipFile(fileobj=gz_buf, mode="wb", compresslevel=9, mtime=0) as gz:
        hw = HashingWriter(gz)
        with tarfile.open(fileobj=hw, mode="w|", format=tarfile.GNU_FORMAT) as tf:
            base = tarfile.open(fileobj=io.BytesIO(layer([])))
            for m in base.getmembers():
                tf.addfile(m, base.extractfile(m) if m.isfile() else None)
            ti = tarfile.TarInfo("var/zeros")
            ti.size, ti.mtime, ti.mode = size, 1700000000, 0o644
            tf.addfile(ti, io.BufferedReader(Zeros(size), 1 << 20))
    return docker_archive(name, [gz_buf.getvalue()], diff_ids=["sha256:" + hw.h.hexdigest()])


def main():
    os.makedirs(OUT, exist_ok=True)
    docker_archive("benign.tar", [layer([("etc/bulwark-e2e-benign", b"ok\n")])])
    docker_archive("dotdot.tar", [layer([(UP + "etc/bulwark-evil-dotdot", b"pwned\n"),
                                         (UP + CANARY.lstrip("/") + "/pwned-dotdot", b"pwned\n")])])
    docker_archive("absolute.tar", [layer([("/etc/bulwark-evil-abs", b"pwned\n"),
                                           (CANARY + "/pwned-abs", b"pwned\n")])])
    docker_archive("symlink-escape.tar", [layer([
        ("link", b"", "symlink", "/etc"), ("link/bulwark-evil-link", b"pwned\n"),
        ("clink", b"", "symlink", CANARY), ("clink/pwned-link", b"pwned\n"),
        ("rlink", b"", "symlink", UP + "etc"), ("rlink/bulwark-evil-rlink", b"pwned\n")])])
    docker_archive("hardlink-loop.tar", [layer([("a", b"", "hardlink", "b"), ("b", b"", "hardlink", "a")])])
    # A hard link to a file outside the root, then a write to it: aimed at the canary, not at a
    # real host file, so that a broken reader damages nothing that matters.
    docker_archive("hardlink-escape.tar", [layer([("canary-link", b"", "hardlink", UP + CANARY.lstrip("/") + "/keep"),
                                                  ("canary-link", b"pwned\n")])])
    gzip_bomb("gzip-bomb.tar")
    full = layer([("var/payload", os.urandom(256 * 1024))])
    cut = full[: len(full) // 2 + 100]  # ends in the middle of var/payload's data
    docker_archive("truncated-layer.tar", [cut])
    good = layer([])
    docker_archive("missing-layer.tar", [good],
                   diff_ids=[sha(good), sha(b"the missing layer")],
                   manifest_layers=[f"{hashlib.sha256(good).hexdigest()}/layer.tar", "0" * 64 + "/layer.tar"])
    docker_archive("lying-diffid.tar", [good], diff_ids=[sha(b"not this layer")])
    oci_layout("oci-lying-size", good, size_delta=-100)
    oci_layout("oci-lying-digest", good, corrupt_blob=True)


if __name__ == "__main__":
    main()
