# bract: build, test, install.
#
#   make                  library (libbract.a, libbract.so) and ./bract
#   make check            unit tests (Check), CLI regression tests, man lint
#   make check SANITIZE=1 the same tests built with ASan + UBSan (in build-san/)
#   make check-valgrind   CLI tests under valgrind
#   make demo             the word-RSA demo (see README)
#   make bench            benchmarks, each printed with a same-run baseline
#   make MPI=1            an MPI-enabled bract in build-mpi/bract
#   make install PREFIX=/usr DESTDIR=/tmp/stage
#   make deps             install (as root) or list the Debian packages needed
#
# Sources are picked up by wildcard: a new src/foo.c, src/cli/cmd_foo.c or
# tests/test_foo.c needs no edit here.

VERSION := $(shell cat VERSION)
SO_MAJOR := 0

prefix ?= /usr/local
PREFIX ?= $(prefix)
exec_prefix = $(PREFIX)
bindir = $(exec_prefix)/bin
libdir = $(exec_prefix)/lib
includedir = $(PREFIX)/include
datarootdir = $(PREFIX)/share
mandir = $(datarootdir)/man
pkgconfigdir = $(libdir)/pkgconfig
INSTALL = install -p
INSTALL_DIR = install -d -m 755
INSTALL_DATA = $(INSTALL) -m 644
INSTALL_PROGRAM = $(INSTALL) -m 755

SANITIZE ?= 0
MPI ?= 0

ifeq ($(SANITIZE),1)
BUILD := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
BIN := $(BUILD)/bract
LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export LSAN_OPTIONS
else ifeq ($(MPI),1)
BUILD := build-mpi
BIN := $(BUILD)/bract
else
BUILD := build
BIN := bract
endif

ifeq ($(MPI),1)
CC := mpicc
MPI_CPPFLAGS := -DBRACT_HAVE_MPI
DEPS_SET := mpi
else
DEPS_SET := build
endif

PKGS := zlib json-c inih cairo pangocairo lapacke openblas cminpack fftw3 hdf5
# Evaluated lazily so that `make deps` works before pkg-config knows them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

OPT ?= -O2 -g
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# -ffp-contract=off: no FMA contraction, so every build and thread count
# computes the same bits (clang contracts by default).
CFLAGS ?= $(OPT)
ALL_CFLAGS = -std=c11 $(WARN) -fopenmp -fPIC -fvisibility=hidden -ffp-contract=off \
  $(SAN_FLAGS) $(CFLAGS)
ALL_CPPFLAGS = -Iinclude -Isrc -I/usr/include/nifti $(PKG_CFLAGS) $(MPI_CPPFLAGS) \
  -DBRACT_VERSION='"$(VERSION)"' $(CPPFLAGS)
ALL_LDFLAGS = -fopenmp $(SAN_FLAGS) $(LDFLAGS)
LIBS_ALL = -lnifti2 -lnifticdf -lznz $(PKG_LIBS) -lm

LIB_SRCS := $(sort $(wildcard src/*.c src/glm/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)
MANPAGES := $(sort $(wildcard man/man1/*.1 man/man3/*.3 man/man5/*.5))
HEADERS := $(sort $(wildcard include/bract/*.h))

STAMP := $(BUILD)/.deps-$(DEPS_SET)

.SECONDARY:

.PHONY: all lib check check-unit check-cli check-man check-valgrind check-mpi \
  demo bench install uninstall deps clean distclean print-version

all: $(BIN) $(BUILD)/libbract.a $(BUILD)/libbract.so

lib: $(BUILD)/libbract.a $(BUILD)/libbract.so

print-version:
	@echo $(VERSION)

# Missing Debian packages: install them (root) or stop with the apt-get line.
$(STAMP): tools/deps.sh
	@mkdir -p $(BUILD)
	@sh tools/deps.sh $(DEPS_SET)
	@touch $@

$(BUILD)/.deps-test: tools/deps.sh
	@mkdir -p $(BUILD)
	@sh tools/deps.sh test
	@touch $@

deps:
	@sh tools/deps.sh all

$(BUILD)/%.o: %.c | $(STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libbract.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/libbract.so: $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libbract.so.$(SO_MAJOR) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL)

$(BIN): $(CLI_OBJS) $(BUILD)/libbract.a
	$(CC) $(ALL_LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libbract.a $(LIBS_ALL)

$(BUILD)/tests/testutil.o: tests/testutil.c | $(STAMP) $(BUILD)/.deps-test
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/test_%.o: tests/test_%.c | $(STAMP) $(BUILD)/.deps-test
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/testutil.o $(BUILD)/libbract.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS_ALL) $(CHECK_LIBS)

$(BUILD)/bench/bench_%: tests/bench/bench_%.c tests/bench/benchutil.h $(BUILD)/libbract.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libbract.a $(LIBS_ALL)

# Unit tests run from the top directory so that testdata/ paths resolve.
# CK_DEFAULT_TIMEOUT: the sanitizer build is several times slower.
check: check-unit check-cli check-man

check-unit: $(TEST_BINS) $(BUILD)/.deps-test
	@fail=0; for t in $(TEST_BINS); do \
	  echo "== $$t"; \
	  CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-120} ./$$t || fail=1; \
	done; test $$fail -eq 0

check-cli: $(BIN) $(BUILD)/.deps-test
	@sh tests/cli/run.sh ./$(BIN)

check-man: $(BUILD)/.deps-test
	@mandoc -Tlint -Wwarning $(MANPAGES) && echo "man pages: $(words $(MANPAGES)) clean under mandoc -Tlint"
	@for m in $(MANPAGES); do groff -man -ww -z $$m || exit 1; done

check-valgrind: $(BIN) $(BUILD)/.deps-test
	@BRACT_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=tests/valgrind.supp" \
	  sh tests/cli/run.sh ./$(BIN)

check-mpi:
	@$(MAKE) --no-print-directory MPI=1 all
	@sh tests/cli/mpi.sh ./build-mpi/bract ./bract

demo: $(BIN)
	@sh tools/demo.sh ./$(BIN)

bench: $(BIN) $(BENCH_BINS)
	@for b in $(BENCH_BINS); do ./$$b || exit 1; done

bract.pc: bract.pc.in VERSION
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(libdir)|' \
	    -e 's|@includedir@|$(includedir)|' -e 's|@version@|$(VERSION)|' $< > $@

# The .pc file is written at install time so that it names the prefix
# actually installed to.
install: all
	$(INSTALL_DIR) $(DESTDIR)$(bindir) $(DESTDIR)$(libdir) $(DESTDIR)$(pkgconfigdir) \
	  $(DESTDIR)$(includedir)/bract $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man3 \
	  $(DESTDIR)$(mandir)/man5
	$(INSTALL_PROGRAM) $(BIN) $(DESTDIR)$(bindir)/bract
	$(INSTALL_DATA) $(BUILD)/libbract.a $(DESTDIR)$(libdir)/libbract.a
	$(INSTALL_PROGRAM) $(BUILD)/libbract.so $(DESTDIR)$(libdir)/libbract.so.$(VERSION)
	ln -sf libbract.so.$(VERSION) $(DESTDIR)$(libdir)/libbract.so.$(SO_MAJOR)
	ln -sf libbract.so.$(SO_MAJOR) $(DESTDIR)$(libdir)/libbract.so
	$(INSTALL_DATA) $(HEADERS) $(DESTDIR)$(includedir)/bract/
	for m in $(MANPAGES); do \
	  s=$${m##*.}; $(INSTALL_DATA) $$m $(DESTDIR)$(mandir)/man$$s/ || exit 1; done
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(libdir)|' \
	    -e 's|@includedir@|$(includedir)|' -e 's|@version@|$(VERSION)|' \
	    bract.pc.in > $(DESTDIR)$(pkgconfigdir)/bract.pc

uninstall:
	rm -f $(DESTDIR)$(bindir)/bract $(DESTDIR)$(libdir)/libbract.a \
	  $(DESTDIR)$(libdir)/libbract.so* $(DESTDIR)$(pkgconfigdir)/bract.pc
	rm -rf $(DESTDIR)$(includedir)/bract
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(mandir)/man$$s/$${m##*/}; done

clean:
	rm -rf build build-san build-mpi bract bract.pc

distclean: clean

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_BINS:=.d)
