#!/bin/sh
# unit-cli-verify.sh - xmpp-dane verify / tlsa against certificates generated
# now; record digests are compared with the openssl CLI's (gen.sh .tlsa files).
. "$(dirname "$0")/../lib.sh"
X="$XDANE_ROOT/$XDANE_BUILD/xmpp-dane"
C=$(mktemp -d "${TMPDIR:-/tmp}/xdane-cli.XXXXXX")
trap 'rm -rf "$C"' EXIT
tests/certs/gen.sh "$C" || { echo "not ok - tests/certs/gen.sh failed"; exit 1; }
n=0 failed=0
ok() { # ok COND-EXIT-STATUS NAME
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
# run ARGS... - run xmpp-dane; stdout in $out, stderr in $err, status in $rc
run() { "$X" "$@" >"$C/out" 2>"$C/err"; rc=$?; out=$(cat "$C/out"); err=$(cat "$C/err"); }
ref() { sed -n "s/^$2 $3 //p" "$C/$1.tlsa"; } # ref CERT SELECTOR MTYPE
first() { printf '%s\n' "$out" | head -1; }
# expect RC FIRSTLINE NAME - exit status and exact first line of stdout
expect() { [ "$rc" = "$1" ] && [ "$(first)" = "$2" ]; r=$?; ok $r "$3"; [ $r = 0 ] || echo "# rc=$rc out: $(first) err: $err"; }

cat "$C/leaf.pem" "$C/int.pem" >"$C/chain2.pem"
{ echo "subject=leaf"; cat "$C/leaf.pem"; echo "some text"; cat "$C/int.pem"; echo trailing; cat "$C/root.pem"; } >"$C/chain3.pem"

# --- help and usage errors ---
run verify --help; [ $rc = 0 ] && printf '%s' "$out" | grep -q -- '--chain FILE'; ok $? "verify --help"
run tlsa --help; [ $rc = 0 ] && printf '%s' "$out" | grep -q -- '--cert FILE'; ok $? "tlsa --help"
run verify --chain "$C/chain2.pem" --tlsa "3 1 1 $(ref leaf 1 1)"; [ $rc = 2 ] && [ -n "$err" ]; ok $? "verify without --name: usage error"
run verify --chain "$C/chain2.pem" --name example.net; [ $rc = 2 ]; ok $? "verify without --tlsa: usage error"
run verify --chain "$C/chain2.pem" --name example.net --tlsa "3 1 1 xyz"; [ $rc = 2 ] && printf '%s' "$err" | grep -q malformed; ok $? "malformed --tlsa: usage error with message"
run verify --chain "$C/chain2.pem" --name example.net --tlsa "3 1"; [ $rc = 2 ]; ok $? "truncated --tlsa: usage error"
run verify --chain "$C/chain2.pem" --name example.net --uses BOGUS --tlsa "3 1 1 $(ref leaf 1 1)"; [ $rc = 2 ] && printf '%s' "$err" | grep -q BOGUS; ok $? "--uses BOGUS names the bad usage"
run verify --chain "$C/nonexistent.pem" --name example.net --tlsa "3 1 1 $(ref leaf 1 1)"; [ $rc = 2 ] && printf '%s' "$err" | grep -q "cannot read"; ok $? "unreadable chain file"
head -c 3000 /dev/urandom >"$C/garbage.pem"
run verify --chain "$C/garbage.pem" --name example.net --tlsa "3 1 1 $(ref leaf 1 1)"; [ $rc = 2 ] && [ -n "$err" ]; ok $? "garbage chain file: clear error"
sed '3s/^./#/' "$C/leaf.pem" >"$C/corrupt.pem"
run verify --chain "$C/corrupt.pem" --name example.net --tlsa "3 1 1 $(ref leaf 1 1)"; [ $rc = 2 ]; ok $? "corrupt PEM block: clear error"
run verify --chain "$C/chain2.pem" --trust "$C/nonexistent.pem" --name example.net --tlsa "3 1 1 $(ref leaf 1 1)"; [ $rc = 2 ]; ok $? "unreadable --trust file"
run verify --frobnicate; [ $rc = 2 ]; ok $? "unknown option"
run tlsa; [ $rc = 2 ]; ok $? "tlsa without --cert"
run tlsa --cert "$C/garbage.pem"; [ $rc = 2 ]; ok $? "tlsa on a garbage file"
run tlsa --cert "$C/leaf.pem" --usage 4; [ $rc = 2 ]; ok $? "tlsa --usage 4"
run tlsa --cert "$C/leaf.pem" --usage 2; [ $rc = 1 ]; ok $? "tlsa --usage 2 without a CA certificate"

# --- verify verdicts ---
R=$(ref leaf 1 1)
run verify --chain "$C/chain2.pem" --name example.net --tlsa "3 1 1 $R"
expect 0 "authenticated usage=DANE-EE depth=0 record=\"3 1 1 $R\"" "DANE-EE authenticated"
U=$(ref leaf 1 1 | tr a-f A-F | sed 's/\(........\)/\1 /g')
run verify --chain "$C/chain2.pem" --name example.net --tlsa "3 1 1 $U"
expect 0 "authenticated usage=DANE-EE depth=0 record=\"3 1 1 $R\"" "uppercase hex with spaces (F10a)"
RI=$(ref int 1 1)
run verify --chain "$C/chain3.pem" --name example.net --name xmpp.example.net --tlsa "3 1 1 $(ref leaf-other 1 1)" --tlsa "2 1 1 $RI"
expect 0 "authenticated usage=DANE-TA depth=1 record=\"2 1 1 $RI\"" "DANE-TA with text around PEM blocks, EE alternative ignored"
RR=$(ref root 0 1)
run verify --chain "$C/chain3.pem" --name xmpp.example.net --tlsa "2 0 1 $RR"
expect 0 "authenticated usage=DANE-TA depth=2 record=\"2 0 1 $RR\"" "DANE-TA at the root"
cat "$C/leaf-expired.pem" "$C/int.pem" >"$C/expired.pem"
run verify --chain "$C/expired.pem" --name example.net --tlsa "2 1 1 $RI"
expect 1 "rejected: chain invalid" "expired leaf under DANE-TA"
run verify --chain "$C/expired.pem" --name example.net --tlsa "3 1 1 $(ref leaf-expired 1 1)"
expect 0 "authenticated usage=DANE-EE depth=0 record=\"3 1 1 $(ref leaf-expired 1 1)\"" "expired leaf under DANE-EE"
run verify --chain "$C/chain2.pem" --name other.example --tlsa "2 1 1 $RI"
expect 1 "rejected: name mismatch" "wrong name under DANE-TA"
run verify --chain "$C/chain2.pem" --name example.net --tlsa "3 1 1 $(ref leaf-other 1 1)"
expect 1 "rejected: no match" "non-matching DANE-EE"
run verify --chain "$C/chain2.pem" --name example.net --tlsa "1 1 1 $R"
expect 1 "rejected: no usable records" "PKIX-EE under the default uses"
run verify --chain "$C/chain2.pem" --name example.net --tlsa "3 1 2 $R"
expect 1 "rejected: no usable records" "SHA2-512 record with 32 bytes"
printf '%s' "$out" | grep -q "^record 1 (3 1 2) unusable: digest length$"; ok $? "unusable record: the reason is printed (digest length)"
run verify --chain "$C/chain2.pem" --name example.net --tlsa "_5269._tcp.xmpp.example.net. IN TLSA 3 1 1 $R"
expect 0 "authenticated usage=DANE-EE depth=0 record=\"3 1 1 $R\"" "a zone line as printed by tlsa --name is accepted"
run verify --chain "$C/chain2.pem" --name "" --tlsa "3 1 1 $R"; [ $rc = 2 ] && printf '%s' "$err" | grep -q "must not be empty"; ok $? "empty --name: usage error"
run verify --chain "$C/chain2.pem" --trust "$C/trust.pem" --uses PKIX-CA --name example.net --tlsa "0 1 1 $RI"
expect 0 "authenticated usage=PKIX-TA depth=1 record=\"0 1 1 $RI\"" "--uses PKIX-CA enables PKIX-TA"
run verify --chain "$C/chain2.pem" --trust "$C/trust.pem" --uses PKIX-EE --name example.net --tlsa "1 1 1 $R"
expect 0 "authenticated usage=PKIX-EE depth=0 record=\"1 1 1 $R\"" "PKIX-EE with --trust"
cat "$C/attacker.pem" "$C/int.pem" "$C/root.pem" >"$C/attack.pem"
run verify --chain "$C/attack.pem" --name example.net --tlsa "2 1 1 $(ref root 1 1)"
expect 1 "rejected: no match" "attacker leaf with the real CA appended"
cat "$C/leaf-clientauth.pem" "$C/int.pem" >"$C/clientauth.pem"
run verify --chain "$C/clientauth.pem" --role client --name example.net --tlsa "2 1 1 $RI"
expect 0 "authenticated usage=DANE-TA depth=1 record=\"2 1 1 $RI\"" "--role client accepts a clientAuth-only leaf"
run verify --chain "$C/chain2.pem" --role client --name example.net --tlsa "2 1 1 $RI"
expect 0 "authenticated usage=DANE-TA depth=1 record=\"2 1 1 $RI\"" "--role client accepts a serverAuth-only leaf"

# --- tlsa: every selector x mtype equals the openssl CLI ---
for s in 0 1; do
	for m in 0 1 2; do
		run tlsa --cert "$C/leaf.pem" --selector $s --mtype $m
		want=$(ref leaf $s $m)
		len=$(( ${#want} / 2 + 3 ))
		[ $rc = 0 ] && [ "$(first)" = "TLSA 3 $s $m $want" ] &&
			[ "$(printf '%s\n' "$out" | sed -n 2p)" = "TYPE52 \\# $len 03$(printf '%02x%02x' $s $m)$want" ]
		ok $? "tlsa 3 $s $m equals openssl, TYPE52 length $len"
	done
done
run tlsa --cert "$C/chain3.pem" --usage 2 --name _5269._tcp.xmpp.example.net
[ $rc = 0 ] && [ "$(first)" = "_5269._tcp.xmpp.example.net. IN TLSA 2 1 1 $(ref root 1 1)" ] &&
	printf '%s\n' "$out" | sed -n 2p | grep -q '^_5269._tcp.xmpp.example.net. IN TYPE52 \\# 35 020101'
ok $? "tlsa --usage 2 picks the topmost CA (root) of a concatenated file, owner with dot"
run tlsa --cert "$C/chain2.pem" --usage 2 --name example.net.
[ $rc = 0 ] && [ "$(first)" = "example.net. IN TLSA 2 1 1 $RI" ]; ok $? "tlsa --usage 2 on leaf+intermediate picks the intermediate"
run tlsa --cert "$C/chain3.pem"
[ $rc = 0 ] && [ "$(first)" = "TLSA 3 1 1 $R" ]; ok $? "tlsa default is 3 1 1 of the first certificate"
run tlsa --cert="$C/leaf.pem" --mtype=2
[ $rc = 0 ] && [ "$(first)" = "TLSA 3 1 2 $(ref leaf 1 2)" ]; ok $? "--opt=value form"
# round trip: what tlsa prints, verify accepts
rec=$("$X" tlsa --cert "$C/chain3.pem" --usage 2 | head -1 | sed 's/^TLSA //')
run verify --chain "$C/chain3.pem" --name example.net --tlsa "$rec"
[ $rc = 0 ]; ok $? "tlsa output verifies with verify"

echo "1..$n"
[ $failed = 0 ]
