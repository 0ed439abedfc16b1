#!/bin/bash
# bench-s2s.sh - s2s connection establishment between two real Prosody 0.12 servers,
# with mod_s2s_auth_dane on both vs the same pair without it, in the same run.
#
# Reference: the pair without the module. Both pairs use lab-CA certificates trusted by
# both sides, so both authenticate by SASL EXTERNAL (PKIX without the module, DANE-EE
# with it): the same protocol flow, the difference is the module's DNS and matching.
# Time: Prosody's own "Session ... established (Ns)" from `xmpp:ping` in the admin
# shell (from the route to the established event), median of the runs.
#   cached:   b.example (TTL 300), the s2s session closed between runs
#   uncached: ttl.example (TTL 2), after waiting out the TTL, so every DNS cache
#             (the module's, Prosody's lua-unbound and the lab resolver) is cold
set -u
cd "$(dirname "$0")/../.." || exit 2
export XDANE_ROOT=$(pwd) XDANE_BUILD=${XDANE_BUILD:-build}
. tests/lab/env.sh
. tests/e2e/lib.sh
N_CACHED=${N_CACHED:-15}     # per round and configuration
N_UNCACHED=${N_UNCACHED:-4}
ROUNDS=${ROUNDS:-2}           # configurations alternate, so load drift hits both alike
OUT=$(mktemp -d "${TMPDIR:-/tmp}/xdane-bench-s2s-out.XXXXXX")
lab_started=0
cleanup() {
	[ -n "${E2E_DIR:-}" ] && e2e_down
	[ "$lab_started" = 1 ] && tests/lab/lab.sh stop >/dev/null 2>&1
	rm -rf "$OUT"
}
trap cleanup EXIT
if ! tests/lab/lab.sh status >/dev/null 2>&1; then
	tests/lab/lab.sh start >/dev/null || { echo "bench-s2s: lab failed to start"; exit 1; }
	lab_started=1
fi
E2E_B_HOSTS="b.example:chain ttl.example:chain"
# Nagle off on both sides (both configurations): otherwise a 40 ms delayed-ACK stall
# in the stream negotiation dominates and buries millisecond differences in noise.
E2E_A_EXTRA="network_settings = { nagle = false }"
E2E_B_EXTRA="network_settings = { nagle = false }"

# minimum FILE - smallest number in FILE (least disturbed by other load on the machine)
minimum() { sort -n "$1" | head -1; }
# median FILE - median of the numbers in FILE
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# establish REMOTE - seconds until a.example -> REMOTE is established, from a fresh session
establish() {
	e2e_shell a 's2s:closeall("a.example")' >/dev/null
	e2e_shell b "s2s:closeall(\"$1\")" >/dev/null
	sleep 0.2
	e2e_shell a "xmpp:ping(\"a.example\", \"$1\")" |
		grep -E "\(a\.example-->$1\) established" | head -1 |
		grep -Eo '\(([0-9.e-]+)s\)' | tr -d '(s)'
}

# run_pair LABEL [MODULE] - measure both cases for one configuration
run_pair() {
	local label=$1 i t
	shift
	E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xdane-bench-s2s.XXXXXX")
	export E2E_DIR
	e2e_write_configs "$@"
	# a.example with its lab-CA certificate, so that PKIX works without the module
	sed -i "s|$XDANE_PKI/a.example/self.pem|$XDANE_PKI/a.example/chain.pem|" "$E2E_DIR/a/prosody.cfg.lua"
	e2e_start a "$E2E_A_ADDR" && e2e_start b "$E2E_B_ADDR" || { echo "bench-s2s: servers failed to start ($label)"; exit 1; }
	establish b.example >/dev/null # warm-up: module load, first TLS contexts
	for i in $(seq "$N_CACHED"); do
		t=$(establish b.example); [ -n "$t" ] && echo "$t" >>"$OUT/$label-cached.txt"
	done
	for i in $(seq "$N_UNCACHED"); do
		sleep 2.6
		t=$(establish ttl.example); [ -n "$t" ] && echo "$t" >>"$OUT/$label-uncached.txt"
	done
	if [ "$label" = with ] && ! grep -q "DANE outgoing b.example: matched" "$E2E_DIR/a/debug.log"; then
		echo "bench-s2s: the module did not authenticate b.example by DANE; see $E2E_DIR"; exit 1
	fi
	if ! grep -q "SASL EXTERNAL with b.example succeeded" "$E2E_DIR/a/debug.log"; then
		echo "bench-s2s: $label: not authenticated by SASL EXTERNAL; see $E2E_DIR"; exit 1
	fi
	e2e_down
	rm -rf "$E2E_DIR"
	E2E_DIR=""
}

for r in $(seq "$ROUNDS"); do
	run_pair without
	run_pair with s2s_auth_dane
done
for label in without with; do
	eval "${label}_cached=\$(median \"\$OUT/$label-cached.txt\")"
	eval "${label}_uncached=\$(median \"\$OUT/$label-uncached.txt\")"
	eval "${label}_n=\"\$(wc -l <\"\$OUT/$label-cached.txt\")/\$(wc -l <\"\$OUT/$label-uncached.txt\")\""
	eval "${label}_cached_min=\$(minimum \"\$OUT/$label-cached.txt\")"
	eval "${label}_uncached_min=\$(minimum \"\$OUT/$label-uncached.txt\")"
done
awk -v wc="$without_cached" -v dc="$with_cached" -v wu="$without_uncached" -v du="$with_uncached" \
	-v mwc="$without_cached_min" -v mdc="$with_cached_min" -v mwu="$without_uncached_min" -v mdu="$with_uncached_min" \
	-v nw="$without_n" -v nd="$with_n" 'BEGIN {
	printf "s2s establishment a.example -> B (cached/uncached runs: without %s, with %s, alternating)\n", nw, nd
	printf "  reference: the same pair without mod_s2s_auth_dane (PKIX + SASL EXTERNAL)\n"
	printf "  cached DNS   median: without %7.2f ms  with %7.2f ms  added %+6.2f ms  ratio %.2f   (target added <= 1 ms)\n", wc * 1000, dc * 1000, (dc - wc) * 1000, dc / wc
	printf "               minimum: without %7.2f ms  with %7.2f ms  added %+6.2f ms\n", mwc * 1000, mdc * 1000, (mdc - mwc) * 1000
	printf "  uncached DNS median: without %7.2f ms  with %7.2f ms  added %+6.2f ms  ratio %.2f   (target added <= 5 ms)\n", wu * 1000, du * 1000, (du - wu) * 1000, du / wu
	printf "               minimum: without %7.2f ms  with %7.2f ms  added %+6.2f ms\n", mwu * 1000, mdu * 1000, (mdu - mwu) * 1000
}'
