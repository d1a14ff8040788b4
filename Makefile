# zonesync - GNU make build. `make deps` installs the build packages, `make test-deps` the
# servers the tests start; `make test` and `make demo` run both themselves, `make check`
# (unit tests only, seconds) only the first; `make` and `make install` never install packages.
SHELL := /bin/bash

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libknot libzscanner libgit2 libcurl jansson sqlite3 gnutls libmicrohttpd libxml-2.0

# Debian 12 packages: to build, to test (real servers), to fuzz
BUILD_DEBS := gcc make pkg-config git libknot-dev libgit2-dev libcurl4-openssl-dev libxml2-dev \
	libjansson-dev libsqlite3-dev libgnutls28-dev libmicrohttpd-dev check
TEST_DEBS := bind9 bind9-utils bind9-dnsutils knot knot-dnsutils pdns-server \
	pdns-backend-sqlite3 nsd sqlite3 iproute2 curl openssl python3 python3-prometheus-client chromium \
	python3-yaml unzip

ifeq ($(SANITIZE),1)
BUILD := build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# tests/lsan.supp: third-party leaks only (libgit2's fetch), each with its reason
export LSAN_OPTIONS := suppressions=$(CURDIR)/tests/lsan.supp print_suppressions=0
else ifeq ($(SANITIZE),thread)
# ThreadSanitizer: `make SANITIZE=thread test` runs the unit tests and the integration
# scripts that apply and verify in parallel (TSAN_SCRIPTS); any report fails the run.
# tests/tsan.supp may hold suppressions for third-party libraries only, each with its reason.
BUILD := build-tsan
SAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
export TSAN_OPTIONS := halt_on_error=1 exitcode=66 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp
export CK_TIMEOUT_MULTIPLIER := 20
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

.PHONY: deb run-deb deb-test provider-docs all deps test-deps check run-check build test run-tests check-headers bench run-bench install clean fmt demo fuzz fuzz-long fuzz-deps run-fuzz run-fuzz-long valgrind run-valgrind

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
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(ALL_LDLIBS) $(SAN_FLAGS)

$(BUILD)/tests/%: tests/%.c tests/testutil.h $(BUILD)/libzonesync.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(BUILD)/libzonesync.a $(ALL_LDLIBS) $(CHECK_LIBS) $(SAN_FLAGS)

# check_http compiles and runs the worked example of docs/writing-a-provider.md
$(BUILD)/tests/check_http: docs/examples/provider-textzone.c

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

# Every unit test binary, then every integration script (under TSan: TSAN_SCRIPTS, the
# ones that run providers, zones and servers side by side); all run even when one fails.
TSAN_SCRIPTS := tests/integration/multi.sh tests/integration/secondary.sh tests/integration/shard.sh \
	tests/integration/serve.sh tests/integration/multi-cloud.sh tests/integration/powerdns.sh \
	tests/integration/concurrency.sh tests/integration/ns1.sh tests/integration/route53.sh \
	tests/integration/gcloud.sh tests/integration/azure.sh tests/integration/cloudflare.sh \
	tests/integration/dyn.sh
INTEGRATION := $(if $(filter thread,$(SANITIZE)),$(TSAN_SCRIPTS),$(wildcard tests/integration/*.sh))
run-tests: $(BUILD)/zonesync $(BUILD)/tests/toml-decoder $(TEST_BIN)
	@fail=0; \
	$(MAKE) --no-print-directory run-check || fail=1; \
	for t in $(INTEGRATION); do \
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

# installs what was built: never packages (run make deps, then make, first). The layout
# follows PREFIX: hooks in DATADIR/hooks (zonesync hooks install finds them beside
# PREFIX/bin/zonesync), docs and examples in DOCDIR, systemd units pointing at PREFIX/bin.
DATADIR ?= $(PREFIX)/share/zonesync
DOCDIR ?= $(PREFIX)/share/doc/zonesync
MANDIR ?= $(PREFIX)/share/man
SYSTEMDDIR ?= $(PREFIX)/lib/systemd/system
UNITS := zonesync-serve.service zonesync-reconcile.service zonesync-reconcile.timer
DOCS := README.md docs/configuration.md docs/lint.md docs/plan-format.md docs/providers.md \
	docs/writing-a-provider.md
EXAMPLES := zonesync.toml.example docs/examples/github-actions.yml docs/examples/gitlab-ci.yml \
	docs/examples/zonesync-reconcile.cron
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(DATADIR)/hooks \
		$(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(SYSTEMDDIR)
	install -m 0755 $(BUILD)/zonesync $(DESTDIR)$(PREFIX)/bin/zonesync
	install -m 0644 docs/zonesync.1 $(DESTDIR)$(MANDIR)/man1/zonesync.1
	install -m 0755 hooks/pre-commit hooks/pre-push hooks/*.sample $(DESTDIR)$(DATADIR)/hooks/
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	for u in $(UNITS); do \
		sed 's|/usr/local/bin/zonesync|$(PREFIX)/bin/zonesync|g' docs/examples/$$u > $(DESTDIR)$(SYSTEMDDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(SYSTEMDDIR)/$$u || exit 1; \
	done

# A Debian package (debhelper, from Debian's own packages: DEB_DEBS) in build/deb/:
# make install's layout with PREFIX=/usr. `make deb-test` unpacks it and runs what it holds.
DEB_DEBS := debhelper dpkg-dev fakeroot lintian man-db
deb: deps
	$(call install_debs,$(DEB_DEBS))
	@$(MAKE) --no-print-directory run-deb

run-deb:
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z | xargs -0 cp --parents -t build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	lintian --fail-on error build/deb/zonesync_*.deb
	@ls build/deb/*.deb

deb-test: deb
	bash tests/deb-test.sh build/deb/zonesync_*_$$(dpkg --print-architecture).deb

# docs/providers.md's key tables from the providers' descriptors (check_provider fails when they differ)
provider-docs: $(BUILD)/zonesync
	python3 tests/provider-docs.py $(BUILD)/zonesync

fmt:
	clang-format -i zonesync/*.c zonesync/*.h providers/*.c providers/*.h tests/*.c tests/*.h 2>/dev/null || true

clean:
	rm -rf build build-san build-tsan build-fuzz

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

# libFuzzer targets (clang), one per kind of untrusted input: the TOML parser, the
# configuration's semantic layer, zone loading with $INCLUDE (the input under two names),
# zone files with the files they include ($INCLUDE/$ORIGIN/$TTL), PowerDNS, Cloudflare and
# Dyn JSON, DNS answers, whole (TSIG-signed) zone transfers, UPDATE answers, saved plans,
# and any rdata (the text zonesync writes for it must read back to the same octets).
# `make fuzz FUZZ_SECONDS=N` replays tests/fuzz/corpus and then fuzzes each target for N
# seconds (CI: 20); `make fuzz-long FUZZ_SECONDS=N` (default 600) does the same at the
# lowest priority and reports execs, execs/s and coverage per target. New inputs go to
# build-fuzz/corpus (ignored): copy the interesting ones to tests/fuzz/corpus.
FUZZ_DEBS := clang libclang-rt-14-dev
FUZZ_SECONDS ?= 30
FUZZERS := toml config zone zone_files pdns_json cloudflare_json dyn_json dns axfr update planfile rdata
FUZZ_CFLAGS = -std=gnu11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-I. -Izonesync -Iproviders $(shell $(PKG_CONFIG) --cflags $(PKGS))
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)
FUZZ_FLAGS := -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1

fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory run-fuzz

fuzz-long: deps fuzz-deps
	@$(MAKE) --no-print-directory run-fuzz-long FUZZ_SECONDS=$(if $(filter command line,$(origin FUZZ_SECONDS)),$(FUZZ_SECONDS),600)

build-fuzz/obj/%.o: %.c
	@mkdir -p $(@D)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(ALL_LDLIBS)

run-fuzz: $(FUZZERS:%=build-fuzz/fuzz_%)
	@for f in $(FUZZERS); do \
		mkdir -p build-fuzz/corpus/$$f build-fuzz/artifacts; \
		echo "== fuzz_$$f: replaying tests/fuzz/corpus/$$f, then $(FUZZ_SECONDS) s"; \
		build-fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) -artifact_prefix=build-fuzz/artifacts/$$f- \
			build-fuzz/corpus/$$f tests/fuzz/corpus/$$f 2>&1 | \
			grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb|INFO: seed corpus|==[0-9]+==ERROR|SUMMARY|Done)' || true; \
		test $${PIPESTATUS[0]} -eq 0 || { echo "fuzz_$$f FAILED (the input is in build-fuzz/artifacts/)"; exit 1; }; \
	done; echo "make fuzz: no crash"

# One target after another at nice 19 (a shared machine); the last line of each is the
# table row: target, execs, execs/s, coverage (edges) and features, new units, peak RSS.
run-fuzz-long: $(FUZZERS:%=build-fuzz/fuzz_%)
	@fail=0; for f in $(FUZZERS); do \
		mkdir -p build-fuzz/corpus/$$f build-fuzz/artifacts; \
		log=build-fuzz/fuzz_$$f.log; \
		echo "== fuzz_$$f: $(FUZZ_SECONDS) s (log: $$log)"; \
		nice -n 19 build-fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) $(FUZZ_FLAGS) \
			-artifact_prefix=build-fuzz/artifacts/$$f- build-fuzz/corpus/$$f tests/fuzz/corpus/$$f >$$log 2>&1 || \
			{ echo "fuzz_$$f FAILED (the input is in build-fuzz/artifacts/)"; fail=1; }; \
		awk -v f=$$f '/ cov: /{for(i=1;i<=NF;i++){if($$i=="cov:")c=$$(i+1);if($$i=="ft:")t=$$(i+1)}} \
			/^stat::number_of_executed_units/{e=$$2} /^stat::average_exec_per_sec/{s=$$2} \
			/^stat::new_units_added/{u=$$2} /^stat::peak_rss_mb/{r=$$2} \
			END{printf "fuzz_%s: %s execs, %s execs/s, cov %s, ft %s, %s new units, %s MB peak RSS\n",f,e,s,c,t,u,r}' $$log; \
	done; exit $$fail
.SECONDARY:
