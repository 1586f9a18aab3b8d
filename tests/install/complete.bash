# Shared by the install tests: drive the bash completion like readline would.
# Source with bash-completion loaded and completions/netlab.bash sourced.

# complete_words WORD... : the candidates _netlab offers for the last WORD, one per line.
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _netlab 2>/dev/null # compopt complains outside readline
    ((${#COMPREPLY[@]} == 0)) || printf '%s\n' "${COMPREPLY[@]}"
}

# expect_in NEEDLE WHAT LINES...: fails the test when NEEDLE is not one of LINES.
expect_in() {
    local needle=$1 what=$2
    shift 2
    # A loop, not `printf | grep -q`: under pipefail, grep's early exit can kill printf
    # with SIGPIPE and fail a match that was found (it did, under load).
    local word
    for word in "$@"; do [[ $word == "$needle" ]] && return 0; done
    echo "FAIL: $what: '$needle' not offered (got: $*)" >&2
    failures=$((failures + 1))
}

# The verbs listed under "Subcommands:" in `$1 --help`.
help_verbs() {
    "$1" --help | awk '/^[A-Za-z ]*(Subcommands|Commands):/ {s = 1; next}
        s && /^  [a-z]/ {print $1; next} s && !/^ / {s = 0}'
}

# The long flags of `$1 [$2] --help`.
help_long_flags() {
    "$1" ${2:+"$2"} --help | awk '/^  +-/ {n = split($1, f, ","); for (i = 1; i <= n; i++) if (f[i] ~ /^--/) print f[i]}'
}
