#!/usr/bin/env bash
# Least privilege learned from behaviour: `bulwark monitor --learn NAME` watches a real
# container's workload, writes a seccomp profile, a capability list and a draft NetworkPolicy;
# the same workload then runs under the generated profile and capabilities, and a syscall the
# workload never made (chroot) is denied while it is allowed without the profile.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/runtime_lib.sh"
e2e_init runtime_learn
rt_require
rt_image

NAME="bw-rt-learn-$$"
OUTD="$W/profile"
# The workload: reads files, lists a directory, runs a TCP client against a local server.
WORKLOAD='cat /etc/os-release >/dev/null && ls / >/dev/null && (nc -l -p 7010 >/dev/null &) && sleep 0.3 && python3 -c "
import socket
s = socket.create_connection((\"127.0.0.1\", 7010))
s.sendall(b\"hello\")
s.close()" && echo workload-ok'

rt_monitor_start learn --learn "$NAME" --learn-out "$OUTD" --duration 25s
set +e
docker run --rm --name "$NAME" "$RT_IMAGE" sh -c "$WORKLOAD" >"$W/learn-run.out" 2>&1
set -e
assert_grep "the workload ran while learning" "$W/learn-run.out" '^workload-ok$'
set +e
wait "$RT_MON_PID"
RC=$?
set -e
assert_eq "learn mode exits 0 after --duration" 0 "$RC"
assert_grep "learn mode summarises what it learned" "$RT_MON_ERR" 'learned [0-9]+ syscalls'

assert_json "seccomp profile denies by default" "$OUTD/seccomp.json" '.defaultAction == "SCMP_ACT_ERRNO"'
assert_json "seccomp profile allows what the workload used" "$OUTD/seccomp.json" \
  '[.syscalls[0].names[]] as $n | (["execve","openat","read","connect","socket","exit_group"] - $n) == []'
assert_json "seccomp profile leaves out what runc did before the filter (mount, pivot_root)" "$OUTD/seccomp.json" \
  '[.syscalls[0].names[]] as $n | (["mount","pivot_root","chroot"] - $n) == ["mount","pivot_root","chroot"]'
n_sys="$(jq '.syscalls[0].names | length' "$OUTD/seccomp.json")"
assert_true "a small allow-list ($n_sys syscalls, Docker's default allows ~370)" test "$n_sys" -gt 30 -a "$n_sys" -lt 200
assert_grep "capability list written" "$OUTD/capabilities.txt" '^# docker run --cap-drop ALL'
assert_grep "NetworkPolicy draft names the container" "$OUTD/networkpolicy.yaml" 'app: bw-rt-learn-'
assert_grep "NetworkPolicy draft is a NetworkPolicy" "$OUTD/networkpolicy.yaml" '^kind: NetworkPolicy$'

# Run again under the learned profile and capabilities: the workload still works...
caps=()
while read -r cap _; do caps+=(--cap-add "${cap#CAP_}"); done < <(grep '^CAP_' "$OUTD/capabilities.txt" || true)
set +e
docker run --rm --security-opt "seccomp=$OUTD/seccomp.json" --cap-drop ALL "${caps[@]}" "$RT_IMAGE" \
  sh -c "$WORKLOAD" >"$W/enforced.out" 2>&1
rc_enforced=$?
# ...and a syscall it never made is denied (EPERM), while it works without the profile.
docker run --rm --security-opt "seccomp=$OUTD/seccomp.json" "$RT_IMAGE" chroot / /bin/true >"$W/denied.out" 2>&1
rc_denied=$?
docker run --rm "$RT_IMAGE" chroot / /bin/true >"$W/allowed.out" 2>&1
rc_allowed=$?
set -e
assert_eq "workload exits 0 under the learned profile" 0 "$rc_enforced"
assert_grep "workload output under the learned profile" "$W/enforced.out" '^workload-ok$'
assert_true "chroot is denied under the learned profile (exit $rc_denied)" test "$rc_denied" -ne 0
assert_grep "denied with EPERM" "$W/denied.out" 'Operation not permitted'
assert_eq "chroot works without the profile" 0 "$rc_allowed"

# A container that never shows up is an error, not an empty profile.
run_bulwark missing --timeout 60 monitor --learn "bw-rt-no-such-container-$$" --learn-out "$W/none" --duration 4s
assert_rc "learn of a container that never ran" 3
assert_grep "says the container never appeared" "$ERR" 'never appeared'
e2e_finish
