# bract: build, test, install.
#
#   make                  libbract, libbract-figures and ./bract (checks the
#                         Debian packages, never installs them)
#   make check            unit tests (Check), CLI regression tests, man-page
#                         and API checks; installs missing test packages as
#                         root (tools/deps.sh), then runs everything; -j works
#   make check SANITIZE=1 the same tests built with ASan + UBSan (in build-san/)
#   make check-valgrind   CLI tests under valgrind
#   make demo             the word-RSA demo (see README)
#   make bench            benchmarks, each printed with a same-run baseline
#   make MPI=1            an MPI-enabled bract in build-mpi/bract
#   make HDF5=0           without HDF5 RDM sets (no libhdf5-dev needed)
#   make WERROR=1         warnings are errors (CI builds with gcc and clang)
#   make install PREFIX=/usr DESTDIR=/tmp/stage
#   make deps             install (as root) or list the Debian packages needed
#   make python           libbract.so and the in-tree Python package (python/):
#                         PYTHONPATH=python python3 -c 'import bract'
#   make python-install   pip install ./python offline (PIP_FLAGS=--user, a
#                         venv's PYTHON=..., or --break-system-packages)
#
# Layout (doc/HACKING.md): the compute library is src/<domain>/*.c (base,
# io, stats, rsa, glm, timeseries, dfc, timescale) -> libbract; the figures
# and the HTML report are src/figures/*.c -> libbract-figures (cairo,
# pango); the command is src/cli/ -> libbract-cli.a (every object but
# main.o, so that tests can link the CLI's own code) + main.o -> ./bract.
# Sources are picked up by wildcard: a new src/<domain>/foo.c,
# src/cli/cmd/foo.c or tests/test_foo.c needs no edit here.

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
HDF5 ?= 1
WERROR ?= 0
export HDF5

ifeq ($(SANITIZE),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LSAN_OPTIONS ?= suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
export LSAN_OPTIONS
else ifeq ($(MPI),1)
BUILD ?= build-mpi
else
BUILD ?= build
endif
# The default build's binary sits at the top (./bract); others in $(BUILD).
ifeq ($(BUILD),build)
BIN := bract
else
BIN := $(BUILD)/bract
endif

ifeq ($(MPI),1)
CC := mpicc
MPI_CPPFLAGS := -DBRACT_HAVE_MPI
DEPS_SET := mpi
else
DEPS_SET := build
endif

# Libraries by consumer: the compute library, the figures library, the CLI.
CORE_PKGS := zlib json-c lapacke openblas cminpack fftw3
ifeq ($(HDF5),1)
CORE_PKGS += hdf5
HDF5_CPPFLAGS := -DBRACT_HAVE_HDF5
endif
# (every package the figures call directly: bract-figures.pc requires the
# same list, so a static link never relies on what pangocairo pulls in)
FIG_PKGS := cairo pango pangocairo glib-2.0 gobject-2.0 json-c
CLI_PKGS := inih
# Evaluated lazily so that `make deps` works before pkg-config knows them.
CORE_CFLAGS = $(shell pkg-config --cflags $(CORE_PKGS) $(FIG_PKGS) $(CLI_PKGS) 2>/dev/null)
CORE_LIBS = -lnifti2 -lnifticdf -lznz $(shell pkg-config --libs $(CORE_PKGS) 2>/dev/null) -lm
FIG_LIBS = $(shell pkg-config --libs $(FIG_PKGS) 2>/dev/null)
CLI_LIBS = $(shell pkg-config --libs $(CLI_PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs check 2>/dev/null)

OPT ?= -O2 -g
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
# -ffp-contract=off: no FMA contraction, so every build and thread count
# computes the same bits (clang contracts by default).
CFLAGS ?= $(OPT)
ALL_CFLAGS = -std=c11 $(WARN) -fopenmp -fPIC -fvisibility=hidden -ffp-contract=off \
  $(SAN_FLAGS) $(CFLAGS)
ALL_CPPFLAGS = -Iinclude -I$(BUILD)/include -Isrc -I/usr/include/nifti $(CORE_CFLAGS) \
  $(MPI_CPPFLAGS) $(HDF5_CPPFLAGS) $(CPPFLAGS)
ALL_LDFLAGS = -fopenmp $(SAN_FLAGS) $(LDFLAGS)

DOMAINS := base io stats rsa glm timeseries dfc timescale
LIB_SRCS := $(sort $(wildcard $(DOMAINS:%=src/%/*.c)))
ifneq ($(HDF5),1)
LIB_SRCS := $(filter-out src/io/rdmset_h5.c,$(LIB_SRCS))
endif
FIG_SRCS := $(sort $(wildcard src/figures/*.c))
CLI_SRCS := $(sort $(wildcard src/cli/*.c src/cli/*/*.c))
CLI_LIB_SRCS := $(filter-out src/cli/main.c,$(CLI_SRCS))
TEST_SRCS := $(sort $(wildcard tests/test_*.c))
BENCH_SRCS := $(sort $(wildcard tests/bench/bench_*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
FIG_OBJS := $(FIG_SRCS:%.c=$(BUILD)/%.o)
CLI_LIB_OBJS := $(CLI_LIB_SRCS:%.c=$(BUILD)/%.o)
MAIN_OBJ := $(BUILD)/src/cli/main.o
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_RUNS := $(TEST_BINS:%=%.run)
BENCH_BINS := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)
MANPAGES := $(sort $(wildcard man/man1/*.1 man/man3/*.3 man/man5/*.5))
HEADERS := $(sort $(wildcard include/bract/*.h))
VERSION_H := $(BUILD)/include/bract/version.h

LIB_A := $(BUILD)/libbract.a
LIB_SO := $(BUILD)/libbract.so
FIG_A := $(BUILD)/libbract-figures.a
FIG_SO := $(BUILD)/libbract-figures.so
CLI_A := $(BUILD)/libbract-cli.a
# Everything a program that uses the CLI's code links, in link order.
ALL_A := $(CLI_A) $(FIG_A) $(LIB_A)
ALL_LIBS = $(CLI_LIBS) $(FIG_LIBS) $(CORE_LIBS)

STAMP := $(BUILD)/.deps-$(DEPS_SET)

.SECONDARY:

.PHONY: all lib check check-run check-unit check-cli check-man check-api check-valgrind \
  check-mpi check-python demo demo-run bench bench-python install uninstall deps clean \
  distclean print-version python python-install bids-validator $(TEST_RUNS)

all: $(BIN) $(LIB_A) $(LIB_SO) $(FIG_A) $(FIG_SO)

lib: $(LIB_A) $(LIB_SO) $(FIG_A) $(FIG_SO)

print-version:
	@echo $(VERSION)

# Missing Debian packages stop the build with the apt-get line; only `make
# deps`, `make demo` and `make check` install them (as root).
$(STAMP): tools/deps.sh
	@mkdir -p $(BUILD)
	@sh tools/deps.sh --check $(DEPS_SET)
	@touch $@

$(BUILD)/.deps-test: tools/deps.sh
	@mkdir -p $(BUILD)
	@sh tools/deps.sh --check test
	@touch $@

deps:
	@sh tools/deps.sh all

# The version header, generated from VERSION (one source of truth); written
# only when it changes, so objects rebuild exactly when the version does.
$(VERSION_H): VERSION tools/version_h.sh | $(STAMP)
	@mkdir -p $(dir $@)
	@sh tools/version_h.sh $(VERSION) > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

# The pipeline bract bids runs by default, built in from its source file.
BIDS_PIPELINE_H := $(BUILD)/include/bids_pipeline.h
$(BIDS_PIPELINE_H): pipelines/bids-word-rsa.ini tools/text_h.sh
	@mkdir -p $(dir $@)
	@sh tools/text_h.sh bids_pipeline_text < $< > $@.tmp && mv $@.tmp $@

$(BUILD)/src/cli/cmd/bids.o: $(BIDS_PIPELINE_H)

$(BUILD)/%.o: %.c | $(STAMP) $(VERSION_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libbract.so.$(SO_MAJOR) -Wl,--no-undefined $(ALL_LDFLAGS) \
	  -o $@ $^ $(CORE_LIBS)

$(FIG_A): $(FIG_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The figures use the library's private helpers (buffers, checked
# allocation: src/base/util.c), which libbract.so does not export: the
# shared figures library carries its own hidden copy of that one object.
# A static link takes them from libbract.a, which it links anyway.
FIG_PRIVATE_OBJS := $(BUILD)/src/base/util.o

$(FIG_SO): $(FIG_OBJS) $(FIG_PRIVATE_OBJS) $(LIB_SO)
	$(CC) -shared -Wl,-soname,libbract-figures.so.$(SO_MAJOR) -Wl,--no-undefined $(ALL_LDFLAGS) \
	  -o $@ $(FIG_OBJS) $(FIG_PRIVATE_OBJS) -L$(BUILD) -lbract $(FIG_LIBS) $(CORE_LIBS)

$(CLI_A): $(CLI_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(MAIN_OBJ) $(ALL_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $(MAIN_OBJ) $(ALL_A) $(ALL_LIBS)

$(BUILD)/tests/%.o: tests/%.c | $(STAMP) $(BUILD)/.deps-test $(VERSION_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(CHECK_CFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

# Unit tests link the CLI's archive too (pipeline planning, option tables).
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/testutil.o $(ALL_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/tests/testutil.o $(ALL_A) $(ALL_LIBS) $(CHECK_LIBS)

$(BUILD)/bench/%.o: tests/bench/%.c | $(STAMP) $(VERSION_H)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/bench/bench_%: $(BUILD)/bench/bench_%.o $(LIB_A)
	$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIB_A) $(CORE_LIBS)

# `make check` first makes sure the test packages are there (installing
# them as root, as the README promises), then runs the checks in a second
# make so that -j spreads them over the cores.
check:
	@sh tools/deps.sh test
	@$(MAKE) --no-print-directory check-run

check-run: check-unit check-cli check-man check-api check-python

# Unit tests run from the top directory so that testdata/ paths resolve;
# one target per binary so that make -j runs them side by side.
# CK_DEFAULT_TIMEOUT: the sanitizer build is several times slower.
check-unit: $(TEST_RUNS)

$(TEST_RUNS): %.run: % $(BUILD)/.deps-test
	@echo "== $<"
	@CK_DEFAULT_TIMEOUT=$${CK_DEFAULT_TIMEOUT:-120} ./$< > $<.log 2>&1; rc=$$?; \
	  cat $<.log; exit $$rc

# bids-validator (npm) for the BIDS tests, installed once into the build
# tree (tools/npm_install.sh); make check fails when npm cannot get it.
BIDS_VALIDATOR_PKG := bids-validator@1.15.0
BIDS_VALIDATOR := $(BUILD)/npm/node_modules/.bin/bids-validator

$(BIDS_VALIDATOR): | $(BUILD)/.deps-test
	@sh tools/npm_install.sh $(BUILD)/npm $(BIDS_VALIDATOR_PKG) node_modules/.bin/bids-validator

bids-validator: $(BIDS_VALIDATOR)

# (everything `make install` installs is built first: tests/cli/test_install.sh
# stages an install of this build and links programs against it)
check-cli: $(BIN) $(LIB_A) $(LIB_SO) $(FIG_A) $(FIG_SO) $(BUILD)/.deps-test $(BIDS_VALIDATOR)
	@BIDS_VALIDATOR=$(CURDIR)/$(BIDS_VALIDATOR) BRACT_BUILD=$(BUILD) BRACT_SANITIZE=$(SANITIZE) \
	  sh tests/cli/run.sh ./$(BIN)

check-man: $(BUILD)/.deps-test
	@mandoc -Tlint -Wwarning $(MANPAGES) && echo "man pages: $(words $(MANPAGES)) clean under mandoc -Tlint"
	@for m in $(MANPAGES); do groff -man -ww -z $$m || exit 1; done

# The library's exported names and its layering (tools/check_api.sh).
check-api: $(LIB_A) $(LIB_SO) $(FIG_A) $(FIG_SO) $(CLI_A)
	@sh tools/check_api.sh $(BUILD)

check-valgrind: $(BIN) $(LIB_A) $(LIB_SO) $(FIG_A) $(FIG_SO) $(BUILD)/.deps-test $(BIDS_VALIDATOR)
	@BIDS_VALIDATOR=$(CURDIR)/$(BIDS_VALIDATOR) BRACT_BUILD=$(BUILD) BRACT_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$(CURDIR)/tests/valgrind.supp" \
	  sh tests/cli/run.sh ./$(BIN)

check-mpi:
	@$(MAKE) --no-print-directory MPI=1 all
	@sh tests/cli/mpi.sh ./build-mpi/bract ./bract

demo:
	@sh tools/deps.sh build
	@$(MAKE) --no-print-directory demo-run

demo-run: $(BIN)
	@sh tools/demo.sh ./$(BIN)

bench: $(BIN) $(BENCH_BINS)
	@for b in $(BENCH_BINS); do ./$$b || exit 1; done
	@$(PYTHON) tests/bench/bench_e2e.py --bract ./$(BIN)

# The searchlight and dFC benchmarks through Python, each against the CLI
# on the same files in the same run (python/bench/bench.py).
bench-python: $(BIN) $(LIB_SO)
	@$(PY_ENV) $(PYTHON) python/bench/bench.py

# The Python package's tests (python/tests, pytest) with Debian's python3:
# the package over this build's libbract.so, compared with this build's
# ./bract.  Skipped, saying why, where that python lacks numpy, cffi or
# pytest, and for sanitizer builds (their library cannot be loaded into an
# uninstrumented python).
PYTHON ?= /usr/bin/python3
PIP_FLAGS ?=
PY_ENV = BRACT_LIBRARY=$(CURDIR)/$(LIB_SO) BRACT_CLI=$(CURDIR)/$(BIN) PYTHONPATH=$(CURDIR)/python

check-python: $(BIN) $(LIB_SO) $(BUILD)/.deps-test
	@if [ "$(SANITIZE)" = 1 ]; then \
	  echo "check-python: skipped (a sanitizer build's library cannot be loaded into python)"; \
	elif ! $(PYTHON) -c 'import numpy, cffi, pytest' 2>/dev/null; then \
	  echo "check-python: skipped: $(PYTHON) lacks numpy, cffi or pytest (sh tools/deps.sh test)"; \
	else $(PY_ENV) $(PYTHON) -m pytest -q -p no:cacheprovider python/tests; fi

# The package in the tree: python/bract finds build/libbract.so by itself.
python: $(LIB_SO)
	@$(PY_ENV) $(PYTHON) -c 'import bract; print("bract", bract.__version__, "over", bract.library_path)'
	@echo "use it with: PYTHONPATH=$(CURDIR)/python $(PYTHON)   (or make python-install)"

# pip install offline: the package with a copy of this build's libbract.so.
python-install: $(LIB_SO)
	BRACT_LIBRARY=$(CURDIR)/$(LIB_SO) $(PYTHON) -m pip install --no-build-isolation --no-index \
	  $(PIP_FLAGS) ./python
	@rm -rf python/build python/bract.egg-info

# pkg-config files, written at install time so that they name the prefix
# actually installed to (a .pc made at build time would keep /usr/local).
PC_SED = sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(libdir)|' \
  -e 's|@includedir@|$(includedir)|' -e 's|@version@|$(VERSION)|' \
  -e 's|@core_pkgs@|$(CORE_PKGS)|' -e 's|@fig_pkgs@|$(FIG_PKGS)|'

install: all
	$(INSTALL_DIR) $(DESTDIR)$(bindir) $(DESTDIR)$(libdir) $(DESTDIR)$(pkgconfigdir) \
	  $(DESTDIR)$(includedir)/bract $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man3 \
	  $(DESTDIR)$(mandir)/man5
	$(INSTALL_PROGRAM) $(BIN) $(DESTDIR)$(bindir)/bract
	for l in libbract libbract-figures; do \
	  $(INSTALL_DATA) $(BUILD)/$$l.a $(DESTDIR)$(libdir)/$$l.a || exit 1; \
	  $(INSTALL_PROGRAM) $(BUILD)/$$l.so $(DESTDIR)$(libdir)/$$l.so.$(VERSION) || exit 1; \
	  ln -sf $$l.so.$(VERSION) $(DESTDIR)$(libdir)/$$l.so.$(SO_MAJOR); \
	  ln -sf $$l.so.$(SO_MAJOR) $(DESTDIR)$(libdir)/$$l.so; \
	done
	$(INSTALL_DATA) $(HEADERS) $(VERSION_H) $(DESTDIR)$(includedir)/bract/
	for m in $(MANPAGES); do \
	  s=$${m##*.}; $(INSTALL_DATA) $$m $(DESTDIR)$(mandir)/man$$s/ || exit 1; done
	$(PC_SED) bract.pc.in > $(DESTDIR)$(pkgconfigdir)/bract.pc
	$(PC_SED) bract-figures.pc.in > $(DESTDIR)$(pkgconfigdir)/bract-figures.pc

uninstall:
	rm -f $(DESTDIR)$(bindir)/bract $(DESTDIR)$(libdir)/libbract.a \
	  $(DESTDIR)$(libdir)/libbract.so* $(DESTDIR)$(libdir)/libbract-figures.a \
	  $(DESTDIR)$(libdir)/libbract-figures.so* $(DESTDIR)$(pkgconfigdir)/bract.pc \
	  $(DESTDIR)$(pkgconfigdir)/bract-figures.pc
	rm -rf $(DESTDIR)$(includedir)/bract
	for m in $(MANPAGES); do s=$${m##*.}; rm -f $(DESTDIR)$(mandir)/man$$s/$${m##*/}; done

clean:
	rm -rf build build-san build-mpi build-clang build-nohdf5 bract

distclean: clean

-include $(LIB_OBJS:.o=.d) $(FIG_OBJS:.o=.d) $(CLI_LIB_OBJS:.o=.d) $(MAIN_OBJ:.o=.d) \
  $(TEST_BINS:=.d) $(BUILD)/tests/testutil.d $(BENCH_BINS:%=%.d)

# ---- fuzzing: libFuzzer harnesses in tests/fuzz/ (tests/fuzz/README.md) ----
#
#   make fuzz FUZZ_SECONDS=N   build every harness with ASan + UBSan (clang,
#                              in build/fuzz/) and run each for N seconds;
#                              fails on any crash, leak, timeout (20 s) or
#                              out-of-memory (2 GB)
#   make fuzz-build            only build them
#
# The library, figures and CLI objects are compiled with
# -fsanitize=fuzzer-no-link,address,undefined into build/fuzz/ (the
# pipeline harness links the CLI archive); the harnesses add the fuzzer
# runtime (Debian: libclang-rt-14-dev, a test package of tools/deps.sh).
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_DIR := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_CFLAGS = -std=c11 $(WARN) -Wno-pass-failed -fopenmp -ffp-contract=off -g -O1 $(FUZZ_SAN)
FUZZ_HARNESSES := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS := $(FUZZ_HARNESSES:%=$(FUZZ_DIR)/%)
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_FIG_OBJS := $(FIG_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_CLI_OBJS := $(CLI_LIB_SRCS:%.c=$(FUZZ_DIR)/%.o)
FUZZ_A := $(FUZZ_DIR)/libbract-cli.a $(FUZZ_DIR)/libbract-figures.a $(FUZZ_DIR)/libbract.a

.PHONY: fuzz fuzz-build

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build $(BUILD)/.deps-test
	@sh tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

$(FUZZ_DIR)/src/%.o: src/%.c | $(STAMP) $(VERSION_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_DIR)/libbract.a: $(FUZZ_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/libbract-figures.a: $(FUZZ_FIG_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/libbract-cli.a: $(FUZZ_CLI_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(FUZZ_DIR)/fuzz_%.o: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h | $(STAMP) $(VERSION_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/fuzz_%.o $(FUZZ_A)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -fopenmp -o $@ $< $(FUZZ_EXTRA) $(FUZZ_A) $(ALL_LIBS)

# The planner looks commands up in the dispatcher's table (src/cli/main.c):
# that object, its main() renamed, for the pipeline harness.
$(FUZZ_DIR)/cli_main.o: src/cli/main.c | $(STAMP) $(VERSION_H)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CPPFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -Dmain=bract_cli_main \
	  -Wno-missing-prototypes -c $< -o $@

$(FUZZ_DIR)/fuzz_pipeline: FUZZ_EXTRA = $(FUZZ_DIR)/cli_main.o
$(FUZZ_DIR)/fuzz_pipeline: $(FUZZ_DIR)/cli_main.o

-include $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_FIG_OBJS:.o=.d) $(FUZZ_CLI_OBJS:.o=.d)
