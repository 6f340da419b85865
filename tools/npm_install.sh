#!/bin/sh
# Install an npm package into a directory of the build tree, once:
#
#   tools/npm_install.sh DIR PACKAGE@VERSION BIN
#
# `make check` uses it for bids-validator (the BIDS tests).  When DIR/BIN
# (a path under DIR/node_modules/.bin) is there already, nothing is done:
# no network.  Otherwise npm installs into a temporary directory beside
# DIR, renamed into place when complete, so an interrupted install never
# leaves a DIR that looks installed.  npm's own cache (~/.npm) is used
# first (--prefer-offline).  When npm cannot reach the registry this fails
# with npm's message: the tests that need the package fail, they are not
# skipped.
set -eu
[ $# -eq 3 ] || { echo "usage: tools/npm_install.sh DIR PACKAGE@VERSION BIN" >&2; exit 2; }
dir=$1
pkg=$2
bin=$3
if [ -x "$dir/$bin" ]; then
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "tools/npm_install.sh: npm is not installed (tools/deps.sh test installs it)" >&2
    exit 1
fi
tmp="$dir.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "tools/npm_install.sh: installing $pkg into $dir (once)" >&2
if ! npm install --prefix "$tmp" --prefer-offline --no-audit --no-fund --loglevel=error \
        "$pkg" >&2; then
    echo "tools/npm_install.sh: npm could not install $pkg (is the npm registry reachable?);" >&2
    echo "  the tests that need it cannot run" >&2
    exit 1
fi
if [ ! -x "$tmp/$bin" ]; then
    echo "tools/npm_install.sh: $pkg installed, but $bin is not there" >&2
    exit 1
fi
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
