/* SPDX-License-Identifier: MIT */
/*
 * fuzz_common.h - shared pieces of the verifier fuzz targets: one verifier
 * per process, records derived from the chain itself (so fuzzed chains can
 * actually match), and independent oracles on every "authenticated" verdict.
 */
#ifndef XDANE_FUZZ_COMMON_H
#define XDANE_FUZZ_COMMON_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "xdane_verify.h"

#define FUZZ_MAX_RECS 12

/* fuzz_assoc - association data of x for selector/mtype, computed here with
 * plain OpenSSL calls (not through the verifier); malloc'd, NULL on failure. */
static unsigned char *fuzz_assoc(X509 *x, int sel, int mtype, size_t *len)
{
	unsigned char *der = NULL, *out;
	unsigned int mdlen = 0;
	int n = sel == 0 ? i2d_X509(x, &der) : i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0)
		return NULL;
	if (mtype == 0) {
		*len = (size_t)n;
		return der;
	}
	out = malloc(EVP_MAX_MD_SIZE);
	if (out == NULL || !EVP_Digest(der, (size_t)n, out, &mdlen, mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL)) {
		free(out);
		OPENSSL_free(der);
		return NULL;
	}
	OPENSSL_free(der);
	*len = mdlen;
	return out;
}

/* fuzz_derive - append a record of usage u on chain element x, selector and
 * mtype from the control byte c. Returns the new count. */
static size_t fuzz_derive(xdane_tlsa *recs, size_t n, int u, X509 *x, unsigned c)
{
	xdane_tlsa *r = &recs[n];
	if (n >= FUZZ_MAX_RECS || x == NULL)
		return n;
	r->usage = (uint8_t)u;
	r->selector = (uint8_t)(c & 1);
	r->mtype = (uint8_t)((c >> 1) % 3);
	r->data = fuzz_assoc(x, r->selector, r->mtype, &r->len);
	return r->data ? n + 1 : n;
}

/* fuzz_matches - does record r match certificate x (oracle, independent code)? */
static int fuzz_matches(const xdane_tlsa *r, X509 *x)
{
	size_t len = 0;
	unsigned char *d;
	int m;
	if (r->selector > 1 || r->mtype > 2)
		return 0;
	d = fuzz_assoc(x, r->selector, r->mtype, &len);
	m = d != NULL && len == r->len && memcmp(d, r->data, len) == 0;
	free(d);
	return m;
}

/*
 * fuzz_check - run the request twice (the second run hits the cached slot)
 * and check invariants of the verdict. Any violation aborts.
 */
static void fuzz_check(const xdane_verifier *v, const xdane_verify_request *req)
{
	xdane_result a, b;
	xdane_tlsa rev[FUZZ_MAX_RECS];
	xdane_verify_request rreq = *req;
	size_t i;
	int rc = xdane_verify(v, req, &a), rc2 = xdane_verify(v, req, &b);
	if (rc != rc2)
		abort(); /* same request, same verifier: same verdict */
	if (req->nrecords <= FUZZ_MAX_RECS && rc >= 0) {
		/* RFC 7671 s9 agility and record alternatives: order never matters. */
		for (i = 0; i < req->nrecords; i++)
			rev[i] = req->records[req->nrecords - 1 - i];
		rreq.records = rev;
		if (xdane_verify(v, &rreq, &b) != rc)
			abort();
	}
	if (rc < 0 || rc == 0)
		return;
	/* Authenticated: a real, enabled, usable record matched. */
	if (a.record < 0 || (size_t)a.record >= req->nrecords || a.usage < 0 || a.usage > 3 ||
	    req->records[a.record].usage != a.usage || !(req->uses & (1u << a.usage)) || a.usable <= 0 ||
	    a.reason != XDANE_REASON_NONE)
		abort();
	if (!xdane_tlsa_usable(&req->records[a.record], req->uses, NULL))
		abort();
	if (a.usage == XDANE_USAGE_DANE_EE || a.usage == XDANE_USAGE_PKIX_EE) {
		/* EE usages match the leaf, checked here without the verifier. */
		if (a.depth != 0 || !fuzz_matches(&req->records[a.record], req->chain[0]))
			abort();
	} else if (a.depth < 1) {
		abort(); /* a TA usage never matches at the leaf */
	}
	if (a.usage == XDANE_USAGE_DANE_TA && req->nnames == 0)
		abort(); /* DANE-TA needs a reference name */
}
#endif
