/* SPDX-License-Identifier: MIT */
/*
 * fuzz_verify.c - libFuzzer target: a DER certificate chain verified against
 * fuzzed and chain-derived TLSA records.
 *
 * Input: [flags][nrec] then nrec times [len][rdata (len octets)], then
 * [derive-control x4], then DER certificates back to back (leaf first).
 * flags bit 0: role client; bits 1-4: uses mask (0 means the default);
 * bit 5: names = xmpp.example.net only; bit 6: no names.
 * Oracles in fuzz_common.h.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static xdane_verifier *verifier;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names_all[] = { "example.net", "xmpp.example.net" };
	xdane_tlsa recs[FUZZ_MAX_RECS];
	X509 *chain[34];
	size_t nrec = 0, nchain = 0, i, want, pos = 2;
	const unsigned char *p, *end = data + size;
	unsigned flags, ctl[4];
	xdane_verify_request req;
	char err[128];

	if (verifier == NULL && (verifier = xdane_verifier_new("", err, sizeof err)) == NULL)
		abort();
	if (size < 6)
		return 0;
	flags = data[0];
	want = data[1] % 8;
	for (i = 0; i < want && pos < size; i++) {
		size_t len = data[pos++];
		if (len > size - pos)
			len = size - pos;
		if (xdane_tlsa_from_rdata(data + pos, len, &recs[nrec]) == 1)
			nrec++;
		pos += len;
	}
	for (i = 0; i < 4; i++)
		ctl[i] = pos < size ? data[pos++] : 0;
	p = data + pos;
	while (p < end && nchain < 33) {
		const unsigned char *q = p;
		X509 *x = d2i_X509(NULL, &q, (long)(end - p));
		if (x == NULL)
			break;
		chain[nchain++] = x;
		p = q;
	}
	if (nchain > 0) {
		/* Derived records make matches reachable: leaf EE, top TA, and two more. */
		if (ctl[0] & 0x80)
			nrec = fuzz_derive(recs, nrec, 3, chain[0], ctl[0]);
		if (ctl[1] & 0x80)
			nrec = fuzz_derive(recs, nrec, 2, chain[nchain - 1], ctl[1]);
		if (ctl[2] & 0x80)
			nrec = fuzz_derive(recs, nrec, (ctl[2] >> 3) & 3, chain[ctl[3] % nchain], ctl[2]);
		memset(&req, 0, sizeof req);
		req.records = recs;
		req.nrecords = nrec;
		req.uses = (flags >> 1) & 0x0f ? (flags >> 1) & 0x0f : XDANE_USES_DEFAULT;
		req.chain = chain;
		req.chain_len = nchain;
		req.names = flags & 0x20 ? names_all + 1 : names_all;
		req.nnames = flags & 0x40 ? 0 : flags & 0x20 ? 1 : 2;
		req.role = flags & 1 ? XDANE_ROLE_CLIENT : XDANE_ROLE_SERVER;
		fuzz_check(verifier, &req);
	}
	for (i = 0; i < nrec; i++)
		xdane_tlsa_clear(&recs[i]);
	for (i = 0; i < nchain; i++)
		X509_free(chain[i]);
	return 0;
}
