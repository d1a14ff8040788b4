# zonesync - GNU make build. `make deps` installs the build packages, `make test-deps` the
# servers the tests start; `make test` and `make demo` run both themselves, `make check`
# (unit tests only, seconds) only the first; `make` and `make install` never install packages.
SHELL := /bin/bash

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libknot libzscanner libgit2 libcurl jansson sqlite3 gnutls libmicrohttpd

# Debian 12 packages: to build, to test (real servers), to fuzz
BUILD_DEBS := gcc make pkg-config git libknot-dev libgit2-dev libcurl4-openssl-dev \
	libjansson-dev libsqlite3-dev libgnutls28-dev libmicrohttpd-dev check
TEST_DEBS := bind9 bind9-utils bind9-dnsutils knot knot-dnsutils pdns-server \
	pdns-backend-sqlite3 nsd sqlite3 iproute2 curl python3 python3-prometheus-client chromium

ifeq ($(SANITIZE),1)
BUILD := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
BUILD := build
SAN_FLAGS :=
endif

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wno-format-truncation -Wno-missing-field-initializers
ifneq ($(CI),)
WARN += -Werror
endif
# lazy (=): pkg-config runs only in the sub-make, after `make deps` has installed it
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN_FLAGS) -I. -Izonesync -Iproviders \
	$(shell $(PKG_CONFIG) --cflags $(PKGS))
ALL_LDLIBS = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lpthread -lm
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

LIB_SRC := $(filter-out zonesync/main.c,$(wildcard zonesync/*.c)) $(wildcard providers/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/check_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: provider-docs all deps test-deps check run-check build test run-tests check-headers bench run-bench install clean fmt demo fuzz fuzz-deps run-fuzz valgrind run-valgrind

all: build

build: $(BUILD)/zonesync

# $(call install_debs,PACKAGES): apt-get install what is missing (as root; else say how)
define install_debs
	@missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make: missing Debian packages:" $$missing >&2; \
			echo "make: run 'sudo make $@' (or install them with apt-get) and try again" >&2; \
			exit 1; \
		fi; \
		echo "make: installing" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
			install -y -q --no-install-recommends $$missing || exit 1; \
	fi
endef

deps:
	$(call install_debs,$(BUILD_DEBS))

test-deps:
	$(call install_debs,$(TEST_DEBS))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libzonesync.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/zonesync: $(BUILD)/obj/zonesync/main.o $(BUILD)/libzonesync.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(ALL_LDLIBS) $(SAN_FLAGS)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libzonesync.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libzonesync.a $(ALL_LDLIBS) $(CHECK_LIBS) $(SAN_FLAGS)

$(BUILD)/bench/%: bench/%.c $(BUILD)/libzonesync.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libzonesync.a $(ALL_LDLIBS) $(SAN_FLAGS)

test: deps test-deps
	@$(MAKE) --no-print-directory run-tests

# The unit tests alone: no DNS server, no integration script, a few seconds.
check: deps
	@$(MAKE) --no-print-directory run-check

run-check: $(BUILD)/zonesync $(BUILD)/tests/toml-decoder $(TEST_BIN)
	@fail=0; \
	for t in $(TEST_BIN); do \
		echo "== $$t"; \
		ZONESYNC=$(CURDIR)/$(BUILD)/zonesync TOML_DECODER=$(CURDIR)/$(BUILD)/tests/toml-decoder $$t || fail=1; \
	done; \
	if [ $$fail = 0 ]; then echo "make check: all unit tests passed"; else echo "make check: FAILED"; fi; \
	exit $$fail

# Every unit test binary, then every integration script; all run even when one fails.
run-tests: $(BUILD)/zonesync $(BUILD)/tests/toml-decoder $(TEST_BIN)
	@fail=0; \
	$(MAKE) --no-print-directory run-check || fail=1; \
	for t in tests/integration/*.sh; do \
		[ -f "$$t" ] && [ "$$(basename $$t)" != lib.sh ] || continue; \
		echo "== $$t"; \
		ZONESYNC=$(CURDIR)/$(BUILD)/zonesync bash $$t || fail=1; \
	done; \
	if [ $$fail = 0 ]; then echo "make test: all test suites passed"; else echo "make test: FAILED"; fi; \
	exit $$fail

check-headers: deps
	@for h in zonesync/*.h providers/*.h; do \
		[ -f "$$h" ] || continue; \
		echo "#include \"$$h\"" | $(CC) $(ALL_CFLAGS) -x c -fsyntax-only - || exit 1; \
	done; echo "check-headers: every header compiles alone"

bench: deps
	@$(MAKE) --no-print-directory run-bench

run-bench: $(BUILD)/zonesync $(BENCH_BIN)
	bash bench/run.sh $(BUILD)

demo: deps test-deps
	@$(MAKE) --no-print-directory build
	@bash tests/demo.sh $(BUILD)

# installs what was built: never packages (run make deps, then make, first)
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/zonesync $(DESTDIR)$(PREFIX)/bin/zonesync
	[ ! -f docs/zonesync.1 ] || install -m 0644 docs/zonesync.1 $(DESTDIR)$(PREFIX)/share/man/man1/zonesync.1
	install -d $(DESTDIR)$(PREFIX)/share/zonesync/hooks
	install -m 0755 hooks/pre-commit hooks/pre-push hooks/*.sample $(DESTDIR)$(PREFIX)/share/zonesync/hooks/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed 's|/usr/local/bin/zonesync|$(PREFIX)/bin/zonesync|' docs/examples/zonesync-serve.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/zonesync-serve.service
	chmod 0644 $(DESTDIR)$(PREFIX)/lib/systemd/system/zonesync-serve.service

# docs/providers.md's key tables from the providers' descriptors (check_provider fails when they differ)
provider-docs: $(BUILD)/zonesync
	python3 tests/provider-docs.py $(BUILD)/zonesync

fmt:
	clang-format -i zonesync/*.c zonesync/*.h providers/*.c providers/*.h tests/*.c tests/*.h 2>/dev/null || true

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/zonesync/main.d

$(BUILD)/tests/toml-decoder: tests/toml-decoder.c $(BUILD)/libzonesync.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libzonesync.a $(ALL_LDLIBS) $(SAN_FLAGS)

# valgrind memcheck: the unit tests (in-process) and the zonefile integration test
valgrind: deps test-deps
	$(call install_debs,valgrind)
	@$(MAKE) --no-print-directory run-valgrind

run-valgrind: $(BUILD)/zonesync $(BUILD)/tests/toml-decoder $(TEST_BIN)
	@fail=0; for t in $(TEST_BIN); do \
		echo "== valgrind $$t"; \
		CK_FORK=no ZONESYNC=$(CURDIR)/$(BUILD)/zonesync TOML_DECODER=$(CURDIR)/$(BUILD)/tests/toml-decoder \
			valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
			--suppressions=tests/valgrind.supp $$t || fail=1; \
	done; \
	ZONESYNC=$(CURDIR)/tests/valgrind-zonesync bash tests/integration/zonefile-bind.sh || fail=1; \
	if [ $$fail = 0 ]; then echo "make valgrind: clean"; else echo "make valgrind: FAILED"; fi; exit $$fail

# libFuzzer targets (clang): the TOML parser, zone loading with $INCLUDE, PowerDNS zone
# JSON, DNS response messages. `make fuzz FUZZ_SECONDS=N` replays tests/fuzz/corpus and
# then fuzzes each target for N seconds; new inputs go to build-fuzz/corpus.
FUZZ_DEBS := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 30
FUZZERS := toml zone pdns_json dns
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-I. -Izonesync -Iproviders $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)

fuzz-deps:
	$(call install_debs,$(FUZZ_DEBS))

fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory run-fuzz

build-fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(ALL_LDLIBS)

run-fuzz: $(FUZZERS:%=build-fuzz/fuzz_%)
	@for f in $(FUZZERS); do \
		mkdir -p build-fuzz/corpus/$$f; \
		echo "== fuzz_$$f: replaying tests/fuzz/corpus/$$f, then $(FUZZ_SECONDS) s"; \
		build-fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 build-fuzz/corpus/$$f tests/fuzz/corpus/$$f 2>&1 | \
			grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|INFO: seed corpus|==[0-9]+==ERROR|SUMMARY|Done)' || true; \
		test $${PIPESTATUS[0]} -eq 0 || { echo "fuzz_$$f FAILED"; exit 1; }; \
	done; echo "make fuzz: no crash"
.SECONDARY:
