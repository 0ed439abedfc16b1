#!/bin/sh
# unit-lua-verify.sh - Lua specs of records and the verifier on each tested
# Lua version: once with LuaSec certificate objects (lsec_checkx509 path), once
# without LuaSec loaded (the cert:pem() fallback must be reported).
. "$(dirname "$0")/../lib.sh"
certs=$(mktemp -d "${TMPDIR:-/tmp}/xdane-lcerts.XXXXXX")
trap 'rm -rf "$certs"' EXIT
tests/certs/gen.sh "$certs" || { echo "not ok - tests/certs/gen.sh failed"; exit 1; }
rc=0
for v in $XDANE_LUA_VERSIONS; do
	if ! "lua$v" -e 'require "ssl"' 2>/dev/null; then
		echo "not ok - LuaSec (lua-sec) is not installed for Lua $v"
		rc=1
		continue
	fi
	for mode in luasec fallback; do
		echo "# Lua $v, $mode"
		run_lua "$v" tests/lua/verify_spec.lua "$certs" "$mode" >"$certs/out" 2>&1
		st=$?
		sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1[$v $mode] /" "$certs/out"
		if [ $st != 0 ]; then
			echo "not ok - Lua $v $mode: spec exited with status $st"
			rc=1
		fi
	done
done
exit $rc
