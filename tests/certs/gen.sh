#!/bin/sh
# gen.sh DIR - generate the verifier's test certificates with the openssl CLI.
#
# Fresh keys every run. For each certificate NAME it writes NAME.pem, NAME.key
# and NAME.tlsa: six lines "SELECTOR MTYPE HEX" (selector 0/1 x mtype 0/1/2)
# computed by the openssl CLI only, so tests compare our code with an
# independent reference. Chains are listed in CHAINS.md-like comments below.
#
#   root      EC private root "Test Root" (also in trust.pem, the "public CA")
#   int       EC intermediate under root
#   leaf*     EC leaves under int: leaf (xmpp.example.net + example.net),
#             leaf-other (other.example), leaf-wild (*.example.net),
#             leaf-target (xmpp.example.net), leaf-domain (example.net),
#             leaf-srvid (SRV-ID _xmpp-server.example.net), leaf-xmppaddr
#             (XmppAddr example.net), leaf-cn (no SAN, CN example.net),
#             leaf-expired, leaf-future, leaf-clientauth (EKU clientAuth
#             only), leaf-codesign (EKU codeSigning only), leaf-noeku
#   leaf-direct   leaf signed by root itself (for 2 0 0 / 2 1 0)
#   leaf-badissuer  signed by "leaf", which is not a CA (CA:FALSE)
#   rootx     root's key and name cross-signed by "Other CA" (otherca)
#   rootx-old root's key and name cross-signed by an expired CA (oldca)
#   fakeroot  self-signed, root's name and key identifier, another key;
#             leaf-forged is signed by it
#   attacker  self-signed example.net leaf (sent with int + root appended)
#   ss        self-signed EC leaf on key K1, CN unrelated.invalid, no EKU;
#             ss-expired, ss-future: the same key, bad dates;
#             ss-named: self-signed with SAN example.net
#   int-old   expired copy of int (same name and key)
#   intexp + leaf-intexp   expired intermediate under root and a valid leaf
#   rootexp + leaf-rootexp expired self-signed root and a valid leaf
#   rsa-root, rsa-int, rsa-leaf  RSA-2048 three-certificate chain
set -eu
D=${1:?usage: gen.sh DIR}
mkdir -p "$D"
cd "$D"
export OPENSSL_CONF=/dev/null

now_plus() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
PAST1=$(now_plus '-30 days'); PAST2=$(now_plus '-1 day')
NOW=$(now_plus '-1 hour'); YEAR=$(now_plus '+365 days')
FUT1=$(now_plus '+1 day'); FUT2=$(now_plus '+30 days')

cat >ca.cnf <<'EOF'
[ca]
default_ca = CA_default
[CA_default]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
email_in_dn = no
[pol]
commonName = supplied
[req]
distinguished_name = dn
prompt = no
[dn]
CN = placeholder
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
mkdir -p newcerts
: >index.txt
echo 1000 >serial

eckey() { [ -f "$1.key" ] || openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
rsakey() { [ -f "$1.key" ] || openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null; }

# cert NAME KEY CN ISSUER(self|name) START END EXTENSIONS...
# EXTENSIONS are lines of an x509v3 section.
cert() {
	name=$1 key=$2 cn=$3 issuer=$4 start=$5 end=$6
	shift 6
	printf '[ext]\n' >"$name.ext"
	for l in "$@"; do printf '%s\n' "$l" >>"$name.ext"; done
	openssl req -new -key "$key.key" -subj "/CN=$cn" -out "$name.csr" 2>/dev/null
	if [ "$issuer" = self ]; then
		openssl ca -batch -notext -config ca.cnf -selfsign -keyfile "$key.key" -in "$name.csr" \
			-startdate "$start" -enddate "$end" -extfile "$name.ext" -extensions ext \
			-out "$name.pem" 2>"$name.err" || { cat "$name.err" >&2; exit 1; }
	else
		openssl ca -batch -notext -config ca.cnf -cert "$issuer.pem" -keyfile "$issuer.key" \
			-in "$name.csr" -startdate "$start" -enddate "$end" -extfile "$name.ext" \
			-extensions ext -out "$name.pem" 2>"$name.err" || { cat "$name.err" >&2; exit 1; }
	fi
}
CA="basicConstraints = critical, CA:TRUE"
CAKU="keyUsage = critical, keyCertSign, cRLSign"
SKI="subjectKeyIdentifier = hash"
AKI="authorityKeyIdentifier = keyid:always"
EE="basicConstraints = critical, CA:FALSE"
SRV="serverAuth"

# Roots and intermediates
eckey root; cert root root "Test Root" self "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI"
eckey int; cert int int "Test Intermediate" root "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI" "$AKI"
eckey otherca; cert otherca otherca "Other CA" self "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI"
eckey oldca; cert oldca oldca "Old CA" self "$PAST1" "$PAST2" "$CA" "$CAKU" "$SKI"
cert rootx root "Test Root" otherca "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI" "$AKI"
cert rootx-old root "Test Root" oldca "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI" "$AKI"
ROOTSKI=$(openssl x509 -in root.pem -noout -ext subjectKeyIdentifier | sed -n 2p | tr -d ' ')
eckey fakeroot; cert fakeroot fakeroot "Test Root" self "$PAST1" "$YEAR" "$CA" "$CAKU" "subjectKeyIdentifier = $ROOTSKI"
cert int-old int "Test Intermediate" root "$PAST1" "$PAST2" "$CA" "$CAKU" "$SKI" "$AKI"
eckey intexp; cert intexp intexp "Expired Intermediate" root "$PAST1" "$PAST2" "$CA" "$CAKU" "$SKI" "$AKI"
eckey rootexp; cert rootexp rootexp "Expired Root" self "$PAST1" "$PAST2" "$CA" "$CAKU" "$SKI"

# Leaves under int
leaf() { # leaf NAME ISSUER START END EXT...
	n=$1 iss=$2 s=$3 e=$4
	shift 4
	eckey "$n"
	cert "$n" "$n" "$n.test" "$iss" "$s" "$e" "$EE" "$SKI" "$AKI" "$@"
}
leaf leaf int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:xmpp.example.net, DNS:example.net"
leaf leaf-other int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:other.example"
leaf leaf-wild int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:*.example.net"
leaf leaf-target int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:xmpp.example.net"
leaf leaf-domain int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:example.net"
leaf leaf-srvid int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.example.net"
leaf leaf-xmppaddr int "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = otherName:1.3.6.1.5.5.7.8.5;UTF8:example.net"
eckey leaf-cn; cert leaf-cn leaf-cn "example.net" int "$NOW" "$YEAR" "$EE" "extendedKeyUsage = $SRV"
leaf leaf-expired int "$PAST1" "$PAST2" "extendedKeyUsage = $SRV" "subjectAltName = DNS:example.net"
leaf leaf-future int "$FUT1" "$FUT2" "extendedKeyUsage = $SRV" "subjectAltName = DNS:example.net"
leaf leaf-clientauth int "$NOW" "$YEAR" "extendedKeyUsage = clientAuth" "subjectAltName = DNS:example.net"
leaf leaf-codesign int "$NOW" "$YEAR" "extendedKeyUsage = codeSigning" "subjectAltName = DNS:example.net"
leaf leaf-noeku int "$NOW" "$YEAR" "subjectAltName = DNS:example.net"
leaf leaf-direct root "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:xmpp.example.net, DNS:example.net"
leaf leaf-forged fakeroot "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:xmpp.example.net, DNS:example.net"
leaf leaf-badissuer leaf "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:example.net"
leaf leaf-intexp intexp "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:example.net"
leaf leaf-rootexp rootexp "$NOW" "$YEAR" "extendedKeyUsage = $SRV" "subjectAltName = DNS:example.net"

# Self-signed leaves
eckey ss
cert ss ss "unrelated.invalid" self "$NOW" "$YEAR" "$EE" "subjectAltName = DNS:unrelated.invalid"
cert ss-expired ss "unrelated.invalid" self "$PAST1" "$PAST2" "$EE" "subjectAltName = DNS:unrelated.invalid"
cert ss-future ss "unrelated.invalid" self "$FUT1" "$FUT2" "$EE" "subjectAltName = DNS:unrelated.invalid"
eckey ss-named; cert ss-named ss-named "example.net" self "$NOW" "$YEAR" "$EE" "$SKI" "subjectAltName = DNS:example.net"
eckey attacker; cert attacker attacker "example.net" self "$NOW" "$YEAR" "$EE" "subjectAltName = DNS:example.net, DNS:xmpp.example.net"

# RSA-2048 three-certificate chain (benchmark and RSA coverage)
rsakey rsa-root; cert rsa-root rsa-root "RSA Root" self "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI"
rsakey rsa-int; cert rsa-int rsa-int "RSA Intermediate" rsa-root "$PAST1" "$YEAR" "$CA" "$CAKU" "$SKI" "$AKI"
rsakey rsa-leaf; cert rsa-leaf rsa-leaf "rsa.example.net" rsa-int "$NOW" "$YEAR" "$EE" "$SKI" "$AKI" "extendedKeyUsage = $SRV" "subjectAltName = DNS:xmpp.example.net, DNS:example.net"

# The "public CA" bundle for the PKIX usages.
cat root.pem otherca.pem rsa-root.pem >trust.pem

hex() { od -An -v -tx1 | tr -d ' \n'; }
for p in *.pem; do
	n=${p%.pem}
	[ "$n" = trust ] && continue
	openssl x509 -in "$p" -outform DER -out "$n.der"
	openssl x509 -in "$p" -noout -pubkey | openssl pkey -pubin -outform DER -out "$n.spki"
	{
		for s in 0 1; do
			f=$n.der; [ $s = 1 ] && f=$n.spki
			echo "$s 0 $(hex <"$f")"
			echo "$s 1 $(openssl dgst -sha256 -binary "$f" | hex)"
			echo "$s 2 $(openssl dgst -sha512 -binary "$f" | hex)"
		done
	} >"$n.tlsa"
done
rm -f ./*.csr ./*.ext ./*.err
