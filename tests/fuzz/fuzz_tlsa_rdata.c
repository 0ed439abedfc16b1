/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsa_rdata.c - libFuzzer target: TLSA wire rdata. Oracles: rdata of
 * 4 octets or more always decodes; the record formats, re-parses to the same
 * bytes, and its usability verdict matches OpenSSL's SSL_dane_tlsa_add for
 * the records OpenSSL would be given (the verifier counts on that).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "xdane_tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static SSL_CTX *ctx;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	xdane_tlsa rec, again;
	char *s;
	int rc = xdane_tlsa_from_rdata(data, size, &rec);
	if (size < 4) {
		if (rc != 0)
			abort();
		return 0;
	}
	if (rc != 1 || rec.len != size - 3 || memcmp(rec.data, data + 3, rec.len) != 0)
		abort();
	s = xdane_tlsa_format(&rec);
	if (s == NULL || xdane_tlsa_parse(s, &again, NULL, 0) != 1 || again.len != rec.len ||
	    again.usage != rec.usage || again.selector != rec.selector || again.mtype != rec.mtype ||
	    memcmp(again.data, rec.data, rec.len) != 0)
		abort();
	free(s);
	xdane_tlsa_clear(&again);
	if (rec.usage <= 3) {
		/* Differential: our usability vs OpenSSL's tri-state add. */
		SSL *ssl;
		int ours, theirs;
		if (ctx == NULL) {
			ctx = SSL_CTX_new(TLS_client_method());
			if (ctx == NULL || SSL_CTX_dane_enable(ctx) <= 0)
				abort();
		}
		ssl = SSL_new(ctx);
		if (ssl == NULL || SSL_dane_enable(ssl, NULL) <= 0)
			abort();
		ours = xdane_tlsa_usable(&rec, XDANE_USES_ALL, NULL);
		theirs = SSL_dane_tlsa_add(ssl, rec.usage, rec.selector, rec.mtype, rec.data, rec.len);
		ERR_clear_error();
		SSL_free(ssl);
		if (theirs >= 0 && ours != (theirs > 0))
			abort();
	}
	xdane_tlsa_clear(&rec);
	return 0;
}
