#!/bin/bash
# unit-nsec3-denial.sh - a parent's NSEC3 chain must not deny names below its
# delegations: z.test (NSEC3, no opt-out) signed with ldns-signzone, then
# test_nsec3_denial; signed again with 2500 and 2501 iterations (the cap);
# the root zone signed with NSEC3 the same way.
set -u
. "$(dirname "$0")/../lib.sh"
bin="$XDANE_BUILD/tests/test_nsec3_denial"
[ -x "$bin" ] || { echo "not ok 1 - $bin missing (make)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(
	cd "$dir" || exit 1
	key=$(ldns-keygen -k -a ECDSAP256SHA256 z.test) || exit 1
	cat >z.test.zone <<ZONE
\$ORIGIN z.test.
\$TTL 300
@ SOA ns1.example. hostmaster.example. 1 3600 600 86400 60
@ NS ns1.example.
@ A 127.0.0.3
www A 127.0.0.3
child NS ns1.example.
child DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000
plain NS ns1.example.
c\\.d NS ns1.example.
\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001\\001 NS ns1.example.
ZONE
	root=$(ldns-keygen -k -a ECDSAP256SHA256 .) || exit 1
	cat >root.zone <<ZONE
\$ORIGIN .
\$TTL 300
@ SOA ns1.example. hostmaster.example. 1 3600 600 86400 60
@ NS ns1.example.
child NS ns1.example.
child DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000
plain NS ns1.example.
ZONE
	ldns-signzone -n -t 0 -o . -i "$(date -u -d "1 day ago" +%Y%m%d%H%M%S)" -f root.signed root.zone "$root" || exit 1
	for t in 0 2500 2501; do
		ldns-signzone -n -t $t -i "$(date -u -d "1 day ago" +%Y%m%d%H%M%S)" -f z.test.$t z.test.zone "$key" || exit 1
	done
) >/dev/null 2>&1 || { echo "not ok 1 - cannot make the NSEC3 zones (ldns-keygen, ldns-signzone)"; exit 1; }
rc=0
echo "# NSEC3 iterations 0"
"$bin" "$dir/z.test.0" || rc=1
echo "# NSEC3 iterations 2500 (the most that is hashed) and 2501"
"$bin" "$dir/z.test.2500" proven || rc=1
"$bin" "$dir/z.test.2501" unproven || rc=1
echo "# the root zone signed with NSEC3"
"$bin" "$dir/root.signed" root || rc=1
exit $rc
