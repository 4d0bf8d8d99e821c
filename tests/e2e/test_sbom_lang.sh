#!/usr/bin/env bash
# Language packages in a root filesystem, against the package managers' own answers:
#  - Python: importlib.metadata (the standard library's reader of installed distributions)
#    over a copy of this machine's dist-packages metadata;
#  - Node.js: `npm ls --all --parseable --long` inside a copy of npm's own install, whose
#    dependencies are bundled in node_modules;
#  - Java: the pom.properties inside Debian's jars, read with Python's zipfile;
#  - a hostile jar (zip bomb entry, corrupt archive): a warning naming it, the rest still listed.
. "$(dirname "$0")/lib.sh"
e2e_init sbom_lang
e2e_require_cmd python3
e2e_require_cmd npm
e2e_require_cmd jq

ROOT="$W/rootfs"
mkdir -p "$ROOT/usr/lib/python3/dist-packages" "$ROOT/usr/lib/node_modules" "$ROOT/usr/share/java" "$ROOT/etc"
cp /etc/os-release "$ROOT/etc/os-release"
# Python: metadata folders and single-file egg-infos only.
find /usr/lib/python3/dist-packages -maxdepth 1 \( -name '*.dist-info' -o -name '*.egg-info' \) \
  -exec cp -a {} "$ROOT/usr/lib/python3/dist-packages/" \;
cp -a "$(npm root -g)/npm" "$ROOT/usr/lib/node_modules/npm"
jars=$(find /usr/share/java -maxdepth 1 -name '*.jar' -type f 2>/dev/null | head -40 || true)
[ -n "$jars" ] || e2e_missing "no jars in /usr/share/java (install libcommons-lang3-java)"
for j in $jars; do cp "$j" "$ROOT/usr/share/java/"; done

run_bulwark sbom sbom "dir:$ROOT" --format json --quiet
assert_rc "sbom of the language rootfs" 0
jq -r '.targets[0].packages[] | select(.ecosystem=="pypi") | "\(.name)==\(.version)"' "$OUT" | sort -u >"$W/py.actual"
jq -r '.targets[0].packages[] | select(.ecosystem=="npm") | "\(.name)@\(.version)"' "$OUT" | sort -u >"$W/npm.actual"
jq -r '.targets[0].packages[] | select(.ecosystem=="maven") | "\(.name)@\(.version)"' "$OUT" | sort -u >"$W/java.actual"

python3 - "$ROOT/usr/lib/python3/dist-packages" >"$W/py.expected" <<'PY'
import importlib.metadata as md, sys
seen = set()
for d in md.distributions(path=[sys.argv[1]]):
    name, version = d.metadata["Name"], d.version
    if name and version:
        seen.add(f"{name}=={version}")
print("\n".join(sorted(seen)))
PY
sort -u -o "$W/py.expected" "$W/py.expected"
assert_true "python: importlib found packages" test -s "$W/py.expected"
assert_files_equal "python packages = importlib.metadata" "$W/py.expected" "$W/py.actual"

(cd "$ROOT/usr/lib/node_modules/npm" && npm ls --all --parseable --long 2>/dev/null || true) |
  awk -F: 'NF >= 2 {print $2}' | sort -u >"$W/npm.expected"
assert_true "npm: npm ls listed packages" test -s "$W/npm.expected"
# npm ls lists what npm resolves; every one of them must be found.
missing=$(comm -23 "$W/npm.expected" "$W/npm.actual" | head -20)
assert_eq "npm: every package npm ls reports is listed" "" "$missing"
extra=$(comm -13 "$W/npm.expected" "$W/npm.actual" | head -20)
[ -z "$extra" ] || echo "   note: listed but not in npm ls (installed, unreferenced): $(echo "$extra" | tr '\n' ' ')"

python3 - "$ROOT/usr/share/java" >"$W/java.expected" <<'PY'
import zipfile, sys, os
out = set()
def props(data):
    kv = {}
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line[0] in "#!" or "=" not in line: continue
        k, v = line.split("=", 1); kv[k.strip()] = v.strip()
    return kv
for f in sorted(os.listdir(sys.argv[1])):
    with zipfile.ZipFile(os.path.join(sys.argv[1], f)) as z:
        for n in z.namelist():
            if n.startswith("META-INF/maven/") and n.endswith("/pom.properties"):
                kv = props(z.read(n))
                if kv.get("groupId") and kv.get("artifactId") and kv.get("version"):
                    out.add(f'{kv["groupId"]}:{kv["artifactId"]}@{kv["version"]}')
print("\n".join(sorted(out)))
PY
sort -u -o "$W/java.expected" "$W/java.expected"
assert_true "java: zipfile found pom.properties" test -s "$W/java.expected"
assert_files_equal "java packages = pom.properties in the jars" "$W/java.expected" "$W/java.actual"

# purls follow the purl spec: pypi names normalised, npm scopes encoded, maven group as namespace.
assert_json "pypi purls are lower-case and normalised" "$OUT" \
  '[.targets[0].packages[] | select(.ecosystem=="pypi") | .purl | test("^pkg:pypi/[a-z0-9-]+@")] | all'
assert_json "scoped npm purls encode @" "$OUT" \
  '[.targets[0].packages[] | select(.ecosystem=="npm" and (.name|startswith("@"))) | .purl | startswith("pkg:npm/%40")] | all'
assert_json "maven purls carry the group" "$OUT" \
  '[.targets[0].packages[] | select(.ecosystem=="maven") | .purl | test("^pkg:maven/[^/]+/[^@]+@")] | all'

# Hostile jars: one whose only entry inflates past the nested-jar limit, one that is not a zip.
python3 - "$ROOT/usr/share/java" <<'PY'
import zipfile, sys, os, io
d = sys.argv[1]
inner = io.BytesIO()
with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("zeros.bin", b"\0" * (80 << 20))   # nested jar bigger than 64 MiB once inflated
with zipfile.ZipFile(os.path.join(d, "bomb.jar"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("BOOT-INF/lib/big.jar", b"\0" * (80 << 20))
    z.writestr("META-INF/maven/org.example/bomb/pom.properties", "groupId=org.example\nartifactId=bomb\nversion=1.0\n")
open(os.path.join(d, "corrupt.jar"), "wb").write(b"PK\x03\x04" + os.urandom(4096))
PY
run_bulwark hostile sbom "dir:$ROOT" --format json --quiet
assert_rc "sbom with hostile jars still succeeds" 0
assert_grep "the corrupt jar is named in a warning" "$ERR" "corrupt\.jar"
java_after=$(jq -r '[.targets[0].packages[] | select(.ecosystem=="maven")] | length' "$OUT")
assert_eq "the other jars are still listed" "$(wc -l <"$W/java.expected")" "$java_after"
e2e_finish
