#!/usr/bin/env bash
# Benchmark (not a test): `bulwark config` against `trivy config` on the same Kubernetes
# manifests, side by side in one run. Corpora (built under $BENCH_DIR/config-k8s, from
# ../shared/fixtures and a seeded generator; nothing is downloaded but Trivy itself):
#   peers      the kube-score testdata and Polaris check cases (YAML manifests)
#   fixtures   peers + the kubesec rule-case manifests and Trivy's KSV examples and rego inputs
#   generated  GEN_COUNT (default 3000) generated workloads: Deployments, StatefulSets, DaemonSets,
#              Jobs, CronJobs and Pods with varied security contexts, one to three documents per
#              file (plus Services), half YAML, some JSON, some `List`s
#   pss        the 3,687 Pod Security fixtures of kubernetes/pod-security-admission (only with
#              --with-pss: Trivy needs many minutes; its --timeout is raised to 60m for it)
# Each tool gets a fresh cache dir per run. Trivy runs offline with its embedded checks
# (--skip-policy-update). bulwark runs with --format json. Reported per corpus: files, wall time and
# peak RSS (median of RUNS runs for bulwark, TRIVY_RUNS for Trivy), the ratio, and the failing
# findings each reports (bulwark: findings; Trivy: Misconfigurations with Status FAIL).
# Writes bench/results/<date>-config-k8s.md.
#   usage: bench/config-k8s-vs-trivy.sh [--with-pss] [--only peers|fixtures|generated|pss]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$(pwd)"
BULWARK="${BULWARK:-$ROOT/build/bulwark}"
SHARED="${BULWARK_SHARED_DIR:-$ROOT/../shared}"
BENCH_DIR="${BULWARK_BENCH_DIR:-/var/cache/bulwark-bench}"
RUNS="${RUNS:-3}"
TRIVY_RUNS="${TRIVY_RUNS:-1}"
GEN_COUNT="${GEN_COUNT:-3000}"
. bench/lib.sh
WITH_PSS=0
ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --with-pss) WITH_PSS=1 ;;
    --only) ONLY="$2"; shift ;;
    *) echo "usage: $0 [--with-pss] [--only peers|fixtures|generated|pss]" >&2; exit 2 ;;
  esac
  shift
done

[ -x "$BULWARK" ] || die "$BULWARK is missing: build it first (ninja -C build bulwark)"
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
command -v jq >/dev/null || die "jq is missing"
command -v python3 >/dev/null || die "python3 is missing"
mkdir -p "$BENCH_DIR" "$ROOT/bench/results"

# ---------------------------------------------------------------- trivy
bench_trivy

# ---------------------------------------------------------------- corpora
CORPUS="$BENCH_DIR/config-k8s"
WF="$SHARED/fixtures/workload-checks"
build_corpora() {
  local stamp="$CORPUS/.built-$GEN_COUNT"
  [ -f "$stamp" ] && return 0
  log "building corpora in $CORPUS"
  rm -rf "$CORPUS" && mkdir -p "$CORPUS/src" "$CORPUS/peers" "$CORPUS/fixtures" "$CORPUS/generated" "$CORPUS/pss"
  tar --zstd -xf "$WF/kube-score.tar.zst" -C "$CORPUS/src"
  tar --zstd -xf "$WF/polaris.tar.zst" -C "$CORPUS/src"
  tar --zstd -xf "$SHARED/fixtures/pod-security/psa-testdata.tar.zst" -C "$CORPUS/src"
  # peers: every manifest of the kube-score testdata and the Polaris check cases.
  (cd "$CORPUS/src" && find kube-score/testdata -type f \( -name '*.yaml' -o -name '*.yml' \) \
    -exec cp --parents {} "$CORPUS/peers" \;)
  (cd "$CORPUS/src" && find polaris/checks -type f \( -name '*.yaml' -o -name '*.yml' \) ! -name 'check.yaml' \
    -exec cp --parents {} "$CORPUS/peers" \;)
  # fixtures: peers + kubesec and Trivy cases, one file each.
  cp -r "$CORPUS/peers/." "$CORPUS/fixtures/"
  python3 - "$WF" "$CORPUS/fixtures/cases" <<'PY'
import json, os, sys
wf, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for i, c in enumerate(json.load(open(os.path.join(wf, "kubesec", "kubesec-rule-cases.json")))):
    open(os.path.join(out, f"kubesec-{i:03}.yaml"), "w").write(c["manifest"])
ksv = json.load(open(os.path.join(wf, "trivy-checks", "trivy-checks-kubernetes-KSV.json")))
for key, check in ksv.items():
    for kind in ("examples_good", "examples_bad"):
        for i, text in enumerate(check.get(kind) or []):
            open(os.path.join(out, f"trivy-{key}-{kind}-{i}.yaml"), "w").write(text)
    for i, t in enumerate(check.get("rego_tests") or []):
        if isinstance(t.get("input"), dict) and "kind" in t["input"]:
            open(os.path.join(out, f"trivy-{key}-test-{i}.json"), "w").write(json.dumps(t["input"], indent=1))
PY
  cp -r "$CORPUS/src/psa-testdata/baseline" "$CORPUS/src/psa-testdata/restricted" "$CORPUS/pss/"
  python3 - "$CORPUS/generated" "$GEN_COUNT" <<'PY'
import json, random, sys, os
out, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(20261127)
kinds = ["Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod"]
images = ["nginx", "nginx:latest", "nginx:1.27.2", "ghcr.io/acme/api:2.4.1", "redis@sha256:" + "ab" * 32,
          "registry.local:5000/team/worker:v3", "busybox:1.36"]
def container(i):
    c = {"name": f"c{i}", "image": rng.choice(images)}
    sc = {}
    if rng.random() < .5: sc["allowPrivilegeEscalation"] = rng.random() < .3
    if rng.random() < .1: sc["privileged"] = True
    if rng.random() < .5: sc["capabilities"] = {"drop": ["ALL"]} if rng.random() < .7 else {"add": [rng.choice(["NET_ADMIN", "SYS_ADMIN", "NET_BIND_SERVICE", "CHOWN"])]}
    if rng.random() < .4: sc["readOnlyRootFilesystem"] = rng.random() < .8
    if rng.random() < .4: sc["runAsUser"] = rng.choice([0, 1000, 10001, 65534])
    if rng.random() < .3: sc["runAsNonRoot"] = rng.random() < .8
    if rng.random() < .2: sc["seccompProfile"] = {"type": rng.choice(["RuntimeDefault", "Unconfined", "Localhost"])}
    if sc: c["securityContext"] = sc
    if rng.random() < .6: c["resources"] = {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m"}}
    if rng.random() < .5: c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}}
    if rng.random() < .5: c["readinessProbe"] = {"httpGet": {"path": "/ready", "port": 8080}}
    if rng.random() < .3: c["ports"] = [{"containerPort": rng.choice([80, 8080, 443]), **({"hostPort": 80} if rng.random() < .1 else {})}]
    if rng.random() < .2: c["env"] = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}]
    if rng.random() < .2: c["imagePullPolicy"] = rng.choice(["Always", "IfNotPresent"])
    return c
def pod_spec():
    s = {"containers": [container(i) for i in range(rng.randint(1, 3))]}
    if rng.random() < .2: s["initContainers"] = [container(9)]
    if rng.random() < .1: s[rng.choice(["hostNetwork", "hostPID", "hostIPC"])] = True
    if rng.random() < .4: s["securityContext"] = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if rng.random() < .3: s["automountServiceAccountToken"] = False
    if rng.random() < .3: s["serviceAccountName"] = "app"
    if rng.random() < .15: s["volumes"] = [{"name": "h", "hostPath": {"path": rng.choice(["/var/run/docker.sock", "/proc", "/var/log", "/etc"])}}]
    return s
def workload(n):
    kind = rng.choice(kinds)
    meta = {"name": f"w{n}", "labels": {"app": f"w{n}"}}
    if rng.random() < .8: meta["namespace"] = rng.choice(["default", "shop", "payments", "kube-system"])
    tmpl = {"metadata": {"labels": {"app": f"w{n}"}}, "spec": pod_spec()}
    api = {"Pod": "v1", "Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    if kind == "Pod": return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": tmpl["spec"]}
    if kind == "Job": return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": {"template": tmpl}}
    if kind == "CronJob": return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": tmpl}}}}
    spec = {"selector": {"matchLabels": {"app": f"w{n}"}}, "template": tmpl}
    if kind != "DaemonSet": spec["replicas"] = rng.randint(1, 5)
    return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": spec}
def service(n):
    spec = {"selector": {"app": f"w{n}"}, "ports": [{"port": 80, "targetPort": 8080}]}
    if rng.random() < .3: spec["type"] = rng.choice(["NodePort", "LoadBalancer"])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"w{n}"}, "spec": spec}
def to_yaml(v, indent=0):
    pad = "  " * indent
    if isinstance(v, dict):
        if not v: return " {}"
        s = ""
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x: s += f"\n{pad}{k}:" + to_yaml(x, indent + 1)
            else: s += f"\n{pad}{k}:" + to_yaml(x, indent + 1)
        return s
    if isinstance(v, list):
        if not v: return " []"
        s = ""
        for x in v:
            inner = to_yaml(x, indent + 1)
            if isinstance(x, dict): s += f"\n{pad}- " + inner.lstrip("\n").lstrip()
            else: s += f"\n{pad}-" + inner
        return s
    return " " + json.dumps(v)
for n in range(count):
    docs = [workload(n)]
    if rng.random() < .4: docs.append(service(n))
    if rng.random() < .1:
        path = os.path.join(out, f"m{n:05}.json")
        open(path, "w").write(json.dumps(docs[0] if len(docs) == 1 else {"apiVersion": "v1", "kind": "List", "items": docs}, indent=1))
    else:
        path = os.path.join(out, f"m{n:05}.yaml")
        open(path, "w").write("\n---\n".join(to_yaml(d).lstrip("\n") for d in docs) + "\n")
PY
  touch "$stamp"
}
build_corpora

RUN_DIR="$(mktemp -d "$BENCH_DIR/run.XXXXXX")"
trap 'rm -rf "$RUN_DIR"' EXIT

CORPORA=(peers fixtures generated)
[ "$WITH_PSS" = 1 ] && CORPORA+=(pss)
[ -n "$ONLY" ] && CORPORA=("$ONLY")
ROWS=""
for corpus in "${CORPORA[@]}"; do
  dir="$CORPUS/$corpus"
  files="$(find "$dir" -type f | wc -l)"
  log "$corpus: $files files"
  b_times=(); b_cpus=(); b_rss=0; b_findings="-"; b_rc=0
  for i in $(seq 1 "$RUNS"); do
    read -r wall rss rc cpu < <(measure "bulwark-$corpus-$i" "$BULWARK" config "$dir" --format json -q -o "$RUN_DIR/bulwark-$corpus.json")
    b_times+=("$wall"); b_cpus+=("$cpu"); [ "$rss" -gt "$b_rss" ] && b_rss="$rss"; b_rc="$rc"
  done
  b_wall="$(printf '%s\n' "${b_times[@]}" | median)"
  b_cpu="$(printf '%s\n' "${b_cpus[@]}" | median)"
  [ -s "$RUN_DIR/bulwark-$corpus.json" ] && b_findings="$(jq '[.findings[] | select(.status == "fail")] | length' "$RUN_DIR/bulwark-$corpus.json")"
  b_files="$(jq '[.findings[].location.path] | unique | length' "$RUN_DIR/bulwark-$corpus.json" 2>/dev/null || echo -)"
  b_diags="$(grep -c '^bulwark: .*: \(error\|warning\)' "$RUN_DIR/bulwark-$corpus-1.stderr" || true)"
  log "bulwark $corpus: ${b_wall}s wall, ${b_cpu}s CPU, ${b_rss} KiB, $b_findings findings (exit $b_rc)"

  t_times=(); t_cpus=(); t_rss=0; t_findings="-"; t_rc=0
  # Trivy's default --timeout is 5m; it is raised so that Trivy finishes and its findings can be counted.
  timeout_flag=(--timeout 60m)
  for i in $(seq 1 "$TRIVY_RUNS"); do
    rm -rf "$RUN_DIR/trivy-cache"
    read -r wall rss rc cpu < <(measure "trivy-$corpus-$i" "$TRIVY" config --skip-policy-update --quiet \
      --cache-dir "$RUN_DIR/trivy-cache" "${timeout_flag[@]}" --format json -o "$RUN_DIR/trivy-$corpus.json" "$dir")
    t_times+=("$wall"); t_cpus+=("$cpu"); [ "$rss" -gt "$t_rss" ] && t_rss="$rss"; t_rc="$rc"
  done
  t_wall="$(printf '%s\n' "${t_times[@]}" | median)"
  t_cpu="$(printf '%s\n' "${t_cpus[@]}" | median)"
  t_files="-"
  if [ "$t_rc" = 0 ] && [ -s "$RUN_DIR/trivy-$corpus.json" ]; then
    t_findings="$(jq '[.Results[]?.Misconfigurations[]? | select(.Status == "FAIL")] | length' "$RUN_DIR/trivy-$corpus.json")"
    t_files="$(jq '[.Results[]? | select((.Misconfigurations // []) | length > 0) | .Target] | unique | length' "$RUN_DIR/trivy-$corpus.json")"
  else
    t_findings="trivy failed (exit $t_rc: $(tail -1 "$RUN_DIR/trivy-$corpus-1.stderr" | cut -c1-120))"
  fi
  ratio="$(awk -v t="$t_wall" -v b="$b_wall" 'BEGIN { if (b > 0) printf "%.0f", t / b; else print "-" }')"
  cpu_ratio="$(awk -v t="$t_cpu" -v b="$b_cpu" 'BEGIN { if (b > 0) printf "%.0f", t / b; else print "-" }')"
  log "trivy $corpus: ${t_wall}s wall, ${t_cpu}s CPU, ${t_rss} KiB, $t_findings findings (exit $t_rc); ratio ${ratio}x wall, ${cpu_ratio}x CPU"
  ROWS+="| $corpus | $files | ${b_wall} s / ${b_cpu} s | $((b_rss / 1024)) MiB | $b_findings in $b_files files | ${t_wall} s / ${t_cpu} s | $((t_rss / 1024)) MiB | $t_findings in $t_files files | ${ratio}× / ${cpu_ratio}× |"$'\n'
done

OUT="$ROOT/bench/results/$(date -u +%Y-%m-%d)-config-k8s.md"
{
  echo "# bulwark config vs trivy config: Kubernetes manifests ($(date -u +%Y-%m-%d))"
  echo
  echo "Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), shared with other jobs)."
  echo "bulwark $("$BULWARK" --version 2>/dev/null | head -1) (build: $(grep -m1 CMAKE_BUILD_TYPE "$ROOT/build/CMakeCache.txt" | cut -d= -f2)), Trivy from $TRIVY_PKG@$TRIVY_PKG_VERSION, offline, embedded checks."
  echo "bulwark: median of $RUNS runs; Trivy: median of $TRIVY_RUNS run(s); fresh caches; wall time, CPU time (user + system) and"
  echo "peak RSS from /usr/bin/time. Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers' builds and"
  echo "tests share the CPUs, so wall times are noisy; CPU time is the steadier measure). Trivy: --timeout 60m."
  echo
  echo "| corpus | files | bulwark wall / CPU | bulwark RSS | bulwark failing findings | trivy wall / CPU | trivy RSS | trivy failing findings | trivy/bulwark wall / CPU |"
  echo "|---|---|---|---|---|---|---|---|---|"
  printf '%s' "$ROWS"
  echo
  echo "The two tools' findings are not the same set: bulwark reports PSS (at restricted, latest version) and its"
  echo "BW-K8S workload checks, one finding per offending container; Trivy reports its KSV checks, one per check and"
  echo "object. See docs/config-kubernetes.md for the mapping and the measured agreement on each peer's own cases."
} >"$OUT"
log "wrote $OUT"
cat "$OUT"
