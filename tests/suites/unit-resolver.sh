#!/bin/sh
# unit-resolver.sh - resolver without DNS servers: the getdns reply
# classification table over text fixtures, the answer cache, name checks,
# and the Lua binding with refusing/raising host loops (Lua 5.2 and 5.4).
. "$(dirname "$0")/../lib.sh"
rc=0
"$XDANE_BUILD/tests/test_classify" || rc=1
"$XDANE_BUILD/tests/test_resolver_cache" || rc=1
for v in $XDANE_LUA_VERSIONS; do
	echo "# Lua $v: resolver_unit.lua"
	run_lua "$v" tests/lua/resolver_unit.lua || rc=1
done
exit $rc
