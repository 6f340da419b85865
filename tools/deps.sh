#!/bin/sh
# Make sure the Debian packages bract needs are installed.
#
#   tools/deps.sh build      packages to build bract and run the demo
#   tools/deps.sh test       the build packages plus what `make check` uses
#                            (the browser the report test renders in too)
#   tools/deps.sh all        everything, including Open MPI
#   tools/deps.sh --check SET  only check SET: print the apt-get line and
#                            exit 1 when something is missing, never install
#
# Run as root, it installs what is missing with apt-get (this is what
# `make deps`, `make demo` and `make check` do).  Run as another user, it
# prints the exact apt-get line and exits 1.  A plain `make` only checks
# (--check), so building never installs packages behind the user's back.
# HDF5=0 in the environment leaves libhdf5-dev out (bract built without
# HDF5 RDM sets: make HDF5=0).  On a system without
# dpkg it says so and carries on (the compiler will tell what is missing).
#
# The README's dependency table says why each package is here; keep both
# lists in step.
set -eu

BUILD_PKGS="gcc make pkg-config zlib1g-dev libnifti2-dev libnifticdf-dev \
liblapacke-dev libopenblas-dev libfftw3-dev libcminpack-dev librandom123-dev \
libjson-c-dev libinih-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core libhdf5-dev \
fonts-wqy-microhei"
TEST_PKGS="check mandoc man-db groff-base valgrind libxml2-utils chromium hdf5-tools \
clang libclang-rt-14-dev \
python3 python3-numpy python3-cffi python3-pytest python3-nibabel python3-setuptools python3-pip \
python3-statsmodels \
nodejs npm"
MPI_PKGS="libopenmpi-dev openmpi-bin"

check_only=0
if [ "${1:-}" = "--check" ]; then
  check_only=1
  shift
fi
what=${1:-build}
case $what in
  build) want=$BUILD_PKGS ;;
  test)  want="$BUILD_PKGS $TEST_PKGS" ;;
  mpi)   want="$BUILD_PKGS $MPI_PKGS" ;;
  all)   want="$BUILD_PKGS $TEST_PKGS $MPI_PKGS" ;;
  *) echo "usage: tools/deps.sh build|test|mpi|all" >&2; exit 2 ;;
esac

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "tools/deps.sh: no dpkg here; cannot check packages ($want)" >&2
  exit 0
fi

if [ "${HDF5:-1}" = 0 ]; then
  want=$(echo " $want " | sed -e 's/ libhdf5-dev / /' -e 's/ hdf5-tools / /')
fi
missing=
for p in $want; do
  # a nodejs that bundles npm (as nodesource's does) has no npm package
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  case $st in
    *" installed") ;;
    *) missing="$missing $p" ;;
  esac
done
[ -z "$missing" ] && exit 0

if [ "$check_only" -eq 1 ]; then
  echo "bract needs Debian packages that are not installed:$missing" >&2
  echo "Install them with 'make deps' as root, or:" >&2
  echo "  apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "tools/deps.sh: installing$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -q >&2 || true
  # shellcheck disable=SC2086
  apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends $missing >&2
  exit 0
fi
echo "bract needs Debian packages that are not installed:$missing" >&2
echo "Install them as root with:" >&2
echo "  $line" >&2
exit 1
