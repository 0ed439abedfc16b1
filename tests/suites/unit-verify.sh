#!/bin/sh
# unit-verify.sh - C tests of TLSA records and the DANE verifier, over
# certificates generated now by tests/certs/gen.sh.
. "$(dirname "$0")/../lib.sh"
certs=$(mktemp -d "${TMPDIR:-/tmp}/xdane-certs.XXXXXX")
trap 'rm -rf "$certs"' EXIT
tests/certs/gen.sh "$certs" || { echo "not ok - tests/certs/gen.sh failed"; exit 1; }
rc=0
"$XDANE_BUILD/tests/test_tlsa" || rc=1
"$XDANE_BUILD/tests/test_verify" "$certs" || rc=1
exit $rc
