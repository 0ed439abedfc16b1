#!/bin/sh
# run.sh - run the test suites and print "N passed, N failed" as the last line.
#
#   tests/run.sh [GROUP...]   groups: unit lab e2e (default: all)
#
# A suite is an executable tests/suites/<group>-<name>.sh printing TAP lines
# ("ok ..." / "not ok ..."). A suite that exits nonzero without reporting a
# failure counts as one failure, so a crash is never a pass. The DNSSEC lab is
# started once before the first lab or e2e suite and always stopped.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
export XDANE_ROOT="$ROOT"
export XDANE_BUILD="${XDANE_BUILD:-build}"
groups="${*:-unit lab e2e}"
out=$(mktemp -d "${TMPDIR:-/tmp}/xdane-run.XXXXXX")
passed=0
failed=0
lab_started=0

# stop_lab - stop the lab; a lab that does not stop cleanly (leftover
# daemons) is a failure like any other.
stop_lab() {
	if [ "$lab_started" = 1 ]; then
		lab_started=0
		if ! tests/lab/lab.sh stop >"$out/lab-stop.log" 2>&1; then
			echo "not ok - DNSSEC lab did not stop cleanly:"; sed 's/^/#   /' "$out/lab-stop.log" | tail -10
			failed=$((failed + 1))
		fi
	fi
}
trap 'stop_lab' EXIT
trap 'exit 130' INT TERM

for group in $groups; do
	for suite in tests/suites/"$group"-*.sh; do
		[ -e "$suite" ] || continue
		if [ "$group" != unit ] && [ "$lab_started" = 0 ]; then
			echo "# starting DNSSEC lab"
			if tests/lab/lab.sh start >"$out/lab-start.log" 2>&1; then
				lab_started=1
			else
				lab_started=1
				echo "not ok - DNSSEC lab failed to start:"; sed 's/^/#   /' "$out/lab-start.log" | tail -20
				failed=$((failed + 1))
			fi
			. tests/lab/env.sh
		fi
		name=$(basename "$suite" .sh)
		echo "# suite $name"
		log="$out/$name.log"
		start=$(date +%s)
		"$suite" >"$log" 2>&1
		rc=$?
		# A skipped test is not a pass: "ok ... # SKIP" lines are reported apart.
		p=$(grep -a '^ok ' "$log" | grep -vc '# SKIP')
		s=$(grep -a '^ok ' "$log" | grep -c '# SKIP')
		f=$(grep -ac '^not ok ' "$log")
		grep -aE '^(not ok |# )|# SKIP' "$log" | head -40
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			echo "not ok - $name exited with status $rc without reporting a failure; last lines:"
			tail -15 "$log" | sed 's/^/#   /'
			f=1
		fi
		echo "# $name: $p passed, $f failed, $s skipped ($(($(date +%s) - start)) s)"
		passed=$((passed + p))
		failed=$((failed + f))
	done
done
stop_lab
# Keep the logs of a failing run only.
if [ "$failed" = 0 ]; then rm -rf "$out"; else echo "# logs in $out"; fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
