# fish completion for netlab(1). Verbs and flags come from `netlab [VERB] --help`;
# FILE completes *.yaml and the shipped labs' names, -l/--lab the labs that are up,
# NODE the names in /run/netns (or, after -f FILE, the file's nodes), capture's
# NODE:IF the interfaces of FILE or -l LAB.

function __netlab_verbs
    netlab --help 2>/dev/null | awk '/^[A-Za-z ]*(Subcommands|Commands):/ {s = 1; next}
        s && /^  [a-z]/ {v = $1; $1 = ""; sub(/^ +/, ""); print v "\t" $0; next} s && !/^ / {s = 0}'
end

# The words before the cursor that are neither a flag nor a flag's value: the verb, then
# its operands. Every flag of any verb that takes a value is named here (none of them is
# a switch in another verb).
function __netlab_words
    set -l skip 0
    for t in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case -f --file -l --lab -i --instance --host --wait --resync --junit --format -o --output --listen \
                --interval --color --lang -w --write --filter -c --count --duration --nodes --ns --host-links --name
                set skip 1
            case '-*'
            case '*'
                echo $t
        end
    end
end

function __netlab_verb
    set -l words (__netlab_words)
    test (count $words) -gt 0; or return 1
    echo $words[1]
end

function __netlab_no_verb
    not __netlab_verb >/dev/null
end

function __netlab_verb_is
    contains -- (__netlab_verb) $argv
end

function __netlab_after_dashdash
    contains -- -- (commandline -opc)
end

# After `exec NODE --`: what the shell would complete for the command itself.
function __netlab_command_after_dashdash
    set -l tokens (commandline -opc) (commandline -ct)
    set -l i (contains -i -- -- $tokens)
    complete -C (string join ' ' -- (string escape -- $tokens[(math $i + 1)..-1]))
end

function __netlab_flags
    netlab $argv --help 2>/dev/null | awk '/^  +-/ {n = split($1, f, ","); for (i = 1; i <= n; i++) print f[i]}'
end

# Registers FLAG (-x or --xyz) for the verbs CONDITION selects.
function __netlab_complete_flag -a condition flag
    switch $flag
        case '--*'
            complete -c netlab -n $condition -l (string sub -s 3 -- $flag)
        case '-?'
            complete -c netlab -n $condition -s (string sub -s 2 -- $flag)
    end
end

function __netlab_labs
    netlab list 2>/dev/null | awk 'NR == 1 && $1 == "LAB" {next} NF >= 2 && $2 ~ /^[0-9]+$/ {print $1}'
    for d in /run/netlab/*/
        basename $d
    end
end

function __netlab_lab_files
    set -l dirs (string split -n : -- "$NETLAB_PATH")
    set -l exe (command -s netlab)
    and set -a dirs (path dirname (path resolve $exe))/../share/netlab/topologies
    set -l cur (commandline -ct)
    if not string match -q '*/*' -- $cur
        for d in $dirs
            for f in $d/*.yaml
                path change-extension '' (path basename $f)
            end
        end
    end
    for f in $cur*
        if test -d $f
            echo $f/
        else if string match -qr '\.ya?ml$' -- $f
            echo $f
        end
    end
end

function __netlab_nodes
    set -l tokens (commandline -opc)
    set -l file
    for i in (seq (count $tokens))
        if contains -- $tokens[$i] -f --file
            set file $tokens[(math $i + 1)]
        end
    end
    if test -n "$file" -a -r "$file"
        awk '/^nodes:/ {s = 1; next} s && /^[^ #]/ {s = 0}
            s && match($0, /^  [A-Za-z0-9_.-]+:/) {print substr($0, 3, RLENGTH - 3)}' $file
    else
        for f in /run/netns/*
            basename $f
        end
    end
end

# capture: NODE:IF and NODE:* of its FILE (the first word after the verb) or of -l LAB's copy.
function __netlab_capture_ifs
    set -l tokens (commandline -opc)
    set -l file (__netlab_words)[2]
    set -l i (contains -i -- -l $tokens; or contains -i -- --lab $tokens)
    and set file /run/netlab/$tokens[(math $i + 1)]/topology.yaml
    if test -z "$file"
        __netlab_lab_files
        return
    end
    test -r "$file"; or return
    awk '/^nodes:/ {s = 1; next} /^links:/ {s = 0; l = 1; next} /^[^ #]/ {s = 0; l = 0}
        s && match($0, /^  [A-Za-z0-9_.-]+:/) {node = substr($0, 3, RLENGTH - 3); print node ":*"; next}
        s && match($0, /^      [A-Za-z0-9_.-]+:/) && node != "" {print node ":" substr($0, 7, RLENGTH - 7)}
        l {while (match($0, /[A-Za-z0-9_.-]+:[A-Za-z0-9_.-]+/)) {print substr($0, RSTART, RLENGTH); $0 = substr($0, RSTART + RLENGTH)}}' $file | sort -u
end

# The machines under the hosts: of the verb's FILE (its first word after the verb).
function __netlab_machines
    set -l file (__netlab_words)[2]
    test -n "$file" -a -r "$file"; or return
    awk '/^hosts:/ {s = 1; next} s && /^[^ #]/ {s = 0}
        s && match($0, /^  [A-Za-z0-9_.-]+:/) {print substr($0, 3, RLENGTH - 3)}' $file
end

# True when the word being completed is the Nth (from 0) after `exercise`.
function __netlab_exercise_word
    test (math (count (__netlab_words)) - 1) = $argv[1]
end

complete -c netlab -f
complete -c netlab -n __netlab_no_verb -a '(__netlab_verbs)'
# Flags as `netlab [VERB] --help` lists them, read once when this file is loaded.
for flag in (__netlab_flags)
    __netlab_complete_flag true $flag
end
for verb in (__netlab_verbs | string replace -r '\t.*' '')
    for flag in (__netlab_flags $verb)
        __netlab_complete_flag "__netlab_verb_is $verb" $flag
    end
end
complete -c netlab -n '__netlab_verb_is validate graph up plan down status test watch inventory' -a '(__netlab_lab_files)'
complete -c netlab -n '__netlab_verb_is exec shell; and not __netlab_after_dashdash' -a '(__netlab_nodes)'
complete -c netlab -n __netlab_after_dashdash -a '(__netlab_command_after_dashdash)'
complete -c netlab -n '__netlab_verb_is help' -a '(__netlab_verbs)'
complete -c netlab -n '__netlab_verb_is capture' -a '(__netlab_capture_ifs)'
complete -c netlab -n '__netlab_verb_is down status capture exec shell graph' -s l -l lab -x -a '(__netlab_labs)'
complete -c netlab -n '__netlab_verb_is up plan down status test graph watch exec shell capture' -s i -l instance -x
complete -c netlab -n '__netlab_verb_is up plan down status test watch' -l host -x -a '(__netlab_machines)'
complete -c netlab -n '__netlab_verb_is capture' -s w -l write -r -F
complete -c netlab -n '__netlab_verb_is exec' -l nodes -x -a '(__netlab_nodes)'
complete -c netlab -n '__netlab_verb_is exec shell' -s f -l file -r -F
complete -c netlab -n '__netlab_verb_is graph' -l format -x -a 'mermaid dot svg png html'
complete -c netlab -n '__netlab_verb_is graph' -s o -l output -r -F
complete -c netlab -n '__netlab_verb_is test exercise' -l junit -r -F
# exercise ACTION FILE [N]
complete -c netlab -n '__netlab_verb_is exercise; and __netlab_exercise_word 0' -a 'list start check'
complete -c netlab -n '__netlab_verb_is exercise; and __netlab_exercise_word 1' -a '(__netlab_lab_files)'
complete -c netlab -n '__netlab_verb_is export' -l ns -x -a '(path basename /run/netns/*)'
complete -c netlab -n '__netlab_verb_is export' -l host-links -x -a '(path basename /sys/class/net/*)'
complete -c netlab -n '__netlab_verb_is export' -l name -x
complete -c netlab -n '__netlab_verb_is export' -s o -l output -r -F
complete -c netlab -n '__netlab_verb_is graph' -l listen -x -a '127.0.0.1:8080 127.0.0.1:0 \[::1\]:8080'
complete -c netlab -n '__netlab_verb_is graph' -l interval -x
# Any verb: the language of the lab's texts (the shipped labs have these two).
complete -c netlab -l lang -x -a 'en zh'
