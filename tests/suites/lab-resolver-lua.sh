#!/bin/bash
# lab-resolver-lua.sh - the Lua resolver API against the DNSSEC lab on every
# tested Lua version (miniloop, Lua host tables), and on 5.4 driven by
# Prosody's own net.server_epoll through lua/xdane_prosody_loop.lua.
set -u
. "$(dirname "$0")/../lib.sh"
. tests/lab/env.sh
rc=0
for v in $XDANE_LUA_VERSIONS; do
	echo "# Lua $v: resolver_lab.lua"
	run_lua "$v" tests/lua/resolver_lab.lua | sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1[$v] /" || rc=1
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
done
if [ -f /usr/lib/prosody/net/server_epoll.lua ]; then
	echo "# Lua 5.4: resolver_prosody.lua (net.server_epoll)"
	run_lua 5.4 tests/lua/resolver_prosody.lua | sed 's/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1[prosody] /'
	[ "${PIPESTATUS[0]}" = 0 ] || rc=1
else
	echo "not ok - /usr/lib/prosody/net/server_epoll.lua missing (prosody package)"; rc=1
fi
exit $rc
