#!/bin/sh
# run.sh - run every benchmark (tests/bench/bench-*.sh); each prints its rates
# and the ratio against the reference it names, measured in the same run.
cd "$(dirname "$0")/../.." || exit 2
export XDANE_ROOT="$(pwd)" XDANE_BUILD="${XDANE_BUILD:-build}"
rc=0
for b in tests/bench/bench-*.sh; do
	[ -e "$b" ] || continue
	echo "== $(basename "$b" .sh)"
	"$b" || { echo "benchmark $b failed"; rc=1; }
done
exit $rc
