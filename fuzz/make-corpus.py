#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets from fuzz/corpora.txt.

usage: make-corpus.py REPO_ROOT SHARED_DIR OUT_DIR

Seeds are not copied into the repository: corpora.txt names fixture files (in the
repository and in the shared folder) and this script turns them into one seed folder per
target under OUT_DIR/<target>/ (adding the target's selector byte where it has one).
The hand-written seeds in fuzz/seeds/<target>/ and the inputs of past findings in
tests/data/fuzz-regressions/<target>/ are added as they are. Each seed file is
named after the sha1 of its content, as libFuzzer names corpus files.
"""
import fnmatch
import functools
import glob
import gzip
import re
import hashlib
import importlib.util
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

MAX_SEED = 512 * 1024

REPO, SHARED, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
counts = {}


def put(target, data):
    if len(data) > MAX_SEED:
        return
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)
    counts[target] = counts.get(target, 0) + 1


def resolve(path):
    return path.replace("$SHARED", SHARED).replace("$REPO", REPO) if path.startswith("$") else os.path.join(REPO, path)


def open_tar(path):
    if path.endswith(".zst"):
        raw = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
        return tarfile.open(fileobj=io.BytesIO(raw))
    return tarfile.open(path)


def sample(items, limit):
    if limit <= 0 or len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def seed_files(target, prefix, pattern, limit):
    files = sorted(p for p in glob.glob(resolve(pattern), recursive=True) if os.path.isfile(p))
    for p in sample(files, limit):
        with (gzip.open if p.endswith(".gz") else open)(p, "rb") as f:
            put(target, prefix + f.read())


def seed_jsonwrap(target, prefix, pattern, key, envelope):
    """Each JSON file put under `key` of the JSON object `envelope` (for instance the
    `request` of an AdmissionReview)."""
    for p in sorted(glob.glob(resolve(pattern), recursive=True)):
        with open(p, "rb") as f:
            doc = json.loads(envelope)
            doc[key] = json.load(f)
        put(target, prefix + json.dumps(doc).encode())


def seed_mdblocks(target, prefix, path, lang):
    """The fenced code blocks of language `lang` in a Markdown file (the examples of the docs)."""
    with open(resolve(path), encoding="utf-8") as f:
        text = f.read()
    for block in re.findall(r"^```" + re.escape(lang) + r"\n(.*?)^```", text, re.S | re.M):
        put(target, prefix + block.encode())


def seed_archive(target, prefix, path, member_glob, limit):
    p = resolve(path)
    if not os.path.exists(p):
        return
    with open_tar(p) as tf:
        members = [m for m in tf.getmembers() if m.isfile() and fnmatch.fnmatch(m.name, member_glob)]
        for m in sample(sorted(members, key=lambda m: m.name), limit):
            put(target, prefix + tf.extractfile(m).read())


def seed_tsv(target, prefix, path, limit):
    """Lines "A<TAB>B[<TAB>...]" become "A\\nB" (two versions, or a version and a range)."""
    p = resolve(path)
    if not os.path.exists(p):
        return
    rows = []
    with open(p, "rb") as f:
        for line in f:
            if line.startswith(b"#") or b"\t" not in line:
                continue
            cols = line.rstrip(b"\r\n").split(b"\t")
            rows.append(cols[0] + b"\n" + cols[1])
    for r in sample(rows, limit):
        put(target, prefix + r)


def seed_chunks(target, prefix, path, size, limit):
    """A large text file cut into pieces of about `size` bytes, each starting at a line that
    does not start with white space (a new record in the Debian tracker's lists)."""
    p = resolve(path)
    if not os.path.exists(p):
        return
    with open(p, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    chunks, cur = [], b""
    for line in lines:
        if len(cur) >= size and line[:1] not in (b" ", b"\t"):
            chunks.append(cur)
            cur = b""
        cur += line
    if cur:
        chunks.append(cur)
    for c in sample(chunks, limit):
        put(target, prefix + c)


def seed_falco_cases(path):
    """Falco's rule loader cases (a JSON list of {steps: [{rules_yaml}], compiled_condition}):
    each case's files as one fuzz_falco_rules input (files separated by "\n=====\n"), and
    the compiled conditions as fuzz_falco_condition seeds."""
    p = resolve(path)
    if not os.path.exists(p):
        return
    with open(p) as f:
        cases = json.load(f)
    for case in cases:
        files = [s.get("rules_yaml", "") for s in case.get("steps", []) if isinstance(s, dict)]
        if files:
            put("fuzz_falco_rules", "\n=====\n".join(files).encode())
        for s in case.get("steps", []):
            for cond in (s.get("compiled_condition") or {}).values() if isinstance(s, dict) else []:
                if isinstance(cond, str):
                    put("fuzz_falco_condition", cond.encode())


def seed_conditions(target, pattern):
    """The one-line `condition:` values of Falco rule files."""
    for p in sorted(glob.glob(resolve(pattern))):
        with open(p, "rb") as f:
            for line in f:
                s = line.strip()
                if s.startswith(b"condition:") and len(s) > 12 and s[11:12] not in (b">", b"|"):
                    put(target, s[len(b"condition:"):].strip())


def seed_hostile():
    """tests/e2e/make_hostile_archives.py's archives: docker-archive seeds, their layers as
    tar_layer seeds, and OCI layouts rewritten into fuzz_oci_layout's part form."""
    script = os.path.join(REPO, "tests/e2e/make_hostile_archives.py")
    with tempfile.TemporaryDirectory() as tmp:
        out, canary = os.path.join(tmp, "out"), os.path.join(tmp, "canary")
        os.makedirs(out)
        os.makedirs(canary)
        # Loaded as a module so that its gzip bomb can be made small (the e2e one inflates to
        # 1 GiB, which takes a minute to write; 16 MiB still trips the ratio limit).
        saved_argv = sys.argv
        sys.argv = [script, out, canary]
        try:
            spec = importlib.util.spec_from_file_location("make_hostile_archives", script)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            mod.gzip_bomb = functools.partial(mod.gzip_bomb, size=16 << 20)
            mod.main()
        finally:
            sys.argv = saved_argv
        for name in sorted(os.listdir(out)):
            p = os.path.join(out, name)
            if name.endswith(".tar") and os.path.getsize(p) <= MAX_SEED:
                with open(p, "rb") as f:
                    put("fuzz_docker_archive", f.read())
                with tarfile.open(p) as tf:
                    for m in tf.getmembers():
                        if m.isfile() and (m.name.endswith("layer.tar") or m.name.startswith("blobs/")):
                            put("fuzz_tar_layer", tf.extractfile(m).read())
            elif os.path.isdir(p) and os.path.exists(os.path.join(p, "index.json")):
                put("fuzz_oci_layout", oci_parts(p))


def oci_parts(layout):
    """An OCI layout folder as index.json and blobs separated by "\\n=====\\n", with every
    descriptor's digest and size replaced by @D<n> and @S<n> of the part holding the blob."""
    blobs = {}
    order = []

    def read_blob(digest):
        algo, hexd = digest.split(":", 1)
        with open(os.path.join(layout, "blobs", algo, hexd), "rb") as f:
            return f.read()

    def visit(doc):
        for d in doc.get("manifests", []) + ([doc["config"]] if "config" in doc else []) + doc.get("layers", []):
            dg = d.get("digest", "")
            if dg in blobs or ":" not in dg:
                continue
            try:
                data = read_blob(dg)
            except OSError:
                continue
            blobs[dg] = data
            order.append(dg)
            if d.get("mediaType", "").endswith("+json") and b"{" in data[:1]:
                try:
                    visit(json.loads(data))
                except ValueError:
                    pass

    with open(os.path.join(layout, "index.json"), "rb") as f:
        index = f.read()
    visit(json.loads(index))
    number = {dg: i + 1 for i, dg in enumerate(order)}

    def rewrite(data):
        try:
            doc = json.loads(data)
        except ValueError:
            return data
        text = json.dumps(doc)

        def descs(d):
            for x in d.get("manifests", []) + ([d["config"]] if "config" in d else []) + d.get("layers", []):
                yield x
        for x in descs(doc):
            n = number.get(x.get("digest"))
            if n:
                text = text.replace(json.dumps(x["digest"]), '"@D%d"' % n)
                text = text.replace('"size": %d' % x.get("size", -1), '"size": @S%d' % n, 1)
        return text.encode()

    parts = [rewrite(index)] + [rewrite(blobs[dg]) if blobs[dg][:1] == b"{" else blobs[dg] for dg in order]
    return b"\n=====\n".join(parts)


def main():
    with open(os.path.join(REPO, "fuzz/corpora.txt")) as f:
        for raw in f:
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = line.split()
            target, prefix, kind = fields[0], fields[1], fields[2]
            pre = b"" if prefix == "-" else bytes([int(prefix, 16)])
            if kind == "file":
                seed_files(target, pre, fields[3], int(fields[4]) if len(fields) > 4 else 0)
            elif kind == "archive":
                seed_archive(target, pre, fields[3], fields[4], int(fields[5]) if len(fields) > 5 else 0)
            elif kind == "jsonwrap":
                seed_jsonwrap(target, pre, fields[3], fields[4], fields[5])
            elif kind == "mdblocks":
                seed_mdblocks(target, pre, fields[3], fields[4])
            elif kind == "tsv":
                seed_tsv(target, pre, fields[3], int(fields[4]) if len(fields) > 4 else 0)
            elif kind == "chunks":
                seed_chunks(target, pre, fields[3], int(fields[4]), int(fields[5]))
            elif kind == "falco-cases":
                seed_falco_cases(fields[3])
            elif kind == "conditions":
                seed_conditions(target, fields[3])
            elif kind == "hostile":
                seed_hostile()
            else:
                sys.exit("corpora.txt: unknown kind %r in: %s" % (kind, raw.strip()))
    # Hand-written seeds, and every input fuzzing once found a bug with (so the smoke run
    # replays each of them through its target).
    for seeds in (os.path.join(REPO, "fuzz/seeds"), os.path.join(REPO, "tests/data/fuzz-regressions")):
        if not os.path.isdir(seeds):
            continue
        for target in sorted(os.listdir(seeds)):
            for p in sorted(glob.glob(os.path.join(seeds, target, "*"))):
                if os.path.isfile(p) and not p.endswith(".md"):
                    with open(p, "rb") as f:
                        put(target, f.read())
    for t in sorted(counts):
        print("%-24s %5d seeds" % (t, counts[t]))


main()
