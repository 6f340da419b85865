#!/bin/sh
# Write bract/version.h for version $1 (from the VERSION file): the one
# place the numbers come from (make generates it; make install installs it).
set -eu
v=$1
major=${v%%.*}
rest=${v#*.}
minor=${rest%%.*}
patch=${rest#*.}
patch=${patch%%[!0-9]*}
cat <<EOT
/* bract/version.h: generated from VERSION by tools/version_h.sh; do not edit. */
#ifndef BRACT_VERSION_H
#define BRACT_VERSION_H

#define BRACT_VERSION "$v"
#define BRACT_VERSION_MAJOR $major
#define BRACT_VERSION_MINOR $minor
#define BRACT_VERSION_PATCH $patch
/* One integer that grows with the version: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define BRACT_VERSION_NUMBER ($major * 10000 + $minor * 100 + $patch)

#endif
EOT
