#!/usr/bin/env bash
# Generates bulwark's man pages and shell completions from the built binary's own --help, so they
# never drift from the CLI. Run by the bulwark_docs target (cmake/Packaging.cmake).
# Usage: gen-docs.sh BULWARK OUTDIR VERSION
# Writes OUTDIR/man/bulwark.1.gz, OUTDIR/man/bulwark-<command>[-<sub>].1.gz and
# OUTDIR/completions/{bulwark.bash,_bulwark,bulwark.fish}.
set -euo pipefail
B="$1"
OUT="$2"
VERSION="$3"
rm -rf "$OUT.tmp"
mkdir -p "$OUT.tmp/man" "$OUT.tmp/completions"
# Reproducible: the date of the source (SOURCE_DATE_EPOCH) when set.
DATE=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)
export HOME="$OUT.tmp/home" COLUMNS=100  # help never reads the user's files; a fixed width

root_help=$("$B" --help)
# "  name   description" lines under the grouped headings, up to the examples.
commands=$(awk '/^Examples:/ {exit} /^[A-Za-z].*:$/ {g=1; next} g && /^  [a-z]/ {print $1}' <<<"$root_help")
describe() { # the one-line description a help listing gives NAME
  awk -v n="$1" '$1 == n { $1 = ""; sub(/^ +/, ""); print; exit }' <<<"$2"
}
subcommands_of() { # the names under "Subcommands:" of a help text
  awk '/^Subcommands:/ {f=1; next} f && /^  [a-z]/ {print $1} f && /^$/ {f=0}' <<<"$1"
}
long_options_of() { # the --long options a help text lists
  grep -oE '^ +(-[a-zA-Z],)?--[a-z][a-z0-9-]*' <<<"$1" | sed -E 's/^ +(-[a-zA-Z],)?//' | sort -u
}

# A help text as a man page: NAME, SYNOPSIS from the usage line, the help itself verbatim.
man_page() { # FILE TITLE NAME DESCRIPTION HELP SEE_ALSO
  local file="$1" title="$2" name="$3" desc="$4" help="$5" see="$6"
  local usage body
  usage=$(grep -m1 '^Usage:' <<<"$help" | sed 's/^Usage: *//')
  body=$(grep -v '^Usage:' <<<"$help" | sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/")
  {
    printf '.TH %s 1 "%s" "bulwark %s" "bulwark manual"\n' "$title" "$DATE" "$VERSION"
    printf '.SH NAME\n%s \\- %s\n' "$name" "$(sed 's/\\/\\e/g; s/-/\\-/g' <<<"$desc")"
    printf '.SH SYNOPSIS\n.B %s\n' "$(sed 's/\\/\\e/g' <<<"$usage")"
    printf '.SH DESCRIPTION\n.nf\n%s\n.fi\n' "$body"
    if [ -n "$see" ]; then printf '.SH SEE ALSO\n%s\n' "$see"; fi
  } >"$file"
  gzip -9n "$file"
}

see_all=""
for c in $commands; do see_all+="${see_all:+, }.BR bulwark\\-$c (1)"; done
see_all=$(sed 's/, /\n/g' <<<"$see_all")
man_page "$OUT.tmp/man/bulwark.1" BULWARK bulwark "container security in one binary" "$root_help" "$see_all"

bash_sub_cases=""
bash_cmd_cases=""
zsh_commands=""
zsh_sub_cases=""
zsh_cmd_cases=""
fish=""
for c in $commands; do
  help=$("$B" "$c" --help)
  desc=$(describe "$c" "$root_help")
  subs=$(subcommands_of "$help")
  man_page "$OUT.tmp/man/bulwark-$c.1" "BULWARK-${c^^}" "bulwark-$c" "$desc" "$help" ".BR bulwark (1)"
  opts=$(long_options_of "$help" | tr '\n' ' ')
  for s in $subs; do
    shelp=$("$B" "$c" "$s" --help)
    sdesc=$(describe "$s" "$help")
    man_page "$OUT.tmp/man/bulwark-$c-$s.1" "BULWARK-${c^^}-${s^^}" "bulwark-$c-$s" "$sdesc" "$shelp" \
      ".BR bulwark\\-$c (1)"
    sopts=$(long_options_of "$shelp" | tr '\n' ' ')
    bash_sub_cases+="    \"$c $s\") opts=\"$sopts\" ;;"$'\n'
    zsh_sub_cases+="    \"$c $s\") opts=($sopts) ;;"$'\n'
    fish+="complete -c bulwark -n '__fish_seen_subcommand_from $c; and not __fish_seen_subcommand_from $subs' -f -a $s -d '${sdesc//\'/\\\'}'"$'\n'
    for o in $sopts; do
      fish+="complete -c bulwark -n '__fish_seen_subcommand_from $c; and __fish_seen_subcommand_from $s' -l ${o#--}"$'\n'
    done
  done
  bash_cmd_cases+="      \"$c\") opts=\"$opts\" subs=\"$(echo $subs)\" ;;"$'\n'
  zsh_cmd_cases+="      \"$c\") opts=($opts) subs=($(echo $subs)) ;;"$'\n'
  zsh_commands+="    '$c:${desc//\'/\'\\\'\'}'"$'\n'
  fish+="complete -c bulwark -n __fish_use_subcommand -f -a $c -d '${desc//\'/\\\'}'"$'\n'
  if [ -z "$subs" ]; then
    for o in $opts; do fish+="complete -c bulwark -n '__fish_seen_subcommand_from $c' -l ${o#--}"$'\n'; done
  fi
done

cat >"$OUT.tmp/completions/bulwark.bash" <<EOF
# bash completion for bulwark $VERSION (generated from bulwark --help)
_bulwark() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" sub="" opts="" subs="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      -*) ;;
      *) if [ -z "\$cmd" ]; then cmd=\${COMP_WORDS[i]}; elif [ -z "\$sub" ]; then sub=\${COMP_WORDS[i]}; fi ;;
    esac
  done
  if [ -z "\$cmd" ]; then
    COMPREPLY=(\$(compgen -W "$(tr '\n' ' ' <<<"$commands") --help --version" -- "\$cur"))
    return
  fi
  case "\$cmd \$sub" in
$bash_sub_cases
  esac
  if [ -z "\$opts" ]; then
    case "\$cmd" in
$bash_cmd_cases
    esac
    if [ -n "\$subs" ] && [ -z "\$sub" ]; then
      COMPREPLY=(\$(compgen -W "\$subs" -- "\$cur"))
      return
    fi
  fi
  if [[ \$cur == -* ]]; then
    COMPREPLY=(\$(compgen -W "\$opts --help" -- "\$cur"))
  else
    COMPREPLY=(\$(compgen -f -- "\$cur"))
  fi
}
complete -o filenames -F _bulwark bulwark
EOF

cat >"$OUT.tmp/completions/_bulwark" <<EOF
#compdef bulwark
# zsh completion for bulwark $VERSION (generated from bulwark --help)
_bulwark() {
  local -a commands opts subs
  commands=(
$zsh_commands  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "\$words[2] \$words[3]" in
$zsh_sub_cases
  esac
  if (( \${#opts} == 0 )); then
    case "\$words[2]" in
$zsh_cmd_cases
    esac
    if (( \${#subs} > 0 && CURRENT == 3 )); then
      compadd -- \$subs
      return
    fi
  fi
  if [[ \$PREFIX == -* ]]; then
    compadd -- \$opts --help
  else
    _files
  fi
}
_bulwark "\$@"
EOF

{
  echo "# fish completion for bulwark $VERSION (generated from bulwark --help)"
  echo "complete -c bulwark -n __fish_use_subcommand -l help -d 'Show help'"
  echo "complete -c bulwark -n __fish_use_subcommand -l version -d 'Version, commit, build type, database age'"
  printf '%s' "$fish"
} >"$OUT.tmp/completions/bulwark.fish"

rm -rf "$OUT.tmp/home" "$OUT"
mv "$OUT.tmp" "$OUT"
