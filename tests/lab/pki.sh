#!/bin/bash
# pki.sh - generate the lab PKI under $XDANE_PKI (called by lab.sh start).
#
#   pki.sh DOMAIN...
#
# ca.pem/ca.key: the lab CA (P-256, CA:TRUE). other-ca.pem: an unrelated CA
# (for configs that must trust nothing of ours). Per DOMAIN, in $XDANE_PKI/DOMAIN/:
# key.pem (P-256), cert.pem (issued by the lab CA), self.pem (self-signed, same
# key), chain.pem (cert + CA). SANs: DOMAIN, xmpp.DOMAIN, *.DOMAIN; EKU
# serverAuth + clientAuth. Everything is world-readable: lab only.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${XDANE_PKI:?}"
export OPENSSL_CONF="$here/openssl.cnf"
days=365
mkdir -p "$XDANE_PKI"
cd "$XDANE_PKI"

# mkca NAME CN - a self-signed P-256 CA in NAME.pem / NAME.key
mkca() {
	LAB_CN=$2 openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$1.key" -out "$1.pem" -days $days -extensions ca_ext 2>/dev/null
}

# mkleaf DOMAIN - key, CA-issued and self-signed certificates, chain
mkleaf() {
	local d=$1
	mkdir -p "$d"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/key.pem" 2>/dev/null
	LAB_CN=$d openssl req -x509 -new -key "$d/key.pem" -CA ca.pem -CAkey ca.key \
		-days $days -extensions leaf_ext -out "$d/cert.pem" 2>/dev/null
	LAB_CN=$d openssl req -x509 -new -key "$d/key.pem" \
		-days $days -extensions leaf_ext -out "$d/self.pem" 2>/dev/null
	cat "$d/cert.pem" ca.pem >"$d/chain.pem"
}

mkca ca "xdane lab CA" &
mkca other-ca "xdane unrelated CA" &
wait
# A few parallel workers: each openssl call is mostly process start-up.
jobs=$(( $(nproc) * 2 ))
i=0
for d in "$@"; do
	mkleaf "$d" &
	i=$((i + 1))
	[ $((i % jobs)) = 0 ] && wait
done
wait
for d in "$@"; do
	[ -s "$d/cert.pem" ] && [ -s "$d/self.pem" ] || { echo "pki.sh: failed for $d" >&2; exit 1; }
done
chmod -R a+rX "$XDANE_PKI"
chmod a+r "$XDANE_PKI"/*.key "$XDANE_PKI"/*/key.pem
