#!/bin/bash
# e2e-federation.sh - two real Prosody 0.12 servers with mod_s2s_auth_dane, federating
# through the DNSSEC lab; real messages with go-sendxmpp. One start for all cases:
#   phase 1: every lab domain, both directions at once (A = a.example, B = the rest)
#   phase 2: dane_uses without DANE-TA on A (config reload + module reload, no restart)
# Outcomes are asserted from delivery and from A's and B's debug logs.
. "$(dirname "$0")/../e2e/suite.sh"
E2E_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xdane-e2e-fed.XXXXXX")
export E2E_DIR
echo "# servers in $E2E_DIR"
e2e_up s2s_auth_dane || { echo "not ok 1 - servers start"; exit 1; }
tap 0 "both Prosody servers start with mod_s2s_auth_dane"
expect_log a "DANE enabled: uses DANE-EE,DANE-TA" "A: module loaded with the default dane_uses"

RUN=$$
hosts=""
for entry in $E2E_B_HOSTS; do
	h=${entry%%:*}; b=${entry#*:*:}; [ "$b" = "$entry" ] && b=$h
	if e2e_lab_has "$b"; then hosts="$hosts $h"; else tap 1 "lab zone $b present"; fi
done

# --- phase 1: all domains, both directions in parallel --------------------------
e2e_listen alice@a.example "$E2E_A_ADDR" "$E2E_DIR/in-alice.txt"
for h in $hosts; do e2e_listen "u@$h" "$E2E_B_ADDR" "$E2E_DIR/in-$h.txt"; done
sleep 1.5
for h in $hosts; do
	e2e_send alice@a.example "$E2E_A_ADDR" "u@$h" "out-$h-$RUN" &
	e2e_send "u@$h" "$E2E_B_ADDR" alice@a.example "in-$h-$RUN" &
done
# deliveries that must happen, then a grace period for the refusals (dead DNS needs the timeout)
for h in b.example ta.example ee0.example notlsa.example insecure.example multi.example multi2.example \
	nosrv.example srvinsecure.example cname.example optout.nsec3.example slow.example; do
	e2e_wait_for "$E2E_DIR/in-$h.txt" "out-$h-$RUN" 25
	e2e_wait_for "$E2E_DIR/in-alice.txt" "in-$h-$RUN" 25
done
# the refusals behind a DNS server that never answers take dane_timeout (plus a margin)
e2e_wait_for "$(e2e_log a)" "DANE incoming dead.example: " 15
e2e_wait_for "$(e2e_log a)" "DANE outgoing dead.example: " 15
sleep 1

# DANE-EE 3 1 1, self-signed certificates: authenticated by DANE both ways, SASL EXTERNAL
expect_delivered "$E2E_DIR/in-b.example.txt" "out-b.example-$RUN" "DANE-EE: a.example -> b.example delivered"
expect_delivered "$E2E_DIR/in-alice.txt" "in-b.example-$RUN" "DANE-EE: b.example -> a.example delivered"
expect_log a "DANE outgoing b.example: matched: DANE-EE record 3 1 1 " "DANE-EE outgoing: A logs the matched record"
expect_log a "DANE incoming b.example: matched: DANE-EE record 3 1 1 " "DANE-EE incoming: A logs the matched record"
expect_log b "DANE incoming a.example: matched: DANE-EE" "DANE-EE: B authenticates a.example's self-signed certificate"
expect_log a "SASL EXTERNAL with b.example succeeded" "DANE-EE outgoing: authenticated by SASL EXTERNAL"
expect_log a "Accepting SASL EXTERNAL identity from b.example" "DANE-EE incoming: authenticated by SASL EXTERNAL"
sid=$(e2e_sid a "DANE outgoing b.example: matched")
if e2e_sid_has a "$sid" "dialback key"; then tap 1 "DANE-EE outgoing: no dialback on that session"; else tap 0 "DANE-EE outgoing: no dialback on that session"; fi
# F12 f: b.example publishes _xmpps-server SRV -> direct TLS on 5223, TLSA _5223._tcp
expect_log a "DANE outgoing b.example: matched: .* via xmpp.b.example:5223" "F12f: direct TLS target, TLSA of port 5223"

# DANE-TA 2 1 1 over the lab CA chain
expect_delivered "$E2E_DIR/in-ta.example.txt" "out-ta.example-$RUN" "DANE-TA: a.example -> ta.example delivered"
expect_delivered "$E2E_DIR/in-alice.txt" "in-ta.example-$RUN" "DANE-TA: ta.example -> a.example delivered"
expect_log a "DANE outgoing ta.example: matched: DANE-TA record 2 1 1 .* at depth 1" "DANE-TA outgoing matched at depth 1"
expect_log a "DANE incoming ta.example: matched: DANE-TA record 2 1 1 " "DANE-TA incoming matched"
expect_log a "SASL EXTERNAL with ta.example succeeded" "DANE-TA outgoing: SASL EXTERNAL"
expect_log a "Accepting SASL EXTERNAL identity from ta.example" "DANE-TA incoming: SASL EXTERNAL"

# DANE-EE 3 0 1 (full certificate digest)
expect_delivered "$E2E_DIR/in-ee0.example.txt" "out-ee0.example-$RUN" "DANE-EE 3 0 1: delivered"
expect_log a "DANE outgoing ee0.example: matched: DANE-EE record 3 0 1 " "DANE-EE 3 0 1 outgoing matched"

# wrong TLSA: refused even though the chain is PKIX-valid; the reason is logged and told to the peer
expect_not_delivered "$E2E_DIR/in-wrong.example.txt" "out-wrong.example-$RUN" "mismatch: a.example -> wrong.example not delivered"
expect_not_delivered "$E2E_DIR/in-alice.txt" "in-wrong.example-$RUN" "mismatch: wrong.example -> a.example not delivered"
expect_log a "DANE outgoing wrong.example: mismatch: certificate does not match" "mismatch outgoing logged with its reason"
expect_log a "DANE incoming wrong.example: mismatch: certificate does not match" "mismatch incoming logged with its reason"
expect_log a "DANE outgoing wrong.example: mismatch: certificate does not match any of 1 usable TLSA records \(published: 3 1 1\)" "F14d: the mismatch names the published record kind"
expect_log b "closed by remote with error: not-authorized \(Your server's certificate does not match any DANE TLSA records\)" "F14a: the peer is told it does not match any DANE TLSA records"
expect_no_log a "is now authenticated for wrong.example" "F13c: dialback never authenticates wrong.example"

# F2: secure zone without TLSA -> DANE not applicable, PKIX decides (the chain is lab-CA valid)
expect_delivered "$E2E_DIR/in-notlsa.example.txt" "out-notlsa.example-$RUN" "no TLSA: delivered"
expect_delivered "$E2E_DIR/in-alice.txt" "in-notlsa.example-$RUN" "no TLSA: incoming delivered"
expect_log a "DANE outgoing notlsa.example: no TLSA: " "F2: log says no TLSA (outgoing)"
expect_log a "DANE incoming notlsa.example: no TLSA: " "F2: log says no TLSA (incoming)"
expect_log a "SASL EXTERNAL with notlsa.example succeeded" "F2: PKIX authenticates"

# insecure zone: not applicable, self-signed -> dialback under s2s_secure_auth = false
expect_delivered "$E2E_DIR/in-insecure.example.txt" "out-insecure.example-$RUN" "insecure: delivered"
expect_delivered "$E2E_DIR/in-alice.txt" "in-insecure.example-$RUN" "insecure: incoming delivered"
expect_log a "DANE outgoing insecure.example: insecure: " "insecure outgoing logged as insecure"
expect_log a "DANE incoming insecure.example: insecure: " "insecure incoming logged as insecure"

# bogus zones: refused, never delivered
for h in bogus.example badsig.example expired.example; do
	expect_not_delivered "$E2E_DIR/in-$h.txt" "out-$h-$RUN" "bogus ($h): outgoing not delivered"
	expect_not_delivered "$E2E_DIR/in-alice.txt" "in-$h-$RUN" "bogus ($h): incoming not delivered"
	expect_log a "DANE incoming $h: bogus: " "bogus ($h): incoming refusal logged as bogus"
done
expect_log a "DANE outgoing bogus.example: bogus: .*SRV" "F12c: bogus SRV aborts the outgoing attempt"
expect_log a "DANE outgoing badsig.example: bogus: target xmpp.badsig.example:5269 skipped" "bogus TLSA: target skipped, cause logged"
expect_no_log a "Resolve bogus.example IN A" "F12c: no fallback to the domain's own address records"

# TLS mandatory with TLSA: wrong.b.example (no SRV, fallback TLSA _5269._tcp.wrong.b.example) offers no STARTTLS
expect_not_delivered "$E2E_DIR/in-wrong.b.example.txt" "out-wrong.b.example-$RUN" "F13a: no STARTTLS offered while TLSA exist: not delivered"
expect_log a "DANE outgoing wrong.b.example: no TLS: " "F13a: refused as no TLS"
expect_not_delivered "$E2E_DIR/in-alice.txt" "in-wrong.b.example-$RUN" "F13b: dialback without TLS from a TLSA domain: not delivered"
expect_log a "DANE incoming wrong.b.example: no TLS: " "F13b: refused as no TLS"
expect_log b "policy-violation" "F13: the stream is closed with policy-violation"

# F3: first SRV target's TLSA lookup times out (dead.example) -> that target is not used,
# federation proceeds through the second target with DANE-EE
expect_delivered "$E2E_DIR/in-multi.example.txt" "out-multi.example-$RUN" "F3: delivered through the second SRV target"
expect_log a "DANE outgoing multi.example: lookup error: target xmpp.dead.example:5269 skipped" "F3: the failed target is skipped, the cause logged"
expect_log a "DANE outgoing multi.example: matched: DANE-EE .* via xmpp.multi.example:5269" "F3: DANE-EE on the second target"
expect_log a "DANE incoming multi.example: matched: .*ignored failing TLSA _5269._tcp.xmpp.dead.example indeterminate" "incoming multi.example: matched, failing target named"
# F12e: incoming, t1 matches, t2's TLSA is bogus -> auth on t1 with the failure logged
expect_delivered "$E2E_DIR/in-alice.txt" "in-multi2.example-$RUN" "F12e: multi2.example -> a.example delivered"
expect_log a "DANE incoming multi2.example: matched: .*ignored failing TLSA _5269._tcp.xmpp.badsig.example bogus" "F12e: auth on t1, t2 bogus named in the log"
# F12a: no SRV -> the domain itself on 5269
expect_delivered "$E2E_DIR/in-nosrv.example.txt" "out-nosrv.example-$RUN" "F12a: no SRV: delivered"
expect_log a "DANE outgoing nosrv.example: matched: DANE-EE .* via nosrv.example:5269" "F12a: TLSA _5269._tcp.nosrv.example used"
expect_log a "DANE incoming nosrv.example: matched: DANE-EE" "F12a: incoming from a domain without SRV matched"
# F12b: SRV "." -> no service: outgoing fails cleanly
expect_not_delivered "$E2E_DIR/in-noservice.example.txt" "out-noservice.example-$RUN" "F12b: SRV '.': not delivered"
expect_no_log a "DANE outgoing noservice.example: matched" "F12b: no DANE match through a '.' target"
# F12d: insecure SRV to a target with secure TLSA -> not applicable
expect_delivered "$E2E_DIR/in-srvinsecure.example.txt" "out-srvinsecure.example-$RUN" "F12d: insecure SRV: delivered by the normal policy"
expect_log a "DANE outgoing srvinsecure.example: insecure: " "F12d: not applicable although the target's TLSA would match"
# TLSA through a secure CNAME
expect_delivered "$E2E_DIR/in-cname.example.txt" "out-cname.example-$RUN" "TLSA via CNAME: delivered"
expect_log a "DANE outgoing cname.example: matched: DANE-EE" "TLSA via secure CNAME: matched"
# F2c: NSEC3 opt-out -> insecure, not applicable
expect_delivered "$E2E_DIR/in-optout.nsec3.example.txt" "out-optout.nsec3.example-$RUN" "F2c: opt-out zone: delivered"
expect_log a "DANE outgoing optout.nsec3.example: insecure: " "F2c: opt-out logged as insecure"
# F1b (real servers): DNS answers held back 3 s per query, past the TLS handshake -> the verdict waits
expect_delivered "$E2E_DIR/in-slow.example.txt" "out-slow.example-$RUN" "F1: slow DNS: a.example -> slow.example delivered"
expect_delivered "$E2E_DIR/in-alice.txt" "in-slow.example-$RUN" "F1: slow DNS: slow.example -> a.example delivered"
expect_log a "DANE incoming slow.example: matched: DANE-EE" "F1: incoming verdict waited and matched"
expect_log a "DANE check waiting for DNS of slow.example" "F1: the certificate check waited for DNS"
# DNS that never answers / answers REFUSED -> refused, never delivered
for h in dead.example refused.example; do
	expect_not_delivered "$E2E_DIR/in-$h.txt" "out-$h-$RUN" "lookup failure ($h): outgoing not delivered"
	expect_not_delivered "$E2E_DIR/in-alice.txt" "in-$h-$RUN" "lookup failure ($h): incoming not delivered"
	expect_log a "DANE incoming $h: lookup error: " "lookup failure ($h): incoming refusal logged as lookup error"
	expect_log a "DANE outgoing $h: lookup error: " "lookup failure ($h): outgoing logged as lookup error"
done

# Per-VirtualHost certificates on B: each STARTTLS stream presents its own host's key
for h in b.example multi.example nosrv.example slow.example; do
	d=$(openssl pkey -in "$XDANE_PKI/$h/key.pem" -pubout -outform DER 2>/dev/null | sha256sum | cut -c1-64)
	expect_log a "DANE outgoing $h: matched: DANE-EE record 3 1 1 $d " "B's $h stream presents $h's own key (3 1 1 $(echo "$d" | cut -c1-8)...)"
done

# F14b: one outcome line per session and domain
# (session lines only: a target skipped by the outgoing resolver is logged before any session exists)
sids=$(grep -E "DANE (incoming|outgoing) [a-z.0-9-]+: " "$(e2e_log a)" | awk '{ print $4 }' | cut -f1 | grep '^s2s' | sort | uniq -d)
if [ -z "$sids" ]; then tap 0 "F14b: exactly one DANE outcome line per session"; else tap 1 "F14b: exactly one DANE outcome line per session" "sessions with several: $sids"; fi

# F14c: the admin shell shows the DANE state of live sessions
out=$(e2e_shell a "dane:show()")
echo "$out" | grep -E "b\.example|ta\.example|wrong|OK" | head -6 | cut -c1-200 | sed 's/^/# dane:show() | /'
if echo "$out" | grep -qE "b\.example.*DANE matched: DANE-EE record 3 1 1"; then tap 0 "F14c: dane:show() names the state and matched record"; else tap 1 "F14c: dane:show() names the state and matched record" "$(echo "$out" | head -5)"; fi
out=$(e2e_shell a "s2s:show_dane('b.example')")
if echo "$out" | grep -qE "b\.example.*DANE matched" && ! echo "$out" | grep -q "ta\.example"; then tap 0 "s2s:show_dane(domain) (the old module's command) filters by domain"; else tap 1 "s2s:show_dane(domain) (the old module's command) filters by domain" "$(echo "$out" | head -5)"; fi
out=$(e2e_shell a "dane:stats()")
if echo "$out" | grep -q "checks.refused"; then tap 0 "admin shell: dane:stats()"; else tap 1 "admin shell: dane:stats()" "$out"; fi

expect_alive a "A survives phase 1"
expect_alive b "B survives phase 1"
expect_no_errors a "A: no errors or tracebacks"
expect_no_errors b "B: no errors or tracebacks"

# --- phase 2: a usage left out of dane_uses -> its records unusable -> normal policy
sed -i 's/^use_dane = false$/use_dane = false\ndane_uses = { "DANE-EE" }/' "$E2E_DIR/a/prosody.cfg.lua"
e2e_shell a 'config:reload()' >/dev/null
e2e_shell a 's2s:closeall("a.example")' >/dev/null
e2e_shell a 'module:reload("s2s_auth_dane")' >"$E2E_DIR/reload.txt"
expect_log a "DANE enabled: uses DANE-EE, " "phase 2: module reloaded with dane_uses = DANE-EE"
sleep 0.5
e2e_send alice@a.example "$E2E_A_ADDR" u@ta.example "uses-ta-$RUN"
e2e_wait_for "$E2E_DIR/in-ta.example.txt" "uses-ta-$RUN" 15
expect_delivered "$E2E_DIR/in-ta.example.txt" "uses-ta-$RUN" "DANE-TA left out of dane_uses: delivered by the normal policy"
expect_log a "DANE outgoing ta.example: no usable records: " "DANE-TA left out: logged as no usable records"
expect_count a "SASL EXTERNAL with ta.example succeeded" 2 "DANE-TA left out: PKIX (lab CA) authenticates"

expect_alive a "A survives phase 2"

# --- phase 3 (F16e): an unknown dane_uses name is a load error, never a silent downgrade
sed -i 's/^dane_uses = { "DANE-EE" }$/dane_uses = { "DANE-EE", "BOGUS" }/' "$E2E_DIR/a/prosody.cfg.lua"
e2e_shell a 'config:reload()' >/dev/null
out=$(e2e_shell a 'module:reload("s2s_auth_dane")')
expect_log a "invalid dane_uses: .*BOGUS" "F16e: unknown dane_uses name: clear error at load"
if echo "$out" | grep -q "BOGUS"; then tap 0 "F16e: the admin sees the error"; else tap 1 "F16e: the admin sees the error" "$out"; fi
expect_alive a "A survives a failed module load"
e2e_down
trap - EXIT
[ "$E2E_FAILED" = 0 ]
