# mk/fuzz.mk: libFuzzer harnesses for the parsers that read untrusted bytes.
#
#   make -f mk/fuzz.mk fuzz            build every harness, run each for FUZZ_SECONDS
#   make -f mk/fuzz.mk fuzz-build      build only (build/fuzz/bin/fuzz_<name>)
#   make -f mk/fuzz.mk fuzz-apikey     build and run one harness
#   make -f mk/fuzz.mk fuzz-replay     run every harness once over each of its
#                                      committed seeds (part of `make test`)
#   make -f mk/fuzz.mk replay-apikey   the same for one harness
#
# Each harness is tests/fuzz/fuzz_<name>.c; every such file is picked up.  It
# links the core layer and what its one line fuzz_deps_<name> below names
# (none: the core only).  Its seed corpus is committed in
# tests/fuzz/corpus/<name>/ (every harness must have one: the replay fails
# without it) and stays read-only: a timed run copies it to
# build/fuzz/corpus/<name>/, where libFuzzer adds what it finds.  A dictionary
# tests/fuzz/<name>.dict is used when present.  A crash leaves its input in
# build/fuzz/artifacts/<name>/ and fails the run; replay it with
#   build/fuzz/bin/fuzz_<name> build/fuzz/artifacts/<name>/crash-...
# and commit it to the corpus (named regress_<what broke>) with the fix.
#
# Needs clang with compiler-rt's libFuzzer (Debian: clang libclang-rt-14-dev,
# installed by scripts/deps.sh).
# The code under test is compiled again here with -fsanitize=fuzzer-no-link so
# coverage reaches into it; nothing is shared with build/asan or build/release.
SHELL        := /bin/bash
FUZZ_CC      ?= clang
# Bounded run time per harness; long enough to get past the seeds, short
# enough that `make fuzz` fits in a test run.
FUZZ_SECONDS ?= 20
# Timed runs share a 2-core machine: they yield to everything else.
FUZZ_NICE    ?= nice -n 19
# Inputs above this size only slow the search down: every format we fuzz is
# a short line, a JSON document or a small multipart body.
FUZZ_MAX_LEN ?= 8192
FB           := build/fuzz

FUZZ_PKGS    := jansson libsodium openssl zlib
FUZZ_WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=gnu17 -g -O1 -fno-omit-frame-pointer $(FUZZ_WARN) $(FUZZ_SAN) \
                -Isrc -Itools -DH2O_USE_LIBUV=0 -D_GNU_SOURCE \
                $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null)
FUZZ_LIBS    := $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null) -lpthread -lm

# The core layer, with libFuzzer's coverage hooks but not its main().
FUZZ_CORE    := $(filter-out src/core/main.c,$(wildcard src/core/*.c))

# What each harness links besides the core.
fuzz_deps_apikey    :=
fuzz_deps_err       :=
fuzz_deps_jscan     :=
fuzz_deps_sse       := src/gateway/sse.c
fuzz_deps_usage     := src/gateway/usage.c src/billing/prices.c
fuzz_deps_multipart := tools/sim/sim_util.c
fuzz_deps_money     := src/billing/prices.c
fuzz_deps_h1resp    := src/net/h1resp.c
fuzz_deps_delivered := src/gateway/delivered.c
fuzz_deps_ownpath   := src/gateway/ownpath.c
fuzz_deps_webauthn  := src/auth/webauthn.c src/auth/webauthn_cbor.c
fuzz_deps_base32    := src/auth/base32.c src/auth/recovery.c src/auth/totp.c
fuzz_deps_invoice   := src/billing/invoice_fmt.c src/billing/invoice_pdf.c src/billing/period.c
# Extra libraries of a harness (h1resp: picohttpparser, inside libh2o-evloop;
# invoice: libharu, which has no pkg-config file).
fuzz_libs_h1resp    := $(shell pkg-config --libs libh2o-evloop 2>/dev/null)
fuzz_libs_webauthn  := $(shell pkg-config --libs libfido2 libcbor 2>/dev/null)
fuzz_libs_invoice   := -lhpdf

FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS  := $(patsubst %,$(FB)/bin/fuzz_%,$(FUZZ_NAMES))

fobj = $(patsubst %.c,$(FB)/obj/%.o,$(1))

.PHONY: fuzz fuzz-build fuzz-replay fuzz-clean $(patsubst %,fuzz-%,$(FUZZ_NAMES)) $(patsubst %,replay-%,$(FUZZ_NAMES))
.DEFAULT_GOAL := fuzz

fuzz-build: $(FUZZ_BINS)

fuzz: $(patsubst %,fuzz-%,$(FUZZ_NAMES))

fuzz-replay: $(patsubst %,replay-%,$(FUZZ_NAMES))

$(FB)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FB)/obj/tools/%.o: tools/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FB)/obj/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# Keep the objects between runs (make would delete them as intermediates).
.SECONDARY:

.SECONDEXPANSION:
$(FB)/bin/fuzz_%: $(FB)/obj/tests/fuzz/fuzz_%.o $$(call fobj,$$(fuzz_deps_$$*)) $(call fobj,$(FUZZ_CORE))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(fuzz_libs_$*) $(FUZZ_LIBS)

# One bounded run.  The working corpus starts from the committed seeds.
$(patsubst %,fuzz-%,$(FUZZ_NAMES)): fuzz-%: $(FB)/bin/fuzz_%
	@mkdir -p $(FB)/corpus/$* $(FB)/artifacts/$*
	@if [ -d tests/fuzz/corpus/$* ]; then cp -n tests/fuzz/corpus/$*/* $(FB)/corpus/$*/ 2>/dev/null || true; fi
	@echo "fuzz $*: $(FUZZ_SECONDS) s"
	@$(FUZZ_NICE) $< -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -print_final_stats=1 \
	    -artifact_prefix=$(FB)/artifacts/$*/ \
	    $(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
	    $(FB)/corpus/$* 2>$(FB)/fuzz_$*.log \
	  || { tail -n 60 $(FB)/fuzz_$*.log; echo "fuzz $*: FAILED (input kept in $(FB)/artifacts/$*/)"; exit 1; }
	@grep -E '^stat::number_of_executed_units|^Done' $(FB)/fuzz_$*.log | tr '\n' ' '; echo

# Every committed seed once, as it is (files, not the directory, so no
# -max_len cut applies); any crash or sanitizer report fails.
$(patsubst %,replay-%,$(FUZZ_NAMES)): replay-%: $(FB)/bin/fuzz_%
	@mkdir -p $(FB)/artifacts/$*
	@seeds=(tests/fuzz/corpus/$*/*); \
	 [ -f "$${seeds[0]}" ] || { echo "replay $*: FAILED: no seeds in tests/fuzz/corpus/$*/"; exit 1; }; \
	 $< -artifact_prefix=$(FB)/artifacts/$*/ "$${seeds[@]}" >$(FB)/replay_$*.log 2>&1 \
	  || { tail -n 40 $(FB)/replay_$*.log; echo "replay $*: FAILED (see $(FB)/replay_$*.log)"; exit 1; }; \
	 echo "replay $*: $${#seeds[@]} seeds ok"

fuzz-clean:
	rm -rf $(FB)

-include $(shell find $(FB)/obj -name '*.d' 2>/dev/null)
