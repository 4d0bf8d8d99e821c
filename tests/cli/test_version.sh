#!/usr/bin/env bash
# Pipes lines through `bulwark version compare|satisfies` and checks every answer and exit code.
set -uo pipefail
bulwark="${1:?usage: test_version.sh path/to/bulwark}"
failures=0

# check NAME EXPECTED_EXIT EXPECTED_OUTPUT -- ARGS... < input
check() {
  local name="$1" want_rc="$2" want_out="$3"
  shift 4
  local got_out got_rc
  got_out="$("$bulwark" "$@" 2>/dev/null)"
  got_rc=$?
  if [ "$got_out" != "$want_out" ] || [ "$got_rc" -ne "$want_rc" ]; then
    echo "FAIL $name: exit $got_rc (want $want_rc)"
    echo "  got:  $(printf '%s' "$got_out" | tr '\n' '|')"
    echo "  want: $(printf '%s' "$want_out" | tr '\n' '|')"
    failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

printf '1:2.0-1\t2.0-1\n1.0~rc1\t1.0\n2.0\t2.0-0\n' |
  check dpkg-compare 0 $'1\n-1\n0' -- version compare --ecosystem Debian
printf '1.0_rc1\t1.0\n1.0-r1\t1.0-r0\n' |
  check apk-compare 0 $'-1\n1' -- version compare --ecosystem Alpine
printf '1:1.0-1.el9\t1.0-2.el9\n1.0~rc1\t1.0\n' |
  check rpm-compare 0 $'1\n-1' -- version compare --ecosystem "Rocky Linux"
printf '1.0.dev0\t1.0a1\nnot a version!\t1.0\n1.0\t1.0.0\n' |
  check pypi-compare 0 $'-1\n-1\n0' -- version compare --ecosystem PyPI
printf 'v1.2.3\tv1.2.3+meta\nbad\tv0.0.1\n' |
  check go-compare 0 $'0\n-1' -- version compare --ecosystem Go
printf '1.0.0-beta\t1.0.0\n1.2\t1.2.0\n' |
  check npm-compare-error 3 $'-1\nerror: 1.2: invalid semver version' -- version compare --ecosystem npm
printf 'no tab here\n' |
  check missing-tab 3 'error: expected VERSION<TAB>VERSION' -- version compare --ecosystem dpkg
printf '1.0\t1.0\n' |
  check bad-ecosystem 2 '' -- version compare --ecosystem nonsense
printf '=1.2.3\tv1.2.3\n1.2.3beta\t1.2.3\n' |
  check npm-loose 0 $'0\n-1' -- version compare --ecosystem npm --loose
printf '1.0.0-rc.1\t^1.0.0 || ~1.0\n' |
  check npm-include-prerelease 0 'true' -- version satisfies --ecosystem npm --include-prerelease
{ head -c 100000 /dev/zero | tr '\0' '1'; printf '\t1\n1\t2\n'; } |
  check line-too-long 3 $'error: line too long\n-1' -- version compare --ecosystem dpkg
printf '1.4.2\t^1.2\n2.0.0\t^1.2\n1.2.3-beta\t^1.2.3-alpha\n' |
  check npm-satisfies 0 $'true\nfalse\ntrue' -- version satisfies --ecosystem npm
printf '1.5\t>=1.0,<2.0\n2.0rc1\t<2.0\n' |
  check pypi-satisfies 0 $'true\nfalse' -- version satisfies --ecosystem PyPI
printf '1.2.7\t~1.2\n1.3.0\t~1.2\n' |
  check cargo-satisfies 0 $'true\nfalse' -- version satisfies --ecosystem crates.io
printf '1.5\t[1.0,2.0)\n2.0\t[1.0,2.0)\n' |
  check maven-satisfies 0 $'true\nfalse' -- version satisfies --ecosystem Maven
printf '1:2.3-4\t<< 1:2.3-5\n1:2.3-4\t>= 2.3-9, << 2:0\n' |
  check dpkg-satisfies 0 $'true\ntrue' -- version satisfies --ecosystem Ubuntu

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
