#!/bin/sh
# unit-verify.sh - C tests of TLSA records and the DANE verifier, over
# certificates generated now by tests/certs/gen.sh.
# XDANE_VALGRIND=1 runs them under valgrind memcheck as well (slower).
. "$(dirname "$0")/../lib.sh"
certs=$(mktemp -d "${TMPDIR:-/tmp}/xdane-certs.XXXXXX")
trap 'rm -rf "$certs"' EXIT
tests/certs/gen.sh "$certs" || { echo "not ok - tests/certs/gen.sh failed"; exit 1; }
rc=0
"$XDANE_BUILD/tests/test_tlsa" || rc=1
"$XDANE_BUILD/tests/test_verify" "$certs" || rc=1
if [ "${XDANE_VALGRIND:-0}" = 1 ]; then
	for t in "test_tlsa" "test_verify $certs"; do
		if valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
			$XDANE_BUILD/tests/$t >"$certs/vg.out" 2>"$certs/vg.err"; then
			echo "ok - valgrind: $t clean"
		else
			echo "not ok - valgrind: $t"; sed 's/^/# /' "$certs/vg.err" | head -30; rc=1
		fi
	done
fi
exit $rc
