#!/bin/sh
# unit-fuzz-smoke.sh - build the libFuzzer targets of tests/fuzz (clang,
# ASan+UBSan), run each about 2 s from its seed corpus, then replay every
# saved reproducer in tests/fuzz/crashes/ (each fails until its bug is fixed).
# Long runs: make -f tests/fuzz/Makefile fuzz FUZZ_SECONDS=600
. "$(dirname "$0")/../lib.sh"
FB="$XDANE_BUILD/fuzz"
if [ "${XDANE_ASAN:-0}" = 1 ]; then
	# The targets are always built with ASan+UBSan: the plain unit run covers it.
	echo "# fuzz smoke: nothing more to do under XDANE_ASAN=1 (targets are sanitized anyway)"
	exit 0
fi
probe=$(mktemp -d "${TMPDIR:-/tmp}/xdane-fuzzprobe.XXXXXX")
trap 'rm -rf "$probe"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$probe/p.c"
if ! clang -fsanitize=fuzzer,address,undefined "$probe/p.c" -o "$probe/p" >"$probe/err" 2>&1; then
	echo "not ok - clang with libFuzzer is needed (Debian package clang):"
	sed 's/^/# /' "$probe/err" | head -5
	exit 1
fi
if ! make --no-print-directory -f tests/fuzz/Makefile FB="$FB" build seeds >"$probe/build.log" 2>&1; then
	echo "not ok - fuzz targets build"
	tail -20 "$probe/build.log" | sed 's/^/# /'
	exit 1
fi
echo "ok - fuzz targets build ($(ls "$FB"/seeds 2>/dev/null | wc -l) seed corpora)"
rc=0
make --no-print-directory -s -f tests/fuzz/Makefile FB="$FB" smoke || rc=1
make --no-print-directory -s -f tests/fuzz/Makefile FB="$FB" repro 2>/dev/null || rc=1
exit $rc
