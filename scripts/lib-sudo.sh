# Sourced by the set-up scripts: how to run a command as root. As root, directly (a fresh Debian
# machine has no sudo); as another user, through sudo; with neither, a clear error.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "error: '$*' needs root: run this script as root, or install sudo" >&2
    return 1
  fi
}
