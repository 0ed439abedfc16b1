#!/bin/bash
# lab-resolver-c.sh - the C resolver API against the DNSSEC lab: every status
# of expected.txt, cache/TTL, coalescing, cancel, destroy in flight, refusing
# host, 1000 concurrent lookups; then again under valgrind (smaller burst)
# with zero leaks and zero errors.
set -u
. "$(dirname "$0")/../lib.sh"
. tests/lab/env.sh
bin="$XDANE_BUILD/tests/test_resolver_lab"
[ -x "$bin" ] || { echo "not ok 1 - $bin missing (make)"; exit 1; }
rc=0
"$bin" || rc=1
if [ "${XDANE_ASAN:-0}" != 1 ] && command -v valgrind >/dev/null; then
	log=$(mktemp)
	echo "# again under valgrind (XDANE_TEST_BURST=40, timeouts x4, no slow.example, no key-cache-off pass)"
	XDANE_TEST_BURST=40 XDANE_TEST_TIMEOUT_SCALE=4 valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --error-exitcode=9 "$bin" >"$log.out" 2>"$log"
	vrc=$?
	# TAP lines of the valgrind run are not counted twice: only its verdict is
	grep '^not ok' "$log.out" | sed 's/^not ok [0-9]* - /# under valgrind: /'
	if [ "$vrc" = 0 ] && [ ! -s "$log" ]; then
		echo "ok - valgrind: no leak, no memory error, every assertion held"
	else
		echo "not ok - valgrind: status $vrc"; sed 's/^/#   /' "$log" | head -40; rc=1
	fi
	rm -f "$log" "$log.out"
else
	echo "ok - valgrind run skipped under ASan (LeakSanitizer covers it) # SKIP"
fi
exit $rc
