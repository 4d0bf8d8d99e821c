#!/usr/bin/env bash
# Fails when any C++ source differs from clang-format's output (run with --fix to rewrite).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.h' '*.c' | grep -v '^src/runtime/bpf/vmlinux' || true)
if [ "${1:-}" = "--fix" ]; then
  [ "${#files[@]}" -gt 0 ] && clang-format -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "format-check: $f is not clang-formatted (run scripts/format-check.sh --fix)"
    bad=1
  fi
done
[ "$bad" -eq 0 ] && echo "format-check: ${#files[@]} files formatted"
exit "$bad"
