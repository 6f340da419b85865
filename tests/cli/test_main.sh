# The dispatcher: help, version, unknown commands, and every subcommand's
# usage text (samtools' test_usage).

check "no arguments" 2
err_has "Usage: bract <command> [options]"

check "--help" 0 --help
out_has "Usage: bract <command> [options]"
out_has "info"

check "--version" 0 --version
out_has "bract $(cat VERSION)"
out_has "GPL-3.0-or-later"

check "unknown command" 2 frobnicate
err_has "bract: unknown command 'frobnicate'"
err_has "Usage: bract <command> [options]"

check "help of an unknown command" 2 help frobnicate
err_has "bract help: unknown command 'frobnicate'"

# every listed command answers --help with its own usage line on stdout
cmds=$($BRACT --help 2>/dev/null | sed -n 's/^     \([a-z][a-z-]*\) .*/\1/p')
[ -n "$cmds" ] && pass || fail "no commands listed by bract --help"
for c in $cmds; do
    check "$c --help" 0 "$c" --help
    out_has "Usage: bract $c"
    check "$c with a bad option" 2 "$c" --no-such-option
    err_has "bract $c: unknown option --no-such-option"
    err_has "Usage: bract $c"
    # the man page exists and mentions every long option of the usage text
    page=man/man1/bract-$c.1
    file_exists "$page"
    for o in $($BRACT "$c" --help | grep -o -- '--[a-z][a-z0-9-]*' | sort -u); do
        esc=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
        if grep -q -- "$esc" "$page" 2>/dev/null || grep -q -- "$o" "$page" 2>/dev/null; then
            pass
        else
            current="man page of $c"; fail "$page does not document $o"
        fi
    done
done

check "help info shows the manual" 0 help info
out_has "bract-info"
