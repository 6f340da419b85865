# Every option a message suggests is one the command has.  The string
# literals of each command's source (and of the library modules only one
# command uses) are searched for --options; an option written after
# "bract CMD [ACTION]" must be CMD's, any other the command's own.  A
# static check: it catches a searchlight message that offers an option of
# rsa before a user meets it.

# help_opts WORDS...: the long options bract WORDS --help lists
help_opts() { $BRACT "$@" --help 2>/dev/null | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u; }
# the long options of a command, all its actions together
cmd_opts() {
    acts=$($BRACT "$1" --help 2>/dev/null | awk '/^  [a-z]/ && !/^  -/ { print $1 }')
    {
        help_opts "$@"
        for a in $acts; do help_opts "$1" "$a"; done
        printf '%s\n' --threads --seed --force --quiet --verbose --help --version
    } | sort -u
}

# file -> the command whose messages it holds
msg_sources() {
    for f in src/cli/cmd/*.c; do
        s=$(basename "$f" .c)
        case $s in
            rdm) echo "$f rdm neural" ;;
            rdm_model) echo "$f rdm model" ;;
            simulate_*) echo "$f simulate ${s#simulate_}" ;;
            timescale_hierarchy) echo "$f timescale hierarchy" ;;
            *) echo "$f $s" ;;
        esac
    done
    echo "src/rsa/rsa.c rsa"
    echo "src/rsa/searchlight.c searchlight"
    echo "src/rsa/embed.c rdm model"
    echo "src/rsa/lsa.c lsa"
    echo "src/stats/group.c group"
}

current="messages: options suggested exist"
bad=0
checked=0
msg_sources > "$TMP/sources"
while read -r f cmd; do
    # shellcheck disable=SC2086
    cmd_opts $cmd > "$TMP/own"
    # string literals outside option-table rows and comments
    grep -v -e 'CLI_[A-Z_]*(' -e '^[[:space:]]*/\?\*' -e 'cli_given' "$f" |
        grep -o '"\([^"\\]\|\\.\)*"' > "$TMP/strings"
    # "bract CMD [ACTION] --opt" names another command's option: check it there
    grep -o 'bract [a-z]\+\( [a-z]\+\)\? --[a-z0-9][a-z0-9-]*' "$TMP/strings" | sort -u > "$TMP/named"
    while read -r _ c1 rest; do
        case $rest in --*) c2=; o=$rest ;; *) c2=${rest%% *}; o=${rest#* } ;; esac
        checked=$((checked + 1))
        # shellcheck disable=SC2086
        if ! cmd_opts $c1 $c2 | grep -qx -- "$o"; then
            bad=1
            echo "  $f: a message names 'bract $c1${c2:+ $c2} $o', which bract $c1${c2:+ $c2} lacks"
        fi
    done < "$TMP/named"
    sed 's/bract [a-z]\+\( [a-z]\+\)\? --[a-z0-9][a-z0-9-]*//g' "$TMP/strings" |
        grep -o -- '--[a-z][a-z0-9-]*' | sort -u > "$TMP/used"
    while read -r o; do
        checked=$((checked + 1))
        if ! grep -qx -- "$o" "$TMP/own"; then
            bad=1
            echo "  $f: a message of bract $cmd suggests $o, which bract $cmd lacks"
        fi
    done < "$TMP/used"
done < "$TMP/sources"
if [ $bad = 0 ] && [ $checked -gt 100 ]; then pass; else fail "see above ($checked options checked)"; fi
