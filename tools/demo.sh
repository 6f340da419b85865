#!/bin/sh
# The main job, run by `make demo`.  Until the word-RSA demo lands this shows
# that bract builds and reads a real volume.
set -eu
bract=${1:-./bract}
echo "bract demo: describing a small real BOLD series (Haxby et al. 2001, one slice)"
"$bract" info testdata/data/haxby2001-slice/bold.nii.gz
