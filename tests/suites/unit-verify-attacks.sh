#!/bin/sh
# unit-verify-attacks.sh - adversarial tests of the verifier: hostile names,
# state carried between verifications, threads (C), and hostile use of the
# Lua binding (wrong userdata, lying table lengths, raises) on each Lua version.
. "$(dirname "$0")/../lib.sh"
certs=$(mktemp -d "${TMPDIR:-/tmp}/xdane-attack.XXXXXX")
trap 'rm -rf "$certs"' EXIT
tests/certs/gen.sh "$certs" || { echo "not ok - tests/certs/gen.sh failed"; exit 1; }
# An RSA-512 leaf under int: below OpenSSL's security level (for the Lua spec).
(
	cd "$certs" && export OPENSSL_CONF=/dev/null &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out weak512.key 2>/dev/null &&
	openssl req -new -key weak512.key -subj /CN=example.net -out weak512.csr 2>/dev/null &&
	printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:example.net\n' >weak512.ext &&
	openssl x509 -req -in weak512.csr -CA int.pem -CAkey int.key -set_serial 7777 -days 30 \
		-extfile weak512.ext -out weak512.pem 2>/dev/null
) || { echo "not ok - weak512 certificate"; exit 1; }
rc=0
"$XDANE_BUILD/tests/test_verify_attacks" "$certs" || rc=1
for v in $XDANE_LUA_VERSIONS; do
	run_lua "$v" tests/lua/verify_attacks_spec.lua "$certs" >"$certs/out" 2>&1
	st=$?
	sed "s/^\(\(not \)\{0,1\}ok [0-9]* - \)/\1[$v] /" "$certs/out"
	if [ $st != 0 ]; then
		echo "not ok - Lua $v: verify_attacks_spec.lua exited with status $st"
		rc=1
	fi
done
exit $rc
