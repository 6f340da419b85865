# make install as a packager runs it (DESTDIR staging, PREFIX /usr/local),
# then what a user of the library does: every installed header compiles on
# its own (C11 and C++), and `pkg-config --static --libs bract` and
# `bract-figures` link small programs (tests/install/) against the static
# archives, as `--libs` does against the shared libraries (run through
# LD_LIBRARY_PATH, as the README explains for a prefix the loader does not
# search).
#
# The staged .pc files name /usr/local, where nothing is installed yet;
# pkg-config's sysroot would also move the system packages' paths, so the
# test moves our own -I/usr/local/include and -L/usr/local/lib (and only
# those) to the staging directory.  The build installed is the one under
# test: BRACT_BUILD (set by make check) or build.

B=${BRACT_BUILD:-build}
ST=$TMP/stage
current="install: make install DESTDIR=... PREFIX=/usr/local"
if [ "${BRACT_SANITIZE:-0}" = 1 ]; then
    # the sanitizer archives need -fsanitize at link time: not what users get
    echo "  (skipped: SANITIZE=1 build)"
    pass
elif ! make -s --no-print-directory install BUILD="$B" DESTDIR="$ST" PREFIX=/usr/local \
    >"$TMP/.stdout" 2>"$TMP/.stderr"; then
    fail "make install failed"
else
    pass
    L=$ST/usr/local/lib
    I=$ST/usr/local/include
    for f in "$ST/usr/local/bin/bract" "$L/libbract.a" "$L/libbract.so.0" "$L/libbract-figures.a" \
        "$L/pkgconfig/bract.pc" "$L/pkgconfig/bract-figures.pc" "$I/bract/version.h" \
        "$ST/usr/local/share/man/man1/bract.1" "$ST/usr/local/share/man/man5/bract-pipeline.5"; do
        file_exists "$f"
    done
    # pc ARGS...: pkg-config over the staged .pc files, our paths moved to the stage
    pc() {
        PKG_CONFIG_PATH=$L/pkgconfig pkg-config "$@" |
            sed -e "s|-I/usr/local/include|-I$I|g" -e "s|-L/usr/local/lib|-L$L|g"
    }
    current="install: pkg-config --modversion"
    v=$(pc --modversion bract bract-figures | sort -u)
    [ "$v" = "$(cat VERSION)" ] && pass || fail "pkg-config says '$v', VERSION '$(cat VERSION)'"
    # each header alone, as C11 (pedantic) and C++
    bad=
    for h in "$I"/bract/*.h; do
        n=$(basename "$h")
        printf '#include <bract/%s>\nint main(void) { return 0; }\n' "$n" > "$TMP/h.c"
        cc -std=c11 -Wall -Wextra -Wpedantic -Werror $(pc --cflags bract-figures) -c "$TMP/h.c" \
            -o "$TMP/h.o" >"$TMP/h.log" 2>&1 || bad="$bad $n(C: $(grep -m1 error "$TMP/h.log"))"
        if command -v c++ >/dev/null 2>&1; then
            c++ -x c++ -std=c++11 -Wall -Werror $(pc --cflags bract-figures) -c "$TMP/h.c" \
                -o "$TMP/h.o" >"$TMP/h.log" 2>&1 || bad="$bad $n(C++: $(grep -m1 error "$TMP/h.log"))"
        fi
    done
    current="install: every header compiles on its own"
    [ -z "$bad" ] && pass || fail "$bad"
    # link PROG PKG MODE: build tests/install/PROG.c with pkg-config's flags
    # (MODE shared: --libs; static: --static --libs, the archives only)
    link() {
        current="install: $1 with pkg-config $2 ($3)"
        if [ "$3" = static ]; then
            mkdir -p "$TMP/static"
            cp "$L"/*.a "$TMP/static/"
            # shellcheck disable=SC2046
            cc -std=c11 -o "$TMP/$1_$3" "tests/install/$1.c" $(pc --cflags "$2") -L"$TMP/static" \
                $(pc --static --libs "$2") >"$TMP/.stderr" 2>&1
        else
            # shellcheck disable=SC2046
            cc -std=c11 -o "$TMP/$1_$3" "tests/install/$1.c" $(pc --cflags --libs "$2") \
                >"$TMP/.stderr" 2>&1
        fi
        if [ $? -ne 0 ]; then fail "the link failed: $(head -c 600 "$TMP/.stderr")"; return; fi
        pass
        if [ "$3" = static ]; then
            if readelf -d "$TMP/$1_$3" | grep -q 'libbract'; then
                fail "the static program needs a libbract shared library"; else pass; fi
        fi
        LD_LIBRARY_PATH=$L "$TMP/$1_$3" "$TMP/$1_$3.out" >"$TMP/.stdout" 2>"$TMP/.stderr"
        [ $? -eq 0 ] && pass || fail "$TMP/$1_$3 failed"
    }
    for m in shared static; do
        link rdm_prog bract $m
        out_has "bract $(cat VERSION): 0.400000 2.000000 1.600000"
        file_has "$TMP/rdm_prog_$m.out" "demo	cat	car	2"
        link plot_prog bract-figures $m
        out_has "9 cells"
        file_exists "$TMP/plot_prog_$m.out"
    done
    # the figures library names in its .pc every package it calls directly
    # (a static link must not depend on what pangocairo happens to pull in)
    current="install: bract-figures.pc requires what libbract-figures calls"
    { pc --print-requires bract-figures; pc --print-requires-private bract-figures; } |
        awk '{ print $1 }' > "$TMP/req"
    nm -u "$L/libbract-figures.a" | awk '{ print $2 }' | sort -u > "$TMP/undef"
    missing=
    for m in cairo_:cairo pango_cairo_:pangocairo pango_:pango g_object_:gobject-2.0 g_:glib-2.0 \
        json_:json-c; do
        if grep -q "^${m%%:*}" "$TMP/undef" && ! grep -qx "${m#*:}" "$TMP/req"; then
            missing="$missing ${m#*:}"
        fi
    done
    [ -z "$missing" ] && pass || fail "libbract-figures calls$missing, which bract-figures.pc does not require"
    # a program of the compute library needs neither cairo nor pango
    current="install: the compute library links no cairo or pango"
    if pc --static --libs bract | grep -q -e cairo -e pango; then fail "bract.pc names cairo or pango"
    else pass; fi
fi
