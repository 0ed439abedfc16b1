#!/bin/sh
# seeds.sh FB - seed corpora for the fuzz targets under FB/seeds/<target>,
# made from fresh tests/certs/gen.sh certificates (FB/certs).
set -eu
FB=${1:?usage: seeds.sh FUZZBUILDDIR}
rm -rf "$FB/certs" "$FB/seeds"
mkdir -p "$FB/seeds"
tests/certs/gen.sh "$FB/certs" >/dev/null
command -v python3 >/dev/null || { echo "seeds.sh: python3 not found; corpora start empty" >&2; exit 0; }
python3 - "$FB/certs" "$FB/seeds" <<'PY'
import os, sys, glob, hashlib
certs, out = sys.argv[1], sys.argv[2]
def put(target, name, data):
    d = os.path.join(out, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), "wb").write(data)
def tlsa(name):
    rows = {}
    for line in open(os.path.join(certs, name + ".tlsa")):
        s, m, h = line.split()
        rows[(int(s), int(m))] = h
    return rows
def der(name): return open(os.path.join(certs, name + ".der"), "rb").read()
def pem(name): return open(os.path.join(certs, name + ".pem")).read()
names = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(certs, "*.tlsa")))
# TLSA presentation and wire forms
i = 0
for n in ["leaf", "int", "root", "ss", "rsa-int"]:
    for (s, m), h in tlsa(n).items():
        for u in (2, 3):
            put("fuzz_tlsa_parse", "p%03d" % i, "%d %d %d %s" % (u, s, m, h))
            spaced = " ".join(h[k:k + 8].upper() for k in range(0, len(h), 8))
            put("fuzz_tlsa_parse", "q%03d" % i, "%d %d %d %s" % (u, s, m, spaced))
            put("fuzz_tlsa_rdata", "r%03d" % i, bytes([u, s, m]) + bytes.fromhex(h))
            i += 1
for k, t in enumerate(["DANE-EE,DANE-TA", "PKIX-CA DANE-TA", "pkix-ee, dane-ee", "3 1 255 00", "0 0 0 3082", "255 255 255 ff"]):
    put("fuzz_tlsa_parse", "u%d" % k, t)
put("fuzz_tlsa_rdata", "short", b"\x03\x01\x01")
# Verification over DER chains: [flags][nrec]([len][rdata])*[ctl x4][DER...]
chains = [["leaf", "int"], ["leaf", "int", "root"], ["leaf-direct"], ["ss"], ["leaf-wild", "int"],
          ["leaf-srvid", "int"], ["leaf-xmppaddr", "int"], ["leaf-cn", "int"], ["leaf-expired", "int"],
          ["rsa-leaf", "rsa-int", "rsa-root"], ["attacker", "int", "root"], ["leaf-forged", "fakeroot"],
          ["leaf", "int", "rootx"], ["leaf-intexp", "intexp"], ["leaf-rootexp", "rootexp"], ["leaf-badissuer", "leaf"]]
k = 0
for ch in chains:
    body = b"".join(der(c) for c in ch)
    ee = bytes([3, 1, 1]) + bytes.fromhex(tlsa(ch[0])[(1, 1)])
    ta = bytes([2, 1, 1]) + bytes.fromhex(tlsa(ch[-1])[(1, 1)])
    for flags, recs, ctl in [(0, [ee], b"\0\0\0\0"), (0, [ta], b"\0\0\0\0"), (0x1e, [], b"\x82\x83\x80\x01"),
                             (1, [ee, ta], b"\x00\x81\x00\x00"), (0x20, [], b"\x00\x80\x91\x01")]:
        hdr = bytes([flags, len(recs)]) + b"".join(bytes([len(r)]) + r for r in recs)
        put("fuzz_verify", "v%03d" % k, hdr + ctl + body)
        k += 1
    put("fuzz_chain_pem", "c%03d" % k, "".join(pem(c) for c in ch))
    put("fuzz_chain_pem", "t%03d" % k, "subject=x\n" + "\ntext\n".join(pem(c) for c in ch) + "trailer\n")
# Identity: [refs][DER leaf]
for j, n in enumerate(names):
    if n.startswith(("leaf", "ss", "attacker", "rsa-leaf")):
        for b in (0, 0x41, 0x82, 0xc5):
            put("fuzz_identity", "i%03d_%02x" % (j, b), bytes([b]) + der(n))
PY
for t in fuzz_tlsa_parse fuzz_tlsa_rdata fuzz_verify fuzz_chain_pem fuzz_identity; do
	printf '%s: %s seeds\n' "$t" "$(ls "$FB/seeds/$t" | wc -l)"
done
