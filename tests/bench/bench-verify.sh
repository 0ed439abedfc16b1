#!/bin/sh
# bench-verify.sh - DANE verification rates and ratios against the reference,
# OpenSSL's own minimal offline DANE verification of the same decoded
# certificates (SSL_new + SSL_dane_enable + SSL_dane_tlsa_add +
# X509_verify_cert), measured in this run:
#   xdane C core   (bench_verify.c)
#   Prosody path   (LuaSec certificate objects through the Lua module, lua5.4)
# Cases: "3 1 1" self-signed EC leaf; "2 1 1" root of a 3-cert RSA-2048 chain.
cd "$(dirname "$0")/../.." || exit 2
B=${XDANE_BUILD:-build}
SECS=${XDANE_BENCH_SECONDS:-1.5}
certs=$(mktemp -d "${TMPDIR:-/tmp}/xdane-bcerts.XXXXXX")
trap 'rm -rf "$certs"' EXIT
tests/certs/gen.sh "$certs" || exit 1
out="$certs/rates"
# C, Lua, C again: rates are CPU-time based, and the two C runs are averaged
# so that drift on a shared machine does not favour either side.
"$B/bench/bench_verify" "$certs" "$SECS" >"$out" || exit 1
LUA_CPATH="$B/5.4/?.so;;" lua5.4 tests/bench/bench_verify.lua "$certs" "$SECS" >>"$out" || exit 1
"$B/bench/bench_verify" "$certs" "$SECS" >>"$out" || exit 1
awk '
{ sum[$1] += $2; cnt[$1]++; rate[$1] = sum[$1] / cnt[$1] }
END {
	printf "%-12s %-38s %14s %8s\n", "case", "path", "verif/s", "ratio"
	n = split("ee_ec_311 ta_rsa3_211", cs, " ")
	for (i = 1; i <= n; i++) {
		c = cs[i]; ref = rate[c "_reference"]
		printf "%-12s %-38s %14.0f %8s\n", c, "reference: OpenSSL minimal DANE loop", ref, "1.00"
		printf "%-12s %-38s %14.0f %8.2f\n", c, "xdane_verify (C core)", rate[c "_xdane"], rate[c "_xdane"] / ref
		printf "%-12s %-38s %14.0f %8.2f\n", c, "Prosody path (LuaSec objects, lua5.4)", rate[c "_lua"], rate[c "_lua"] / ref
	}
}' "$out"
