#!/bin/bash
# lab-cli-lookup.sh - xmpp-dane lookup (and check, against stub servers) on the DNSSEC lab: exit status
# (0 DANE applies, 1 does not apply, 3 bogus/indeterminate, 2 usage) and the
# printed statuses and records, which are read from the lab's expected.txt.
set -u
. "$(dirname "$0")/../lib.sh"
. tests/lab/env.sh
cli="$XDANE_BUILD/xmpp-dane"
exp="$XDANE_LAB_DIR/expected.txt"
n=0
rc=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# check NAME WANT_EXIT ARGS... - run lookup, compare the exit status
check() {
	local name=$1 want=$2; shift 2
	"$cli" "${cli_cmd:-lookup}" "$@" >"$out" 2>&1
	local got=$?
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name: exit $want"
	else
		echo "not ok $n - $name: exit $got, want $want"; sed 's/^/#   /' "$out"; rc=1
	fi
}

# has NAME PATTERN - the last output contains PATTERN (fixed string)
has() {
	n=$((n + 1))
	if grep -qF -- "$2" "$out"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: no '$2' in output"; sed 's/^/#   /' "$out"; rc=1
	fi
}

# lacks NAME PATTERN - the last output does not contain PATTERN
lacks() {
	n=$((n + 1))
	if grep -qF -- "$2" "$out"; then
		echo "not ok $n - $1: unexpected '$2'"; sed 's/^/#   /' "$out"; rc=1
	else
		echo "ok $n - $1"
	fi
}

# rdata NAME TYPE - expected record of NAME from expected.txt
rdata() { awk -v n="$1" -v t="$2" '$1 == n && $2 == t { $1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print; exit }' "$exp"; }

L=(--upstream "$XDANE_UPSTREAM" --trust-anchor "$XDANE_TRUST_ANCHOR" --timeout 2)

check "a.example (secure SRV + TLSA)" 0 a.example "${L[@]}"
has "a.example: SRV secure" "SRV _xmpp-server._tcp.a.example: secure"
has "a.example: SRV target" "0 0 5269 xmpp.a.example"
has "a.example: TLSA secure" "TLSA _5269._tcp.xmpp.a.example: secure"
has "a.example: TLSA record from the lab" "$(rdata _5269._tcp.xmpp.a.example TLSA)"
check "b.example direct TLS" 0 b.example --direct-tls "${L[@]}"
has "b.example direct TLS: xmpps-server SRV and port 5223 TLSA" "TLSA _5223._tcp.xmpp.b.example: secure"
check "ee0.example (DANE-EE 3 0 1)" 0 ee0.example "${L[@]}"
has "F15: 3 0 x records draw a renewal warning" "warning: 3 0 x records pin the whole certificate"
check "a.example again (3 1 1)" 0 a.example "${L[@]}"
lacks "F15: no renewal warning for 3 1 1" "warning: 3 0 x"
check "ta.example (DANE-TA)" 0 ta.example "${L[@]}"
check "cname.example (TLSA through a secure CNAME)" 0 cname.example "${L[@]}"
check "nsec3.example" 0 nsec3.example "${L[@]}"
check "wrong.example (secure, records present)" 0 wrong.example "${L[@]}"
check "nosrv.example (secure no-SRV fallback)" 0 nosrv.example "${L[@]}"
has "nosrv.example: fallback to the domain on 5269" "TLSA _5269._tcp.nosrv.example: secure"
check "multi.example (dead target + secure target)" 0 multi.example "${L[@]}"
has "multi.example: dead target refused" "target xmpp.dead.example:5269: must not be used"
check "multi2.example (badsig target + secure target)" 0 multi2.example "${L[@]}"
has "multi2.example: bogus target refused" "target xmpp.badsig.example:5269: must not be used (TLSA bogus)"

check "insecure.example (insecure SRV)" 1 insecure.example "${L[@]}"
lacks "insecure.example: no TLSA lookup after an insecure SRV" "TLSA _"
check "srvinsecure.example (insecure SRV to a secure host)" 1 srvinsecure.example "${L[@]}"
lacks "srvinsecure.example: no TLSA lookup" "TLSA _"
check "optout.nsec3.example (opt-out: insecure)" 1 optout.nsec3.example "${L[@]}"
check "notlsa.example (secure, no TLSA)" 1 notlsa.example "${L[@]}"
has "notlsa.example: proven absence" "no records: NXDOMAIN"
check "noservice.example (target \".\")" 1 noservice.example "${L[@]}"
has "noservice.example: no service" "no XMPP server-to-server service"
lacks "noservice.example: no TLSA lookup" "TLSA _"
check "cname-insecure.example (TLSA via CNAME into insecure zone)" 1 cname-insecure.example "${L[@]}"
check "a.example direct TLS (securely no xmpps SRV, no TLSA on 5223)" 1 a.example --direct-tls "${L[@]}"

check "bogus.example (broken DS chain)" 3 bogus.example "${L[@]}"
has "bogus.example: SRV bogus" "SRV _xmpp-server._tcp.bogus.example: bogus"
check "badsig.example (corrupted TLSA signature)" 3 badsig.example "${L[@]}"
has "badsig.example: TLSA bogus, records not shown" "TLSA _5269._tcp.xmpp.badsig.example: bogus"
lacks "badsig.example: forged record not printed" "$(rdata _5269._tcp.xmpp.badsig.example TLSA)"
check "expired.example (expired signatures)" 3 expired.example "${L[@]}"
check "refused.example (REFUSED upstream)" 3 refused.example "${L[@]}"
has "refused.example: indeterminate, never absence" "indeterminate"
check "dead.example (never answers)" 3 dead.example --upstream "$XDANE_UPSTREAM" --trust-anchor "$XDANE_TRUST_ANCHOR" --timeout 1

check "usage: no domain" 2 "${L[@]}"
check "usage: bad port" 2 a.example --port 0 "${L[@]}"
check "usage: unknown option" 2 a.example --frobnicate
check "usage: bad upstream" 2 a.example --upstream 127.0.0.1:70000 --trust-anchor "$XDANE_TRUST_ANCHOR"
has "usage: bad upstream named" "bad upstream"
check "usage: unreadable trust anchor" 2 a.example --upstream "$XDANE_UPSTREAM" --trust-anchor /nonexistent/file
has "usage: anchor file named" "/nonexistent/file"
check "usage: invalid domain" 2 "a..example" "${L[@]}"
check "--help" 0 --help

# xmpp-dane check: a live server (a stub: XMPP STARTTLS in Lua/LuaSec, or
# openssl s_server for direct TLS) presenting a chosen certificate
P=$XDANE_PKI
port=$((XDANE_RESOLVER_PORT + 40))
# serve KIND CERT KEY - one connection on 127.0.0.1:$port (KIND starttls|direct)
serve() {
	port=$((port + 1))
	if [ "$1" = starttls ]; then
		timeout 20 lua5.4 tests/lua/resolver_xmpp_stub.lua 127.0.0.1 "$port" "$2" "$3" >/dev/null 2>&1 &
	else
		timeout 20 openssl s_server -quiet -naccept 1 -accept "127.0.0.1:$port" -cert "$2" -key "$3" ${4:+-cert_chain "$4"} </dev/null >/dev/null 2>&1 &
	fi
	# wait until it listens (a connect probe would use up its one connection)
	for _ in $(seq 50); do [ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ] && return 0; sleep 0.1; done
	return 1
}
check_live() { local name=$1 want=$2; shift 2; cli_cmd=check; check "$name" "$want" "$@"; cli_cmd=lookup; }

if lua5.4 -e 'require "ssl"' 2>/dev/null; then
	serve starttls "$P/a.example/self.pem" "$P/a.example/key.pem"
	check_live "check a.example over STARTTLS (DANE-EE match)" 0 a.example "${L[@]}" --connect "127.0.0.1:$port"
	has "check a.example: authenticated by DANE-EE" "authenticated by DANE-EE"
	serve starttls "$P/b.example/self.pem" "$P/b.example/key.pem"
	check_live "check a.example serving b.example's key (mismatch)" 1 a.example "${L[@]}" --connect "127.0.0.1:$port"
	has "check mismatch: not authenticated, no match" "NOT authenticated: no match"
else
	n=$((n + 1)); echo "not ok $n - LuaSec for lua5.4 missing: STARTTLS check not tested"; rc=1
fi
serve direct "$P/b.example/self.pem" "$P/b.example/key.pem"
check_live "check b.example direct TLS (DANE-EE)" 0 b.example --direct-tls "${L[@]}" --connect "127.0.0.1:$port"
serve direct "$P/ta.example/cert.pem" "$P/ta.example/key.pem" "$P/ta.example/chain.pem"
check_live "check ta.example (DANE-TA 2 1 1 on the lab CA, chain sent)" 0 ta.example --port 5269 "${L[@]}" --connect "127.0.0.1:$port" --direct-tls
has "check ta.example: authenticated by DANE-TA at depth 1" "authenticated by DANE-TA record #1 at depth 1"
check_live "check: nothing listening" 1 a.example "${L[@]}" --connect "127.0.0.1:$((port + 500))"
has "check: unreachable reported" "not checked: connect"
check_live "check insecure.example: DANE does not apply, no connection" 1 insecure.example "${L[@]}" --connect 127.0.0.1:9
check_live "check bogus.example: do not connect" 3 bogus.example "${L[@]}" --connect 127.0.0.1:9
check_live "check: usage error" 2 --frobnicate
echo "1..$n"
exit $rc
