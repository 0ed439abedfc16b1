# suite.sh - common start of every e2e suite (sourced): helpers, lab variables,
# Prosody teardown on exit, and the Lua 5.4 module Debian's Prosody loads.
set -u
. "$(dirname "$0")/../lib.sh"
. tests/lab/env.sh
. tests/e2e/lib.sh
. tests/e2e/assert.sh
trap '[ -n "${E2E_DIR:-}" ] && e2e_down' EXIT

if [ ! -f "$XDANE_ROOT/$XDANE_BUILD/5.4/xdane.so" ]; then
	echo "not ok 1 - $XDANE_BUILD/5.4/xdane.so missing (make lua-all)"; exit 1
fi
