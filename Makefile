# mod_s2s_auth_dane: native DANE for Prosody s2s.
#
#   make              core library, Lua module for $(LUA_VERSION), CLI
#   make check        install missing Debian packages (as root), build, run every suite
#   make check-asan   the unit and DNS-lab suites again under AddressSanitizer + UBSan
#   make bench        benchmarks with ratios against their named references
#   make install      module, Lua C module and CLI under $(DESTDIR)$(PREFIX)
#
# Source layout: src/*.c is the pure C core (no Lua), src/lua/*.c the Lua
# binding, src/cli/*.c the xmpp-dane command; new files are picked up
# automatically.

LUA_VERSION ?= 5.2
LUA_VERSIONS := 5.1 5.2 5.3 5.4
PKG_CONFIG  ?= pkg-config
CC          ?= cc
B           ?= build
LB          := $(B)/$(LUA_VERSION)

CFLAGS   ?= -O2 -g
LDFLAGS  ?=
MYCFLAGS ?=
WARN     := -std=c99 -Wall -Wextra -pedantic -Wshadow -Wmissing-prototypes

DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags getdns openssl 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs getdns openssl 2>/dev/null)
ALL_CFLAGS   = $(WARN) -D_POSIX_C_SOURCE=200809L -fPIC -Iinclude $(DEPS_CFLAGS) $(CFLAGS) $(MYCFLAGS)

PREFIX       ?= /usr/local
# Prosody finds the module through plugin_paths = { "$(PREFIX)/lib/prosody/modules" };
# the Lua C module sits next to it, one build per Lua version (lib/<version>/xdane.so).
PLUGIN_DIR   ?= $(PREFIX)/lib/prosody/modules/mod_s2s_auth_dane

CORE_SRC := $(wildcard src/*.c)
CORE_OBJ := $(CORE_SRC:src/%.c=$(B)/obj/%.o)
LUA_SRC  := $(wildcard src/lua/*.c)
CLI_SRC  := $(wildcard src/cli/*.c)
CLI_OBJ  := $(CLI_SRC:src/cli/%.c=$(B)/obj/cli/%.o)
TEST_SRC := $(wildcard tests/c/test_*.c)
TEST_BIN := $(TEST_SRC:tests/c/%.c=$(B)/tests/%)
TOOL_SRC := $(wildcard tests/tools/*.c)
TOOL_BIN := $(TOOL_SRC:tests/tools/%.c=$(B)/tools/%)
BENCH_SRC := $(wildcard tests/bench/*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(B)/bench/%)
HEADERS  := $(wildcard include/*.h src/*.h src/lua/*.h src/cli/*.h tests/c/*.h)

LIB  := $(B)/libxdane.a
LMOD := $(LB)/xdane.so
CLI  := $(B)/xmpp-dane

.PHONY: all lua-all check check-asan test deps build-deps bench fuzz install uninstall clean lint
# The 5.4 module is always built too: Debian's Prosody runs on Lua 5.4.
all: build-deps $(LIB) $(LMOD) $(B)/5.4/xdane.so $(CLI) $(TEST_BIN) $(TOOL_BIN) $(BENCH_BIN)

$(B)/obj/%.o: src/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# One Lua C module per Lua version, each with its own objects and headers:
# a module built for one version does not load in another.
define lua_module
$(B)/$(1)/obj/%.o: src/lua/%.c $$(HEADERS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_CFLAGS) $$(shell $$(PKG_CONFIG) --cflags lua$(1)) -Isrc -c -o $$@ $$<

# liblua is never linked: the interpreter that loads the module provides it.
$(B)/$(1)/xdane.so: $$(LUA_SRC:src/lua/%.c=$(B)/$(1)/obj/%.o) $$(LIB)
	$$(CC) -shared $$(CFLAGS) $$(MYCFLAGS) $$(LDFLAGS) -o $$@ $$(filter %.o,$$^) $$(LIB) $$(DEPS_LIBS)
endef
$(foreach v,$(LUA_VERSIONS),$(eval $(call lua_module,$(v))))

$(LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(CLI): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(MYCFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(DEPS_LIBS)

$(B)/tests/%: tests/c/%.c $(LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -Itests/c $(LDFLAGS) -o $@ $< $(LIB) $(DEPS_LIBS)

$(B)/tools/%: tests/tools/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $<

$(B)/bench/%: tests/bench/%.c $(LIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Isrc -Itests/c $(LDFLAGS) -o $@ $< $(LIB) $(DEPS_LIBS)

# Every supported Lua version builds; 5.2 and 5.4 are the ones the tests load.
lua-all: $(LUA_VERSIONS:%=$(B)/%/xdane.so)

build-deps:
	@tests/deps.sh build

deps:
	@tests/deps.sh test

check: deps
	$(MAKE) --no-print-directory all lua-all
	tests/run.sh

check-asan: deps
	$(MAKE) --no-print-directory B=build/asan CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" LDFLAGS="-fsanitize=address,undefined" all lua-all
	XDANE_BUILD=build/asan XDANE_ASAN=1 tests/run.sh unit lab

bench: deps
	$(MAKE) --no-print-directory all lua-all
	tests/bench/run.sh

# Long fuzz runs (clang libFuzzer + ASan/UBSan) over the verifier; CI runs a short smoke.
FUZZ_SECONDS ?= 60
fuzz: deps
	$(MAKE) --no-print-directory -f tests/fuzz/Makefile fuzz FB=$(B)/fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

# Installs the CLI, the Prosody module and every Lua C module built (at least
# $(LUA_VERSION) and 5.4, the version Debian's Prosody runs on).
install: all
	@if command -v lua5.4 >/dev/null; then for f in lua/*.lua; do lua5.4 -e "assert(loadfile('$$f'))" || exit 1; done; fi
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PLUGIN_DIR)
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/xmpp-dane
	install -m 644 lua/*.lua $(DESTDIR)$(PLUGIN_DIR)/
	@for v in $(LUA_VERSIONS); do \
		[ -f $(B)/$$v/xdane.so ] || continue; \
		install -d $(DESTDIR)$(PLUGIN_DIR)/lib/$$v && \
		install -m 755 $(B)/$$v/xdane.so $(DESTDIR)$(PLUGIN_DIR)/lib/$$v/xdane.so || exit 1; \
		echo "installed $(DESTDIR)$(PLUGIN_DIR)/lib/$$v/xdane.so"; \
	done

uninstall:
	rm -rf $(DESTDIR)$(PLUGIN_DIR) $(DESTDIR)$(PREFIX)/bin/xmpp-dane

lint:
	cppcheck --quiet --enable=warning,portability -Iinclude src
	@for f in lua/*.lua tests/lua/*.lua; do lua5.4 -e "assert(loadfile('$$f'))" || exit 1; done

clean:
	rm -rf build
