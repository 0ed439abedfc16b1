#!/bin/bash
# lab-keycache-forgery.sh - a DNSKEY set that rides along unvalidated in
# getdns' validation chain must never enter the key cache: a.example signed
# again with a foreign key (ldns-signzone), then test_keycache_forgery.
set -u
. "$(dirname "$0")/../lib.sh"
. tests/lab/env.sh
bin="$XDANE_BUILD/tests/test_keycache_forgery"
[ -x "$bin" ] || { echo "not ok 1 - $bin missing (make)"; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
(
	cd "$dir" || exit 1
	key=$(ldns-keygen -k -a ECDSAP256SHA256 a.example) || exit 1
	cat >a.example.zone <<ZONE
a.example. 300 IN SOA ns1.example. hostmaster.example. 1 3600 600 86400 60
a.example. 300 IN NS ns1.example.
_5269._tcp.xmpp.a.example. 300 IN TLSA 3 1 1 0000000000000000000000000000000000000000000000000000000000000000
ZONE
	ldns-signzone -i "$(date -u -d "1 day ago" +%Y%m%d%H%M%S)" -f forged.zone a.example.zone "$key"
) >/dev/null 2>&1 || { echo "not ok 1 - cannot make the forged zone (ldns-keygen, ldns-signzone)"; exit 1; }
"$bin" "$dir/forged.zone"
