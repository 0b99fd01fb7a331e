# maxgate build.  `make run` and `make test` are the two commands a user needs;
# both install what is missing first (scripts/deps.sh), so a fresh Debian 12 works.
#
# Two build flavours share one set of rules:
#   build/release  -O2, used by `make run` and `make bench`
#   build/asan     -O1 with ASan+UBSan, used by every test suite
SHELL      := /bin/bash
FLAVOR     ?= release
B          := build/$(FLAVOR)
CC         ?= cc
PKGS       := libh2o-evloop jansson libsodium inih libcurl openssl sqlite3 zlib libqrencode libfido2 libcbor
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
CFLAGS_COMMON := -std=gnu17 -g $(WARN) -Isrc -Itools -DH2O_USE_LIBUV=0 -D_GNU_SOURCE $(PKG_CFLAGS) -MMD -MP
ifeq ($(FLAVOR),asan)
  OPT     := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  LDSAN   := -fsanitize=address,undefined
else ifeq ($(FLAVOR),tsan)
  # by hand, for the lock-free parts: make FLAVOR=tsan build/tsan/tests/test_pricebook (docs/operations.md)
  OPT     := -O1 -fno-omit-frame-pointer -fsanitize=thread
  LDSAN   := -fsanitize=thread
else
  OPT     := -O2
  LDSAN   :=
endif
ALL_CFLAGS := $(CFLAGS_COMMON) $(OPT) $(CFLAGS)
# libunistring (NFKC for passwords) and libharu (-lhpdf, invoice PDFs) have no
# pkg-config file.
LDLIBS_ALL := -Wl,--as-needed $(PKG_LIBS) -lunistring -lhpdf -lpthread -lm

# Layers (see docs/architecture.md).  Each folder is one static library; a
# program links the layers it may use.  A file named main.c holds main() and
# stays out of its folder's library so unit tests can link the rest.
lib_srcs = $(filter-out $(1)/main.c,$(wildcard $(1)/*.c))
objs     = $(patsubst %.c,$(B)/obj/%.o,$(1))

CORE_OBJ := $(call objs,$(call lib_srcs,src/core) $(call lib_srcs,src/net))
# Folders compiled into maxgated at build time (scripts/embed.py, src/core/embed.h):
# the SQL migrations of each store backend and the console's static files.
EMBED_SETS := sql_sqlite:src/store/migrations/sqlite web:src/web
embed_dir   = $(word 2,$(subst :, ,$(filter $(1):%,$(EMBED_SETS))))
GEN_OBJ    := $(foreach e,$(EMBED_SETS),$(B)/obj/gen/$(word 1,$(subst :, ,$(e))).o)

SRV_OBJ  := $(call objs,$(foreach d,store runtime auth billing mail gateway platform server,$(call lib_srcs,src/$(d)))) $(GEN_OBJ)
CLI_OBJ  := $(call objs,$(call lib_srcs,src/cli))
SIM_OBJ  := $(call objs,$(call lib_srcs,tools/sim))

BINS := $(B)/bin/maxgated $(B)/bin/maxgate-sim $(if $(wildcard src/cli/main.c),$(B)/bin/maxgate)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
# Micro-benchmarks (bench/bench_*.c), built with everything so they keep compiling.
MICRO_BINS := $(patsubst bench/%.c,$(B)/bench/%,$(wildcard bench/bench_*.c))

.PHONY: all build asan deps run test unit fuzz-replay fuzz integration compat bench microbench check-src clean fmt
.DEFAULT_GOAL := all
.SECONDEXPANSION:
.PRECIOUS: $(B)/gen/%.c

all: $(BINS) $(UNIT_BINS) $(MICRO_BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/gen/%.c: scripts/embed.py $$(wildcard $$(call embed_dir,%)) $$(shell find $$(call embed_dir,%) -type f 2>/dev/null)
	@mkdir -p $(dir $@)
	python3 scripts/embed.py mg_embed_$* $(call embed_dir,$*) > $@.tmp && mv $@.tmp $@
$(B)/obj/gen/%.o: $(B)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(B)/lib/libmgcore.a: $(CORE_OBJ)
$(B)/lib/libmgsrv.a: $(SRV_OBJ)
$(B)/lib/libmgcli.a: $(CLI_OBJ)
$(B)/lib/libmgsim.a: $(SIM_OBJ)
$(B)/lib/%.a:
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(B)/bin/maxgated: $(B)/obj/src/server/main.o $(B)/lib/libmgsrv.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

$(B)/bin/maxgate: $(B)/obj/src/cli/main.o $(B)/lib/libmgcli.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

$(B)/bin/maxgate-sim: $(B)/obj/tools/sim/main.o $(B)/lib/libmgsim.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

# Unit tests: tests/unit/test_cli_*.c link the CLI layer, test_sim_*.c the
# simulator, every other test the server layers.
$(B)/tests/test_cli_%: $(B)/obj/tests/unit/test_cli_%.o $(B)/lib/libmgcli.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL) -lcmocka
$(B)/tests/test_sim_%: $(B)/obj/tests/unit/test_sim_%.o $(B)/lib/libmgsim.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL) -lcmocka
$(B)/tests/test_%: $(B)/obj/tests/unit/test_%.o $(B)/lib/libmgsrv.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL) -lcmocka

$(B)/bench/bench_%: $(B)/obj/bench/bench_%.o $(B)/lib/libmgsrv.a $(B)/lib/libmgcore.a
	@mkdir -p $(dir $@)
	$(CC) $(LDSAN) -o $@ $^ $(LDLIBS_ALL)

# dependency files are only read, never made
%.d: ;
-include $(shell find build/$(FLAVOR)/obj -name '*.d' 2>/dev/null)

build: deps
	$(MAKE) FLAVOR=release all

asan: deps
	$(MAKE) FLAVOR=asan all

deps:
	@scripts/deps.sh

run: deps
	$(MAKE) FLAVOR=release all
	@scripts/run.sh

# The test suites, in order of cost.  Each prints its own summary; the last
# line is the total.
test: deps
	$(MAKE) FLAVOR=asan all
	@scripts/test.sh

unit:
	$(MAKE) FLAVOR=asan all
	@scripts/test.sh unit

# The committed fuzz seeds, once each (also part of `make test`).
fuzz-replay: deps
	@scripts/test.sh fuzz

# Fuzz every harness (tests/fuzz/fuzz_*.c) for FUZZ_SECONDS each, niced;
# findings land in build/fuzz/artifacts/<name>/ (see mk/fuzz.mk).
FUZZ_SECONDS ?= 60
fuzz: deps
	$(MAKE) -f mk/fuzz.mk fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

integration:
	$(MAKE) FLAVOR=asan all
	@scripts/test.sh integration

# The micro-benchmarks, release build: ns per operation, median of runs.
microbench:
	$(MAKE) FLAVOR=release all
	@for b in $(patsubst bench/%.c,build/release/bench/%,$(wildcard bench/bench_*.c)); do echo "== $$b"; $$b; done

compat:
	$(MAKE) FLAVOR=asan all
	@scripts/test.sh compat

bench: deps
	$(MAKE) FLAVOR=release all
	@bench/run.sh

check-src:
	@scripts/check-src.sh

clean:
	rm -rf build
