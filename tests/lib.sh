# lib.sh - shared helpers for suite scripts (sourced).
# XDANE_ROOT and XDANE_BUILD are set by tests/run.sh; defaults allow running a suite alone.
XDANE_ROOT="${XDANE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}"
XDANE_BUILD="${XDANE_BUILD:-build}"
cd "$XDANE_ROOT" || exit 2
# Lua versions the Lua suites run on: the default build and Prosody's.
XDANE_LUA_VERSIONS="${XDANE_LUA_VERSIONS:-5.2 5.4}"

# run_lua VERSION ARGS... - run luaVERSION with the build's module on cpath.
# Under XDANE_ASAN=1 the sanitizer runtimes are preloaded, because the stock
# interpreter is not instrumented and ASan must come first.
run_lua() {
	v=$1; shift
	if [ "${XDANE_ASAN:-0}" = 1 ]; then
		LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)" \
		ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
		LUA_CPATH="$XDANE_ROOT/$XDANE_BUILD/$v/?.so;;" LUA_PATH="$XDANE_ROOT/tests/lua/?.lua;$XDANE_ROOT/lua/?.lua;;" \
		"lua$v" "$@"
	else
		LUA_CPATH="$XDANE_ROOT/$XDANE_BUILD/$v/?.so;;" LUA_PATH="$XDANE_ROOT/tests/lua/?.lua;$XDANE_ROOT/lua/?.lua;;" \
		"lua$v" "$@"
	fi
}
