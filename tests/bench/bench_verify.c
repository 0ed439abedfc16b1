/* SPDX-License-Identifier: MIT */
/*
 * bench_verify.c - verifications per second of xdane_verify against the
 * reference: OpenSSL's own minimal offline DANE verification of the same
 * already-decoded certificates (SSL_new + SSL_dane_enable + SSL_dane_tlsa_add
 * + X509_verify_cert per verification), measured in the same run.
 *
 *   bench_verify CERTDIR [SECONDS]
 *   bench_verify CERTDIR profile reference|xdane CASE N   (for callgrind)
 *
 * Cases: "3 1 1" on a self-signed EC leaf; "2 1 1" on the root of a
 * three-certificate RSA-2048 chain. Prints "name rate" lines for
 * tests/bench/bench-verify.sh, then the ratios.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "xdane_verify.h"
#include "certdir.h"

struct bcase {
	const char *name;
	const char *record;      /* "U S M" + hex from a .tlsa file */
	const char *anchor;      /* certificate whose .tlsa line gives the data */
	const char *chain[3];
	size_t n;
	xdane_tlsa rec;
	X509 *x[3];
};

static const char *dir;
static SSL_CTX *ref_ctx;

/* now - process CPU seconds (as Lua's os.clock in the Lua bench). */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* load_record - "U S M" with the data from NAME.tlsa (openssl CLI digests). */
static int load_record(struct bcase *c)
{
	int u, s, m;
	return sscanf(c->record, "%d %d %d", &u, &s, &m) == 3 && certdir_record(dir, u, c->anchor, s, m, &c->rec);
}

/* reference_once - OpenSSL's minimal offline DANE verification; 1 if OK. */
static int reference_once(const struct bcase *c)
{
	SSL *ssl = SSL_new(ref_ctx);
	X509_STORE_CTX *sctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	size_t i;
	int ok = 0;
	for (i = 1; i < c->n; i++)
		sk_X509_push(untrusted, c->x[i]);
	if (SSL_dane_enable(ssl, NULL) > 0 &&
	    SSL_dane_tlsa_add(ssl, c->rec.usage, c->rec.selector, c->rec.mtype, c->rec.data, c->rec.len) > 0 &&
	    X509_STORE_CTX_init(sctx, SSL_CTX_get_cert_store(ref_ctx), c->x[0], untrusted)) {
		X509_STORE_CTX_set_ex_data(sctx, SSL_get_ex_data_X509_STORE_CTX_idx(), ssl);
		X509_STORE_CTX_set_default(sctx, "ssl_server");
		X509_STORE_CTX_set0_dane(sctx, SSL_get0_dane(ssl));
		ok = X509_verify_cert(sctx) == 1 && X509_STORE_CTX_get_error(sctx) == X509_V_OK;
		SSL_set_verify_result(ssl, X509_STORE_CTX_get_error(sctx));
		ok = ok && SSL_get0_dane_authority(ssl, NULL, NULL) >= 0;
	}
	X509_STORE_CTX_free(sctx);
	sk_X509_free(untrusted);
	SSL_free(ssl);
	return ok;
}

/* ours_once - the same through xdane_verify. */
static int ours_once(const xdane_verifier *v, const struct bcase *c)
{
	static const char *const names[] = { "example.net", "xmpp.example.net" };
	xdane_verify_request req;
	xdane_result res;
	memset(&req, 0, sizeof req);
	req.records = &c->rec;
	req.nrecords = 1;
	req.uses = XDANE_USES_DEFAULT;
	req.chain = c->x;
	req.chain_len = c->n;
	req.names = names;
	req.nnames = 2;
	return xdane_verify(v, &req, &res) == 1;
}

/* rate - verifications per second over about secs; -1 if any failed. */
static double rate(const xdane_verifier *v, const struct bcase *c, double secs)
{
	double t0 = now(), t;
	long n = 0, batch = 50, i;
	do {
		for (i = 0; i < batch; i++)
			if (!(v ? ours_once(v, c) : reference_once(c)))
				return -1;
		n += batch;
		t = now() - t0;
	} while (t < secs);
	return n / t;
}

int main(int argc, char **argv)
{
	struct bcase cases[] = {
		{ "ee_ec_311", "3 1 1", "ss", { "ss" }, 1, { 0, 0, 0, 0, NULL }, { NULL } },
		{ "ta_rsa3_211", "2 1 1", "rsa-root", { "rsa-leaf", "rsa-int", "rsa-root" }, 3, { 0, 0, 0, 0, NULL }, { NULL } },
	};
	double secs = argc > 2 ? atof(argv[2]) : 1.0;
	char err[256];
	xdane_verifier *v;
	size_t i, k;
	int round;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_verify CERTDIR [SECONDS]\n");
		return 2;
	}
	dir = argv[1];
	ref_ctx = SSL_CTX_new(TLS_client_method());
	if (ref_ctx == NULL || SSL_CTX_dane_enable(ref_ctx) <= 0)
		return 1;
	v = xdane_verifier_new("", err, sizeof err);
	if (v == NULL) {
		fprintf(stderr, "bench_verify: %s\n", err);
		return 1;
	}
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct bcase *c = &cases[i];
		double best_ref = 0, best_ours = 0;
		for (k = 0; k < c->n; k++)
			if ((c->x[k] = certdir_cert(dir, c->chain[k])) == NULL) {
				fprintf(stderr, "bench_verify: cannot load %s\n", c->chain[k]);
				return 1;
			}
		if (!load_record(c)) {
			fprintf(stderr, "bench_verify: no record for %s\n", c->name);
			return 1;
		}
		if (argc > 5 && !strcmp(argv[2], "profile")) {
			long it, n = atol(argv[5]);
			if (strcmp(argv[4], c->name) != 0)
				continue;
			for (it = 0; it < n; it++)
				if (!(strcmp(argv[3], "xdane") ? reference_once(c) : ours_once(v, c)))
					return 1;
			printf("%s %s: %ld verifications\n", argv[3], c->name, n);
			continue;
		}
		/* Interleaved rounds; the best of three damps noise on shared CPUs. */
		for (round = 0; round < 3; round++) {
			double r = rate(NULL, c, secs / 3), o = rate(v, c, secs / 3);
			if (r < 0 || o < 0) {
				fprintf(stderr, "bench_verify: %s: a verification failed (%s)\n", c->name,
				        r < 0 ? "reference" : "xdane");
				return 1;
			}
			if (r > best_ref)
				best_ref = r;
			if (o > best_ours)
				best_ours = o;
		}
		printf("%s_reference %.0f\n", c->name, best_ref);
		printf("%s_xdane %.0f\n", c->name, best_ours);
		for (k = 0; k < c->n; k++)
			X509_free(c->x[k]);
		xdane_tlsa_clear(&c->rec);
	}
	xdane_verifier_free(v);
	SSL_CTX_free(ref_ctx);
	return 0;
}
