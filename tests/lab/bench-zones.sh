#!/bin/bash
# bench-zones.sh - the resolver benchmark's zones: z0000.bench.example ...
# z(N-1).bench.example, each its own signed zone (one fresh ECDSA P-256 CSK
# each, as federation really is: every peer a separate DNSSEC chain), with A,
# xmpp A, SRV and TLSA 3 1 1 of $XDANE_PKI/bench.example/key.pem, delegated
# with DS from a signed bench.example. Called by zones.sh when XDANE_LAB_BENCH=1.
#
#   bench-zones.sh INCEPTION EXPIRATION
#
# Writes zones/bench/*.signed, zones/bench.example.signed, keys/bench.example.ds,
# bench-zones.list ("NAME FILE" lines for nsd.conf) and bench-domains.txt.
set -eu
: "${XDANE_LAB_DIR:?}" "${XDANE_PKI:?}"
L=$XDANE_LAB_DIR
Z=$L/zones
K=$L/keys
count=${XDANE_LAB_BENCH_ZONES:-1000}
inc=$1 exp=$2
mkdir -p "$Z/bench" "$K/bench"
hash=$(openssl pkey -in "$XDANE_PKI/bench.example/key.pem" -pubout -outform DER | sha256sum | cut -c1-64)

# one_zone NAME - write, key, sign. ldns-keygen -k also writes the SHA-256 DS
# (keys/bench/K<name>+013+<tag>.ds). Two processes per zone and no other forks:
# this runs a thousand times.
one_zone() {
	local z=$1 key
	printf '$ORIGIN %s.\n$TTL 300\n@ SOA ns1.example. hostmaster.example. 1 3600 600 86400 60\n@ NS ns1.example.\n@ A 127.0.0.3\nxmpp A 127.0.0.3\n_xmpp-server._tcp SRV 0 0 5269 xmpp.%s.\n_5269._tcp.xmpp TLSA 3 1 1 %s\n' \
		"$z" "$z" "$hash" >"$Z/bench/$z.zone"
	key=$(ldns-keygen -k -a ECDSAP256SHA256 "$z")
	ldns-signzone -i "$inc" -e "$exp" -f "$Z/bench/$z.signed" "$Z/bench/$z.zone" "$key"
}

# worker W J - every J-th zone starting at W, inside keys/bench
worker() {
	local i z
	cd "$K/bench" || exit 1
	for ((i = $1; i < count; i += $2)); do
		printf -v z 'z%04d.bench.example' "$i"
		one_zone "$z"
	done
}

jobs=$(( $(nproc) + 1 ))
pids=""
for ((w = 0; w < jobs; w++)); do worker $w $jobs & pids="$pids $!"; done
for p in $pids; do wait "$p" || { echo "bench-zones.sh: a worker failed" >&2; exit 1; }; done

names=()
for ((i = 0; i < count; i++)); do printf -v z 'z%04d.bench.example' "$i"; names+=("$z"); done
printf '%s\n' "${names[@]}" >"$L/bench-domains.txt"
for z in "${names[@]}"; do printf '%s. bench/%s.signed\n' "$z" "$z"; done >"$L/bench-zones.list"
{
	printf '$ORIGIN bench.example.\n$TTL 300\n@ SOA ns1.example. hostmaster.example. 1 3600 600 86400 60\n@ NS ns1.example.\n'
	for z in "${names[@]}"; do printf '%s. NS ns1.example.\n' "$z"; done
	cat "$K"/bench/K*.ds
} >"$Z/bench.example.zone"
n_ds=$(cat "$K"/bench/K*.ds | grep -c 'IN[[:space:]]*DS[[:space:]]*[0-9]* 13 2 ')
n_signed=$(find "$Z/bench" -name '*.signed' -size +0 | wc -l)
[ "$n_ds" = "$count" ] && [ "$n_signed" = "$count" ] ||
	{ echo "bench-zones.sh: $n_signed signed zones and $n_ds DS for $count zones" >&2; exit 1; }
mkdir -p "$K/bench.example"
ksk=$(cd "$K/bench.example" && ldns-keygen -k -a ECDSAP256SHA256 bench.example)
zsk=$(cd "$K/bench.example" && ldns-keygen -a ECDSAP256SHA256 bench.example)
ldns-signzone -i "$inc" -e "$exp" -f "$Z/bench.example.signed" "$Z/bench.example.zone" \
	"$K/bench.example/$ksk" "$K/bench.example/$zsk"
ldns-key2ds -n -2 "$K/bench.example/$ksk.key" >"$K/bench.example.ds"
