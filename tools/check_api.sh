#!/bin/sh
# make check-api: the library's exported names and its layering.
#
#   sh tools/check_api.sh BUILD_DIR
#
# 1. Every symbol libbract.so and libbract-figures.so export starts with
#    bract_ (the public API is one prefix; internals are hidden).
# (OpenMP's named critical sections, .gomp_critical_user_bract_*, are
#    named after bract_ names and pass.)
# 2. Every global symbol the static archives define starts with bract_ or
#    cli_ (libbract-cli.a) or main_ (its command entry points): no
#    unprefixed helpers leak into a static link (pc_*, rp_*, ...).
#    (A sanitizer build adds __odr_asan.NAME beside each global: ignored.)
# 3. The compute library does not link cairo, pango or glib (they belong to
#    libbract-figures) nor inih (the CLI's pipeline files).
# 4. One prefix per header: a function declared in bract/<module>.h is
#    bract_<module>_... or bract_<module> (core.h and error.h are the
#    library itself: bract_...).
# 6. The CLI computes nothing: src/cli/ has no OpenMP, BLAS, LAPACK or
#    random streams (DESIGN: "the CLI never computes").
set -u
b=${1:-build}
fail=0
bad() { echo "check-api: $*" >&2; fail=1; }

for so in "$b/libbract.so" "$b/libbract-figures.so"; do
    names=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' |
        grep -v -e '^bract_' -e '^_' -e '^\.gomp_critical_user_bract_')
    [ -z "$names" ] || bad "$so exports names without the bract_ prefix: $(echo $names | head -c 400)"
done

# (a sanitizer build adds ASan's ODR indicators, __odr_asan.NAME, for the
# global variables: they are not names bract chose, and are ignored)
for a in "$b/libbract.a" "$b/libbract-figures.a"; do
    names=$(nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 {print $3}' |
        grep -v -e '^bract_' -e '^\.gomp_critical_user_bract_' -e '^__odr_asan\.' -e '^__asan_' | sort -u)
    [ -z "$names" ] || bad "$a defines global names without the bract_ prefix: $(echo $names | head -c 400)"
done
names=$(nm -g --defined-only "$b/libbract-cli.a" 2>/dev/null | awk 'NF == 3 {print $3}' |
    grep -v -e '^cli_' -e '^main_' -e '^__odr_asan\.' -e '^__asan_' | sort -u)
[ -z "$names" ] || bad "$b/libbract-cli.a defines global names without the cli_/main_ prefix: $(echo $names | head -c 400)"

needed=$(readelf -d "$b/libbract.so" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p')
for lib in cairo pango glib gobject harfbuzz inih; do
    if echo "$needed" | grep -q "^lib$lib"; then
        bad "libbract.so links $(echo "$needed" | grep "^lib$lib" | head -1): figures and CLI libraries stay out of the compute library"
    fi
done

for h in include/bract/*.h; do
    m=$(basename "$h" .h)
    case $m in core | error | bract | figures | outputs) continue ;; esac
    off=$(tr '\n' ' ' < "$h" | grep -oE 'BRACT_API[^;{]*\(' | sed -E 's/\($//; s/.*[ *]//' |
        grep -v -e "^bract_${m}_" -e "^bract_${m}\$" || true)
    [ -z "$off" ] || bad "$h declares functions without its prefix bract_${m}_: $(echo $off)"
done

# 5. One name for "fill the defaults" (bract_x_opts_defaults) and one
#    constructor form (bract_x_new returning a status).
odd=$(cat include/bract/*.h | tr '\n' ' ' | grep -oE 'BRACT_API[^;{]*\(' | sed -E 's/\($//; s/.*[ *]//' |
    grep -E '_default$|_init$|_alloc$|_params_' | grep -v -e '^bract_init$' -e '^bract_rng_init$' || true)
[ -z "$odd" ] || bad "defaults are bract_x_opts_defaults and constructors bract_x_new: $(echo $odd)"

hits=$(grep -rnE '#[[:space:]]*pragma[[:space:]]+omp|\bcblas_|\bLAPACKE_|\bbract_rng_' src/cli || true)
[ -z "$hits" ] || bad "src/cli computes (OpenMP, BLAS, LAPACK or random streams belong in the library):
$hits"

if [ "$fail" -eq 0 ]; then
    echo "check-api: exported names prefixed, one prefix per header, libbract.so free of cairo/pango/inih, src/cli computes nothing"
fi
exit $fail
