# zonesync - GNU make build. `make test` and `make demo` install what they need (make deps).

PREFIX ?= /usr/local
DESTDIR ?=
CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libknot libzscanner libgit2 libcurl jansson sqlite3 gnutls

# Debian 12 packages: to build, to test (real servers), to fuzz
BUILD_DEBS := gcc make pkg-config git libknot-dev libgit2-dev libcurl4-openssl-dev \
	libjansson-dev libsqlite3-dev libgnutls28-dev check
TEST_DEBS := bind9 bind9-utils bind9-dnsutils knot knot-dnsutils pdns-server \
	pdns-backend-sqlite3 nsd sqlite3 iproute2 curl python3

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

.PHONY: all deps build test run-tests check-headers bench run-bench install clean fmt demo

all: deps
	@$(MAKE) --no-print-directory build

build: $(BUILD)/zonesync

deps:
	@missing=$$(for p in $(BUILD_DEBS) $(TEST_DEBS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ]; then \
			echo "make deps: missing Debian packages:" $$missing >&2; \
			echo "make deps: run 'sudo make deps' (or install them with apt-get) and try again" >&2; \
			exit 1; \
		fi; \
		echo "make deps: installing" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 \
			install -y -q --no-install-recommends $$missing || exit 1; \
	fi

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

test: deps
	@$(MAKE) --no-print-directory run-tests

# Every unit test binary, then every integration script; all run even when one fails.
run-tests: $(BUILD)/zonesync $(BUILD)/tests/toml-decoder $(TEST_BIN)
	@fail=0; \
	for t in $(TEST_BIN); do \
		echo "== $$t"; \
		ZONESYNC=$(CURDIR)/$(BUILD)/zonesync TOML_DECODER=$(CURDIR)/$(BUILD)/tests/toml-decoder $$t || fail=1; \
	done; \
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

demo: deps
	@$(MAKE) --no-print-directory build
	@bash tests/demo.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/zonesync $(DESTDIR)$(PREFIX)/bin/zonesync
	[ ! -f docs/zonesync.1 ] || install -m 0644 docs/zonesync.1 $(DESTDIR)$(PREFIX)/share/man/man1/zonesync.1
	install -d $(DESTDIR)$(PREFIX)/share/zonesync/hooks
	install -m 0755 hooks/pre-commit hooks/pre-push hooks/*.sample $(DESTDIR)$(PREFIX)/share/zonesync/hooks/

fmt:
	clang-format -i zonesync/*.c zonesync/*.h providers/*.c providers/*.h tests/*.c tests/*.h 2>/dev/null || true

clean:
	rm -rf build build-san

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/zonesync/main.d

$(BUILD)/tests/toml-decoder: tests/toml-decoder.c $(BUILD)/libzonesync.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libzonesync.a $(ALL_LDLIBS) $(SAN_FLAGS)
