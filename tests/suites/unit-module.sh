#!/bin/sh
# unit-module.sh - mod_s2s_auth_dane against a fake Prosody module API (no servers).
# Lua 5.4 only: the spec runs Prosody 0.12's own util.async and util.encodings,
# which Debian builds for Prosody's interpreter (lua5.4).
. "$(dirname "$0")/../lib.sh"
if [ ! -f /usr/lib/prosody/util/async.lua ]; then
	echo "not ok 1 - Prosody 0.12 (Debian package prosody) is not installed"
	exit 1
fi
# The module prefers an xdane.so next to it or in ../build; a directory with only the
# Lua files makes it fall through to require "xdane", which the spec fakes.
XDANE_SPEC_MODDIR=$(mktemp -d "${TMPDIR:-/tmp}/xdane-spec.XXXXXX") || exit 2
trap 'rm -rf "$XDANE_SPEC_MODDIR"' EXIT
cp "$XDANE_ROOT"/lua/*.lua "$XDANE_SPEC_MODDIR"/ || exit 2
export XDANE_SPEC_MODDIR XDANE_ROOT
run_lua 5.4 tests/lua/mod_s2s_auth_dane_spec.lua
