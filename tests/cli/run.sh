#!/bin/sh
# CLI regression tests: run the real bract on small files and check exit
# statuses, messages and outputs.
#
#   sh tests/cli/run.sh ./bract [tests/cli/test_info.sh ...]
#
# BRACT_WRAPPER (e.g. "valgrind -q --error-exitcode=99") runs every command
# under that program.  Run from the top of the tree.
set -u
[ $# -ge 1 ] || { echo "usage: tests/cli/run.sh BRACT [TEST...]" >&2; exit 2; }
bin=$1
shift
case $bin in /*) ;; *) bin="$(pwd)/$bin" ;; esac
BRACT="${BRACT_WRAPPER:+$BRACT_WRAPPER }$bin"
TMP_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/bract-cli-XXXXXX")
trap 'rm -rf "$TMP_ROOT"' EXIT
TESTDATA=$(pwd)/testdata
REF=$TESTDATA/reference
export LC_ALL=C.UTF-8
. tests/cli/lib.sh

if [ $# -eq 0 ]; then set -- tests/cli/test_*.sh; fi
for t in "$@"; do
    echo "== $t"
    # every script gets a directory of its own: no test sees another's files
    TMP=$TMP_ROOT/$(basename "$t" .sh)
    mkdir -p "$TMP"
    . "$t"
done
echo "CLI tests: $((npass + nfail)) checks, $npass passed, $nfail failed${nskip:+, $nskip skipped}"
[ "$nfail" -eq 0 ]
