# bash completion for netlab(1)                                  -*- shell-script -*-
# Verbs and flags come from `netlab [VERB] --help`, so they cannot drift from the
# program; FILE completes *.yaml files and the shipped labs' names, -l/--lab the labs
# that are up (`netlab list`, else /run/netlab), NODE the names in /run/netns (or,
# after -f FILE, the file's nodes), capture's NODE:IF the interfaces of FILE or -l LAB.

# The verbs listed under "Subcommands:" in `netlab --help`.
_netlab_verbs() {
    "$1" --help 2>/dev/null | awk '/^[A-Za-z ]*(Subcommands|Commands):/ {s = 1; next}
        s && /^  [a-z]/ {print $1; next} s && !/^ / {s = 0}'
}

# Every flag a verb's help shows ("  -f,--file TEXT  ..." gives -f and --file).
_netlab_flags() {
    "$1" ${2:+"$2"} --help 2>/dev/null | awk '/^  +-/ {n = split($1, f, ","); for (i = 1; i <= n; i++) print f[i]}'
}

# Labs that are up: the first column of `netlab list`, else the state dirs.
_netlab_labs() {
    {
        "$1" list 2>/dev/null | awk 'NR == 1 && $1 == "LAB" {next} NF >= 2 && $2 ~ /^[0-9]+$/ {print $1}'
        local d
        for d in /run/netlab/*/; do [[ -d $d ]] && basename "$d"; done
    } | sort -u
}

# The shipped labs' names: NETLAB_PATH's dirs and share/netlab/topologies beside the binary.
_netlab_lab_files() {
    local exe dirs=() d f
    IFS=: read -ra dirs <<<"${NETLAB_PATH:-}"
    exe=$(type -P "$1" 2>/dev/null) && exe=$(readlink -f "$exe") &&
        dirs+=("${exe%/*}/../share/netlab/topologies")
    for d in "${dirs[@]}"; do
        for f in "$d"/*.yaml; do [[ -f $f ]] && { f=${f##*/}; echo "${f%.yaml}"; }; done
    done
}

# A lab's interfaces as NODE:IF (the keys under each node's "interfaces:", and the
# ends of "links:" as [A:x, B:y]), plus NODE:* for each node.
_netlab_node_ifs() {
    [[ -n $1 && -r $1 ]] || return
    awk '/^nodes:/ {s = 1; next} /^links:/ {s = 0; l = 1; next} /^[^ #]/ {s = 0; l = 0}
        s && match($0, /^  [A-Za-z0-9_.-]+:/) {node = substr($0, 3, RLENGTH - 3); print node ":*"; next}
        s && match($0, /^      [A-Za-z0-9_.-]+:/) && node != "" {print node ":" substr($0, 7, RLENGTH - 7)}
        l {while (match($0, /[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+/)) {print substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH)}}' "$1" |
        sort -u
}

# Nodes a lab file declares (the keys under "nodes:"), or the names in /run/netns.
_netlab_nodes() {
    if [[ -n $1 && -r $1 ]]; then
        awk '/^nodes:/ {s = 1; next} s && /^[^ #]/ {s = 0}
            s && match($0, /^  [A-Za-z0-9_.-]+:/) {print substr($0, 3, RLENGTH - 3)}' "$1"
    else
        local f
        for f in /run/netns/*; do [[ -e $f ]] && echo "${f##*/}"; done
    fi
}

# Machines a multi-host lab file names (the keys under "hosts:").
_netlab_machines() {
    [[ -n $1 && -r $1 ]] || return
    awk '/^hosts:/ {s = 1; next} s && /^[^ #]/ {s = 0}
        s && match($0, /^  [A-Za-z0-9_.-]+:/) {print substr($0, 3, RLENGTH - 3)}' "$1"
}

_netlab() {
    local cur prev words cword
    _init_completion -n = || return
    local exe=${words[0]} verb="" i file="" npos=0 after_dashdash="" first=""

    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --) after_dashdash=$i; break ;;
            -f | --file) ((i++)); file=${words[i]} ;;
            -l | --lab) ((i++)); [[ $verb == capture ]] && file=/run/netlab/${words[i]}/topology.yaml ;;
            --junit | --format | --color | -o | --output | --wait | --resync | -w | --write | --filter | -c | --count | --duration | --nodes | -i | --instance | --ns | --host-links | --name | --listen | --interval | --host) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z $verb ]]; then
                    verb=${words[i]}
                else
                    ((npos++))
                    ((npos == 1)) && first=${words[i]}
                    # capture's first word is FILE (unless -l LAB named the lab's copy of it).
                    [[ $verb == capture && $npos == 1 && -z $file ]] && file=${words[i]}
                fi
                ;;
        esac
    done

    if [[ -n $after_dashdash ]]; then
        _command_offset $((after_dashdash + 1))
        return
    fi

    case $prev in
        -l | --lab) COMPREPLY=($(compgen -W "$(_netlab_labs "$exe")" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "mermaid dot svg png html" -- "$cur")); return ;;
        -o | --output) _filedir; return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --junit) _filedir xml; return ;;
        -f | --file) _filedir '@(yaml|yml)'; return ;;
        -w | --write) _filedir '@(pcapng|pcap)'; return ;;
        --filter | -c | --count | --duration) return ;;
        --nodes) COMPREPLY=($(compgen -W "$(_netlab_nodes "$file")" -- "${cur##*,}")); return ;;
        --ns) COMPREPLY=($(compgen -W "$(_netlab_nodes "")" -- "$cur")); return ;;
        --host-links) COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur")); return ;;
        --name) return ;;
        --wait | --resync) return ;; # SECONDS
        -i | --instance) return ;;   # a new NAME
        --listen | --interval) return ;; # ADDRESS:PORT, MS
        --host) COMPREPLY=($(compgen -W "$(_netlab_machines "${file:-$first}")" -- "$cur")); return ;;
    esac

    if [[ -z $verb ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$(_netlab_flags "$exe")" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$(_netlab_verbs "$exe")" -- "$cur"))
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_netlab_flags "$exe" "$verb") $(_netlab_flags "$exe")" -- "$cur"))
        return
    fi

    case $verb in
        help) ((npos == 0)) && COMPREPLY=($(compgen -W "$(_netlab_verbs "$exe")" -- "$cur")) ;;
        list | export) ;;
        exec | shell)
            if ((npos == 0)); then
                COMPREPLY=($(compgen -W "$(_netlab_nodes "$file")" -- "$cur"))
            elif [[ $verb == exec ]]; then
                COMPREPLY=($(compgen -W "--" -- "$cur"))
            fi
            ;;
        exercise)
            if ((npos == 0)); then
                COMPREPLY=($(compgen -W "list start check" -- "$cur"))
            elif ((npos == 1)); then
                _filedir '@(yaml|yml)'
                [[ $cur == */* ]] || COMPREPLY+=($(compgen -W "$(_netlab_lab_files "$exe")" -- "$cur"))
            fi
            ;;
        capture)
            if ((npos == 0)) && [[ -z $file ]]; then
                _filedir '@(yaml|yml)'
                [[ $cur == */* ]] || COMPREPLY+=($(compgen -W "$(_netlab_lab_files "$exe")" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_netlab_node_ifs "$file")" -- "$cur"))
            fi
            ;;
        *)
            if ((npos == 0)); then
                _filedir '@(yaml|yml)'
                [[ $cur == */* ]] || COMPREPLY+=($(compgen -W "$(_netlab_lab_files "$exe")" -- "$cur"))
            fi
            ;;
    esac
} &&
    complete -F _netlab netlab
