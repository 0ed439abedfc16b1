/* SPDX-License-Identifier: MIT */
/*
 * fuzz_identity.c - libFuzzer target: XMPP identity checks on a fuzzed DER
 * certificate. Input: [refs][DER certificate]; refs picks the reference
 * names from a fixed list (reference names come from configuration and DNS,
 * never from the peer). Oracles: no crash; a "DNS-ID" or "CN" match is also
 * a match for OpenSSL's X509_check_host on that name (full-label wildcards
 * only); every reported match names a reference identifier.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const pool[] = {
	"example.net", "xmpp.example.net", "EXAMPLE.NET.", "xn--bcher-kva.example.net",
	"a.b.example.net", "net", "example", "_xmpp-server.example.net",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *names[3];
	size_t nn = 0, i;
	const unsigned char *p;
	char what[160];
	X509 *x;
	int rc;

	if (size < 2)
		return 0;
	/* 1 to 3 names: bits 6-7 give the count, the low bits the first pick. */
	nn = 1 + (size_t)(data[0] >> 6) % 3;
	for (i = 0; i < nn; i++)
		names[i] = pool[(data[0] + 3 * i) % 8];
	p = data + 1;
	x = d2i_X509(NULL, &p, (long)(size - 1));
	if (x == NULL)
		return 0;
	what[0] = '\0';
	rc = xdane_identity_match(x, names, nn, what, sizeof what);
	if (rc > 0) {
		int confirmed = 0;
		if (what[0] == '\0')
			abort(); /* a match is always described */
		if (!strncmp(what, "DNS-ID ", 7) || !strncmp(what, "CN ", 3)) {
			/* Differential with OpenSSL (full-label wildcards; it strips no dots). */
			for (i = 0; i < nn && !confirmed; i++) {
				char ref[64];
				size_t rl = strlen(names[i]);
				memcpy(ref, names[i], rl + 1);
				if (rl > 0 && ref[rl - 1] == '.')
					ref[--rl] = '\0';
				confirmed = X509_check_host(x, ref, rl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS |
				                            (what[0] == 'C' ? X509_CHECK_FLAG_ALWAYS_CHECK_SUBJECT : 0), NULL) == 1;
			}
			/* OpenSSL ignores absolute presented names; only those may differ. */
			if (!confirmed && what[strlen(what) - 1] != '.')
				abort();
		}
	}
	(void)xdane_eku_s2s_ok(x);
	X509_free(x);
	return 0;
}
