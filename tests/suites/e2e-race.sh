#!/bin/bash
# e2e-race.sh - F1: DNS slower than the TLS handshake, peers vanishing mid-lookup.
#
# Server A (a.example) runs mod_s2s_auth_dane; the peers are raw s2s clients:
# `openssl s_client -starttls xmpp-server` with slow.example's key (TLS done at once,
# the lab holds every slow.example answer back XDANE_DNS_DELAY_MS), and plain TCP
# streams that name slow.example and hang up while its lookups are in flight.
. "$(dirname "$0")/../e2e/suite.sh"
e2e_lab_has slow.example || { echo "not ok 1 - the lab has no slow.example zone"; exit 1; }
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xdane-e2e-race.XXXXXX")
export E2E_DIR
echo "# server in $E2E_DIR"
# This suite runs the module as `make install` lays it out (the federation suite runs
# it from the source tree), so both ways of finding xdane.so are exercised.
make -s --no-print-directory install DESTDIR="$E2E_DIR/inst" PREFIX=/usr/local B="$XDANE_BUILD" >"$E2E_DIR/install.log" 2>&1
tap $? "make install DESTDIR=... lays out the module"
E2E_PLUGIN_PATH="$E2E_DIR/inst/usr/local/lib/prosody/modules"
e2e_write_configs s2s_auth_dane
e2e_start a "$E2E_A_ADDR" || { echo "not ok 2 - server A starts"; exit 1; }
tap 0 "server A starts with mod_s2s_auth_dane"
expect_log a "DANE enabled: .* module $E2E_PLUGIN_PATH/mod_s2s_auth_dane/lib/5\.4/xdane\.so" "installed layout: xdane.so found in lib/5.4 next to the module"
HDR="<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' from='slow.example' to='a.example' version='1.0'>"
delay_s=$(( (XDANE_DNS_DELAY_MS + 999) / 1000 ))

# tls_peer OUT HOLD - a TLS s2s peer from slow.example; keeps the stream HOLD seconds
tls_peer() {
	(sleep 0.3; printf '%s' "$HDR"; sleep "$2") |
		timeout $((${2%.*} + 5)) openssl s_client -starttls xmpp-server -xmpphost a.example \
			-connect "$E2E_A_ADDR:5269" -cert "$XDANE_PKI/slow.example/self.pem" \
			-key "$XDANE_PKI/slow.example/key.pem" -quiet >"$1" 2>&1
}

# lua_stat EXPR - evaluate a Lua expression in A's admin shell
lua_stat() { e2e_shell a ">$1" | grep -Eo '[0-9]+(\.[0-9]+)?' | head -1; }
stat_of() { e2e_shell a "dane:stats()" | grep -E "^\| ?$1 = |^$1 = |$1 = " | grep -Eo '[0-9]+$' | head -1; }

# --- F1 b + d: two simultaneous TLS peers from one domain, DNS held back past the handshake
hold=$((2 * delay_s + 3))
tls_peer "$E2E_DIR/peer1.txt" $hold &
p1=$!
tls_peer "$E2E_DIR/peer2.txt" $hold &
p2=$!
e2e_wait_for "$(e2e_log a)" "DANE check waiting for DNS of slow.example" 10
expect_log a "DANE check waiting for DNS of slow.example" "F1b: the certificate check waits for DNS answered after the handshake"
expect_no_log a "DANE incoming slow.example: " "F1b: no verdict while the answers are pending"
wait $p1 $p2
expect_count a "DANE incoming slow.example: matched: DANE-EE" 2 "F1d: both simultaneous sessions matched after the wait"
for p in 1 2; do
	if grep -q "<mechanism>EXTERNAL</mechanism>" "$E2E_DIR/peer$p.txt"; then tap 0 "F1b: peer $p offered SASL EXTERNAL (authenticated by DANE)"
	else tap 1 "F1b: peer $p offered SASL EXTERNAL (authenticated by DANE)" "$(head -c 300 "$E2E_DIR/peer$p.txt")"; fi
done

# --- F1 a: DNS answers arrive before the (deliberately late) TLS handshake: the lookups
# started at the plaintext stream features are done when the certificate is checked
n0=$(grep -c "DANE check waiting for DNS of slow.example" "$(e2e_log a)")
lua5.4 tests/e2e/s2s_peer.lua "$E2E_A_ADDR" 5269 slow.example a.example $((2 * delay_s + 2)) \
	"$XDANE_PKI/slow.example/self.pem" "$XDANE_PKI/slow.example/key.pem" >"$E2E_DIR/peer-early.txt" 2>&1
tap $? "F1a: raw peer completes STARTTLS after the DNS answers (exit status)"
if grep -q "<mechanism>EXTERNAL</mechanism>" "$E2E_DIR/peer-early.txt"; then tap 0 "F1a: authenticated by DANE (SASL EXTERNAL offered)"
else tap 1 "F1a: authenticated by DANE (SASL EXTERNAL offered)" "$(tail -c 300 "$E2E_DIR/peer-early.txt")"; fi
expect_count a "DANE incoming slow.example: matched: DANE-EE" 3 "F1a: third slow.example session matched"
n1=$(grep -c "DANE check waiting for DNS of slow.example" "$(e2e_log a)")
[ "$n0" = "$n1" ]; tap $? "F1a: the check did not have to wait (answers already in)"

# --- F1 c: TLS peers that hang up while their lookups are pending
gone=""
for i in 1 2 3 4 5 6; do tls_peer "$E2E_DIR/gone$i.txt" 0.5 & gone="$gone $!"; done
wait $gone
expect_no_log a "DANE incoming slow.example: (mismatch|lookup error|bogus)" "F1c: no verdict taken for vanished TLS peers"

# --- F1 c in a loop: plain streams that name slow.example and hang up mid-lookup
# (explicit pids: a bare `wait` would also wait for the Prosody job)
plain_round() {
	local i=0 pids=""
	while [ $i -lt "$1" ]; do
		( exec 3<>"/dev/tcp/$E2E_A_ADDR/5269" && printf '%s' "$HDR" >&3 && read -r -t 1 -N 200 _ <&3; exec 3>&- ) 2>/dev/null &
		pids="$pids $!"
		i=$((i + 1))
		[ $((i % 25)) = 0 ] && { wait $pids; pids=""; }
	done
	[ -n "$pids" ] && wait $pids
}
plain_round 100
sleep $((delay_s * 2 + 1))
lua_stat "collectgarbage('collect')" >/dev/null
heap1=$(lua_stat "collectgarbage('count')")
plain_round 400
sleep $((delay_s * 2 + 1))
lua_stat "collectgarbage('collect')" >/dev/null
heap2=$(lua_stat "collectgarbage('count')")
echo "# with the module: Lua heap ${heap1} KiB -> ${heap2} KiB after 400 more vanished peers"
expect_alive a "F1c: A survives 500 peers vanishing mid-lookup"
stats=$(e2e_shell a "dane:stats()")
echo "$stats" | grep -E "in_flight|tracked|cancelled" | sed 's/^/# /'
tracked=$(echo "$stats" | grep -Eo 'sessions.tracked = [0-9]+' | grep -Eo '[0-9]+$')
inflight=$(echo "$stats" | grep -Eo 'resolver.in_flight = [0-9]+' | grep -Eo '[0-9]+$')
cancelled=$(echo "$stats" | grep -Eo 'checks.cancelled = [0-9]+' | grep -Eo '[0-9]+$')
[ "${tracked:-x}" = 0 ]; tap $? "F1c: no session state left behind (sessions.tracked = ${tracked:-?})"
[ "${inflight:-x}" = 0 ]; tap $? "F1c: lookups in flight back to 0 (${inflight:-?})"
[ "${cancelled:-0}" -ge 100 ] 2>/dev/null; tap $? "F1c: pending lookups were cancelled (${cancelled:-?})"
expect_no_errors a "F1c: no errors or tracebacks"
expect_no_log a "late_write|destroyed session.*DANE" "F1c: nothing written to retired sessions"

# Leak reference: Prosody itself keeps a few KiB per closed s2s session (seen without
# any module of ours), so the same rounds run again on A without the module.
e2e_stop a
mv "$(e2e_log a)" "$E2E_DIR/a/debug-with-module.log"
e2e_write_configs
e2e_start a "$E2E_A_ADDR" || tap 1 "A restarts without the module"
plain_round 100
lua_stat "collectgarbage('collect')" >/dev/null
base1=$(lua_stat "collectgarbage('count')")
plain_round 400
lua_stat "collectgarbage('collect')" >/dev/null
base2=$(lua_stat "collectgarbage('count')")
echo "# reference without the module: Lua heap ${base1} KiB -> ${base2} KiB"
awk -v a="${heap1:-0}" -v b="${heap2:-999999}" -v c="${base1:-0}" -v d="${base2:-0}" 'BEGIN { exit !((b - a) - (d - c) < 512) }'
tap $? "F1c: no leak: Lua heap growth over 400 vanished peers within 512 KiB of Prosody's own (module $(awk -v a="${heap1:-0}" -v b="${heap2:-0}" 'BEGIN { printf "%.0f", b - a }') KiB, reference $(awk -v c="${base1:-0}" -v d="${base2:-0}" 'BEGIN { printf "%.0f", d - c }') KiB)"

e2e_down
trap - EXIT
rm -rf "$E2E_DIR/inst"
[ "$E2E_FAILED" = 0 ]
