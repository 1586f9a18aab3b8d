# Runs the zsh completion function outside the line editor: compadd, _describe,
# _files and _normal are stand-ins that print what they are given, one per line.
# Usage: zsh -f zsh_harness.zsh COMPLETION_FILE WORD... (the last word is completed)
_call_program() { shift; "$@" }
compadd() {
  local a=0
  while [[ $1 == -* ]]; do
    [[ $1 == -a ]] && a=1
    if [[ $1 == -- ]]; then shift; break; fi
    shift
  done
  if (( a )); then for n in "$@"; do print -l -- ${(P)n}; done; else print -l -- "$@"; fi
}
_describe() { local n=${@[-1]}; local -a arr; arr=(${(P)n}); print -l -- ${arr%%:*} }
_files() { print -- "FILES $*" }
_normal() { print -- "NORMAL $CURRENT $words" }
file=$1; shift
words=("$@"); CURRENT=$#words; PREFIX=$words[CURRENT]
source $file
