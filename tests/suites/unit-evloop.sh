#!/bin/sh
# unit-evloop.sh - the getdns event-loop bridge against a recording fake
# host, and the poll(2) miniloop.
. "$(dirname "$0")/../lib.sh"
"$XDANE_BUILD/tests/test_evloop"
