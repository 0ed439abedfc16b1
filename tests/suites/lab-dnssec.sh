#!/bin/bash
# lab-dnssec.sh - the DNSSEC lab answers as designed (TAP).
#
# Every line of $XDANE_LAB_DIR/expected.txt is checked twice: with getdns as a
# validating stub (the way the product resolves) and with kdig through the lab
# unbound (AD flag, rcode, records). Then the parts a broken lab would hide:
# TLSA values recomputed from the PKI, the root anchor against the served
# root DNSKEY, the misbehaving servers asked directly (the delay is real, dead
# never answers, refuse answers REFUSED), loopback-only sockets, and lab.sh's
# handling of busy ports and repeated stops. A broken lab then shows up here,
# not as mysterious failures in other suites.
. "$(dirname "$0")/../lib.sh"
. tests/lab/env.sh
. tests/lab/dnscheck.sh
L=$XDANE_LAB_DIR
A=$XDANE_DNS_ADDR
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lab-dnssec.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0

# ok COND-STATUS NAME [DIAG] - print one TAP line from the status of the last check
tap() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		[ -n "${3:-}" ] && echo "# $3"
		failed=$((failed + 1))
	fi
}

# has_item LIST ITEM - LIST is ";"-separated; true if ITEM is one of them
has_item() { case ";$1;" in *";$2;"*) return 0 ;; esac; return 1; }

# check_getdns NAME TYPE STATUS DETAIL - getdns classifies the name as expected
check_getdns() {
	local got want="$3 $4"
	got=$(getdns_status "$1" "$2")
	# "noanswer": the server never answers, so a client may see a timeout or
	# unbound's SERVFAIL, depending on who gives up first.
	[ "$4" = noanswer ] && [ "$got" = "indeterminate servfail" ] && got="$want"
	[ "$got" = "$want" ] && echo PASS || echo "FAIL got '$got'"
}

# check_kdig NAME TYPE STATUS DETAIL [RDATA;...] - unbound answers as expected
check_kdig() {
	local name=$1 type=$2 status=$3 detail=$4 rdata=${5:-} ans head rd rc flags want_rc item cd
	ans=$(kdig_answer "$name" "$type")
	head=${ans%%|*} rd=${ans#*|} rc=${head%% *} flags=" ${head#* } "
	case $detail in
	records | nodata) want_rc=NOERROR ;;
	nxdomain) want_rc=NXDOMAIN ;;
	*) want_rc=SERVFAIL ;;
	esac
	case $status in
	secure | insecure)
		[ "$rc" = "$want_rc" ] || { echo "FAIL rcode $rc, want $want_rc ($ans)"; return; }
		case $flags in *" ad "*) [ "$status" = secure ] || { echo "FAIL AD set on insecure data"; return; } ;;
		*) [ "$status" = insecure ] || { echo "FAIL AD not set ($ans)"; return; } ;;
		esac
		if [ "$detail" = records ]; then
			[ -n "$rd" ] || { echo "FAIL no $type records ($ans)"; return; }
		else
			[ -z "$rd" ] || { echo "FAIL unexpected $type records ($ans)"; return; }
		fi
		;;
	bogus)
		[ "$rc" = SERVFAIL ] || { echo "FAIL bogus data not refused: $ans"; return; }
		# With CD the data is there: the failure is validation, not absence.
		cd=$(kdig_answer "$name" "$type" +cd)
		if [ "$detail" = records ]; then
			[ -n "${cd#*|}" ] || { echo "FAIL no records even with +cd ($cd)"; return; }
			rd=${cd#*|}
		fi
		;;
	indeterminate)
		if [ "$detail" = noanswer ]; then
			[ "$rc" = SERVFAIL ] || [ "$rc" = TIMEOUT ] || { echo "FAIL $ans"; return; }
		else
			[ "$rc" = "$want_rc" ] || { echo "FAIL rcode $rc, want $want_rc"; return; }
		fi
		;;
	esac
	if [ -n "$rdata" ]; then
		local IFS=';'
		for item in $(echo "$rdata" | tr a-z A-Z); do
			has_item "$rd" "$item" || { echo "FAIL record '$item' missing in '$rd'"; return; }
		done
	fi
	echo PASS
}

# wait_except PIDS - wait for every background job not in PIDS
wait_except() {
	local p
	for p in $(jobs -p); do
		case " $1 " in *" $p "*) ;; *) wait "$p" ;; esac
	done
}

# run_checks - every expected.txt line, both ways, a few at a time (slow and
# dead names wait seconds each); results land in $tmp/NNNN.{g,k}
run_checks() {
	local i=0 name type status detail rdata waiting="$probes"
	while read -r name type status detail rdata; do
		case $name in '#'* | '') continue ;; esac
		i=$((i + 1))
		printf '%s %s %s %s\n' "$name" "$type" "$status" "$detail" >"$tmp/$(printf %04d $i).q"
		check_getdns "$name" "$type" "$status" "$detail" >"$tmp/$(printf %04d $i).g" &
		check_kdig "$name" "$type" "$status" "$detail" "$rdata" >"$tmp/$(printf %04d $i).k" &
		# Names that only wait run alongside; the rest in batches of eight.
		case $name in *slow.example | *dead.example) waiting="$waiting $(jobs -p | tail -2)" ;; esac
		[ $((i % 8)) = 0 ] && wait_except "$waiting"
	done <"$L/expected.txt"
	wait
}

# -- the servers run ------------------------------------------------------
tests/lab/lab.sh status >"$tmp/status" 2>&1
tap $? "lab.sh status: every lab server runs" "$(tr '\n' ' ' <"$tmp/status")"
if [ ! -s "$L/expected.txt" ]; then
	tap 1 "expected.txt exists in $L (is the lab started? tests/lab/lab.sh start)"
	echo "1..$n"
	exit 1
fi
lines=$(grep -vc '^#' "$L/expected.txt")
[ "$lines" -ge 60 ]
tap $? "expected.txt lists the lab's names ($lines entries)"

# -- probes that wait (delay, silence) run meanwhile, on names nothing else asks
ms() { echo $(( $(date +%s%N) / 1000000 )); }
# probe_delay OUT PROTO PORT NAME TYPE - an answer comes, and not before the delay
probe_delay() {
	local t0 out dt
	t0=$(ms)
	out=$(kdig +time=$((XDANE_DNS_DELAY_MS / 1000 + 3)) +retry=0 "$2" "@$A" -p "$3" "$4" "$5" 2>&1)
	dt=$(( $(ms) - t0 ))
	if echo "$out" | grep -q 'status: ' && [ $dt -ge $((XDANE_DNS_DELAY_MS - 50)) ]; then
		echo PASS
	else
		echo "FAIL after $dt ms: $(echo "$out" | grep -m1 -E 'status|timeout|ERROR')"
	fi >"$1"
}
# probe_dead OUT PROTO - no answer within 2 s
probe_dead() {
	if kdig +time=2 +retry=0 "$2" "@$A" -p "$XDANE_DEAD_PORT" xmpp.dead.example A 2>&1 | grep -q 'status:'; then
		echo "FAIL it answered"
	else
		echo PASS
	fi >"$1"
}
probe_delay "$tmp/p.udp" +notcp "$XDANE_DELAY_PORT" udp-probe.slow.example A &
probe_delay "$tmp/p.tcp" +tcp "$XDANE_DELAY_PORT" tcp-probe.slow.example A &
probe_delay "$tmp/p.res" +notcp "$XDANE_RESOLVER_PORT" _xmpp-client._tcp.slow.example SRV &
probe_dead "$tmp/p.dead-udp" +notcp &
probe_dead "$tmp/p.dead-tcp" +tcp &
probes=$(jobs -p | tr '\n' ' ')

# -- every expected status, through getdns and through unbound ------------
run_checks
wait
for q in "$tmp"/*.q; do
	desc=$(cat "$q")
	g=$(cat "${q%.q}.g")
	k=$(cat "${q%.q}.k")
	[ "$g" = PASS ]; tap $? "getdns: $desc" "$g"
	[ "$k" = PASS ]; tap $? "unbound: $desc" "$k"
done

# -- TLSA values recomputed here from the PKI files -----------------------
spki() { openssl pkey -in "$1" -pubout -outform DER | sha256sum | cut -c1-64 | tr a-f A-F; }
tlsa_is() { # NAME WANT-RDATA
	local rd
	rd=$(kdig_answer "$1" TLSA); rd=${rd#*|}
	[ "$rd" = "$2" ]; tap $? "TLSA $1 is computed from the PKI" "got '$rd', want '$2'"
}
tlsa_is _5269._tcp.xmpp.a.example "3 1 1 $(spki "$XDANE_PKI/a.example/key.pem")"
tlsa_is _5269._tcp.a.example "3 1 1 $(spki "$XDANE_PKI/a.example/key.pem")"
tlsa_is _5223._tcp.xmpp.b.example "3 1 1 $(spki "$XDANE_PKI/b.example/key.pem")"
tlsa_is _5269._tcp.xmpp.ta.example "2 1 1 $(openssl x509 -in "$XDANE_PKI/ca.pem" -pubkey -noout |
	openssl pkey -pubin -outform DER | sha256sum | cut -c1-64 | tr a-f A-F)"
tlsa_is _5269._tcp.xmpp.ee0.example "3 0 1 $(openssl x509 -in "$XDANE_PKI/ee0.example/cert.pem" -outform DER |
	sha256sum | cut -c1-64 | tr a-f A-F)"

# -- PKI -------------------------------------------------------------------
pki_ok=0
for d in a.example b.example ta.example ee0.example; do
	p=$XDANE_PKI/$d
	openssl verify -CAfile "$XDANE_PKI/ca.pem" "$p/cert.pem" >/dev/null 2>&1 || { pki_ok=1; echo "# $d: cert.pem not issued by ca.pem"; }
	openssl verify -CAfile "$XDANE_PKI/ca.pem" "$p/self.pem" >/dev/null 2>&1 && { pki_ok=1; echo "# $d: self.pem verifies against the CA"; }
	[ "$(openssl x509 -in "$p/self.pem" -pubkey -noout)" = "$(openssl x509 -in "$p/cert.pem" -pubkey -noout)" ] ||
		{ pki_ok=1; echo "# $d: self.pem and cert.pem differ in key"; }
	[ "$(grep -c 'BEGIN CERT' "$p/chain.pem")" = 2 ] || { pki_ok=1; echo "# $d: chain.pem is not leaf + CA"; }
	openssl x509 -in "$p/cert.pem" -noout -ext subjectAltName 2>/dev/null | grep -q "DNS:$d, DNS:xmpp.$d, DNS:\*.$d" ||
		{ pki_ok=1; echo "# $d: SANs"; }
done
tap $pki_ok "PKI: CA-issued and self-signed certificates on one key, chains, SANs"
openssl verify -CAfile "$XDANE_PKI/other-ca.pem" "$XDANE_PKI/a.example/cert.pem" >/dev/null 2>&1
[ $? != 0 ]; tap $? "PKI: other-ca.pem trusts nothing of the lab"

# -- trust anchor and broken chains ---------------------------------------
kdig +time=2 +retry=0 "@$A" -p "$XDANE_NSD_PORT" +norec . DNSKEY | awk '!/^;/ && $4 == "DNSKEY" && $5 == 257' >"$tmp/root.key"
served=$(ldns-key2ds -n -2 "$tmp/root.key" 2>/dev/null | awk '{ print tolower($NF) }')
anchor=$(awk '!/^;/ && $4 == "DS" { print tolower($NF) }' "$XDANE_TRUST_ANCHOR")
[ -n "$served" ] && [ "$served" = "$anchor" ]
tap $? "root.ds is the DS of the root KSK NSD serves" "served '$served', anchor '$anchor'"
ds_tag=$(kdig +time=2 +retry=0 "@$A" -p "$XDANE_NSD_PORT" +norec bogus.example DS | awk '!/^;/ && $4 == "DS" { print $5 }')
keys=$(kdig +time=2 +retry=0 "@$A" -p "$XDANE_NSD_PORT" +norec bogus.example DNSKEY | grep -c 'DNSKEY.*257 3 13')
tags=$(kdig +time=2 +retry=0 "@$A" -p "$XDANE_NSD_PORT" +norec +dnssec bogus.example DNSKEY | awk '!/^;/ && $4 == "RRSIG" { print $11 }')
[ -n "$ds_tag" ] && [ "$keys" -ge 1 ] && ! echo "$tags" | grep -qx "$ds_tag"
tap $? "bogus.example: the DS in example. names a key that signs nothing there" "DS tag $ds_tag, signer tags: $(echo $tags)"
exp=$(kdig +time=2 +retry=0 "@$A" -p "$XDANE_NSD_PORT" +norec +dnssec _5269._tcp.xmpp.expired.example TLSA | awk '!/^;/ && $4 == "RRSIG" { print $9 }')
case $exp in 2020*) r=0 ;; *) r=1 ;; esac
tap $r "expired.example: signatures expired in 2020" "expiration '$exp'"
ttl=$(kdig +time=2 +retry=0 "@$A" -p "$XDANE_NSD_PORT" +norec _xmpp-server._tcp.ttl.example SRV | awk '!/^;/ && $4 == "SRV" { print $2 }')
[ "$ttl" = 2 ]; tap $? "ttl.example: SRV TTL is 2 s" "TTL '$ttl'"

# -- the misbehaving servers, asked directly -------------------------------
for f in udp tcp res dead-udp dead-tcp; do
	[ "$(cat "$tmp/p.$f")" = PASS ]
	r=$?
	case $f in
	udp | tcp) d="delay proxy (+$f) answers after XDANE_DNS_DELAY_MS=$XDANE_DNS_DELAY_MS ms" ;;
	res) d="unbound answers for slow.example late (TTL 0: no cache)" ;;
	dead-*) d="dead server (+${f#dead-}) never answers" ;;
	esac
	tap $r "$d" "$(cat "$tmp/p.$f")"
done
t0=$(ms)
kdig +time=3 +retry=0 "@$A" -p "$XDANE_DELAY_PORT" slow.example DNSKEY 2>&1 | grep -q 'status: NOERROR'
r=$?; dt=$(( $(ms) - t0 ))
[ $r = 0 ] && [ $dt -lt $((XDANE_DNS_DELAY_MS / 2)) ]
tap $? "delay proxy passes DNSKEY queries without delay" "took $dt ms"
for proto in +notcp +tcp; do
	out=$(kdig +time=2 +retry=0 "$proto" "@$A" -p "$XDANE_REFUSE_PORT" xmpp.refused.example A 2>&1)
	echo "$out" | grep -q 'status: REFUSED' && echo "$out" | grep -q '^;; xmpp.refused.example.[[:space:]]*IN[[:space:]]*A'
	tap $? "refusing server ($proto) answers REFUSED, echoing the question"
done
"$XDANE_BUILD/tools/dnsproxy" -m bogus -l "$A" -p 1 >/dev/null 2>&1
[ $? = 2 ]; tap $? "dnsproxy rejects a bad mode with usage status 2"

# -- loopback only ----------------------------------------------------------
pids=$(cat "$L"/*.pid 2>/dev/null | tr -dc '0-9\n' | tr '\n' '|')
outside=$(ss -Hlntup 2>/dev/null | grep -E "pid=(${pids%|})," | awk '{ print $5 }' | grep -v '^127\.')
[ -n "$pids" ] && [ -z "$outside" ]
tap $? "every lab socket is on 127.0.0.0/8" "outside: $outside"

# -- lab.sh robustness -------------------------------------------------------
out=$(XDANE_LAB_DIR="$tmp/other" XDANE_NSD_PORT="$XDANE_RESOLVER_PORT" tests/lab/lab.sh start 2>&1)
r=$?
[ $r != 0 ] && echo "$out" | grep -q "port $XDANE_RESOLVER_PORT" && [ ! -e "$tmp/other/nsd.pid" ]
tap $? "lab.sh start refuses a busy port and names it" "$out"
tests/lab/lab.sh status >/dev/null 2>&1
tap $? "the running lab is untouched by that attempt"
XDANE_LAB_DIR="$tmp/none" tests/lab/lab.sh stop >/dev/null 2>&1 && XDANE_LAB_DIR="$tmp/none" tests/lab/lab.sh stop >/dev/null 2>&1
tap $? "lab.sh stop where nothing runs succeeds, twice"

echo "1..$n"
[ $failed = 0 ]
