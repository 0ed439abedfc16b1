/* SPDX-License-Identifier: MIT */
/*
 * fuzz_chain_pem.c - libFuzzer target: PEM chain decoding
 * (xdane_chain_from_pem), then verification of whatever decoded against
 * records derived from the chain (3 1 1 on the leaf, 2 1 1 on the top, 2 0 0
 * on the top) and a non-matching one. Oracles in fuzz_common.h, plus: the
 * decoder returns 0 with a NULL chain or n > 0 certificates.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static xdane_verifier *verifier;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "example.net", "xmpp.example.net" };
	X509 **chain = NULL;
	xdane_tlsa recs[FUZZ_MAX_RECS];
	size_t nrec = 0, i;
	xdane_verify_request req;
	char err[128];
	int n = xdane_chain_from_pem((const char *)data, size, &chain);

	if (verifier == NULL && (verifier = xdane_verifier_new("", err, sizeof err)) == NULL)
		abort();
	if (n < 0)
		return 0; /* out of memory */
	if (n == 0) {
		if (chain != NULL)
			abort();
		return 0;
	}
	for (i = 0; i < (size_t)n; i++)
		if (chain[i] == NULL)
			abort();
	nrec = fuzz_derive(recs, nrec, 3, chain[0], 2);      /* 3 1 1 */
	nrec = fuzz_derive(recs, nrec, 2, chain[n - 1], 3);  /* 2 1 1 */
	nrec = fuzz_derive(recs, nrec, 2, chain[n - 1], 0);  /* 2 0 0 */
	if (xdane_tlsa_parse("3 1 1 0000000000000000000000000000000000000000000000000000000000000000",
	                     &recs[nrec], NULL, 0) == 1)
		nrec++;
	memset(&req, 0, sizeof req);
	req.records = recs;
	req.uses = XDANE_USES_DEFAULT;
	req.chain = chain;
	req.chain_len = (size_t)n;
	req.names = names;
	req.nnames = 2;
	/* Each record alone, then all together. */
	for (i = 0; i <= nrec; i++) {
		req.records = i < nrec ? &recs[i] : recs;
		req.nrecords = i < nrec ? 1 : nrec;
		fuzz_check(verifier, &req);
	}
	for (i = 0; i < nrec; i++)
		xdane_tlsa_clear(&recs[i]);
	xdane_chain_free(chain, (size_t)n);
	return 0;
}
