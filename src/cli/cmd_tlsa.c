/* SPDX-License-Identifier: MIT */
/*
 * cmd_tlsa.c - xmpp-dane tlsa: the TLSA record for a certificate, in
 * presentation form and in the RFC 3597 generic form for zone tools that
 * lack TLSA ("TYPE52 \# <len> <hex>").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "xdane.h"
#include "cli.h"

/* help - the tlsa interface. */
static void help(FILE *out)
{
	fprintf(out,
	        "usage: xmpp-dane tlsa --cert FILE [--usage N] [--selector N] [--mtype N] [--name OWNER]\n"
	        "\n"
	        "  --cert FILE    PEM certificate(s); a chain file is fine (leaf first)\n"
	        "  --usage N      0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE (default 3);\n"
	        "                 0 and 2 use the topmost CA certificate in the file, 1 and 3 the first\n"
	        "  --selector N   0 whole certificate, 1 SubjectPublicKeyInfo (default 1)\n"
	        "  --mtype N      0 full, 1 SHA2-256, 2 SHA2-512 (default 1)\n"
	        "  --name OWNER   owner name, e.g. _5269._tcp.xmpp.example.net\n"
	        "\n"
	        "Prints the record in presentation form and as TYPE52 \\# <len> <hex>.\n"
	        "Exit: 0 printed, 1 no suitable certificate in the file, 2 usage error.\n");
}

/* small_int - parse option value 0..max; -1 if not. */
static int small_int(const char *s, int max)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 0 || n > max)
		return -1;
	return (int)n;
}

/* pick - the certificate a usage designates in a leaf-first chain. */
static X509 *pick(X509 **chain, int n, int usage)
{
	int i;
	if (usage == XDANE_USAGE_DANE_EE || usage == XDANE_USAGE_PKIX_EE)
		return chain[0];
	for (i = n - 1; i >= 0; i--) /* topmost CA: the last CA certificate in the file */
		if (X509_check_ca(chain[i]) > 0)
			return chain[i];
	return NULL;
}

/* association - the selected bytes, digested per mtype; malloc'd, NULL on failure. */
static unsigned char *association(X509 *x, int selector, int mtype, size_t *len)
{
	unsigned char *der = NULL, *out;
	unsigned int mdlen = 0;
	int n = selector == 0 ? i2d_X509(x, &der) : i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0)
		return NULL;
	if (mtype == 0) {
		out = malloc((size_t)n);
		if (out)
			memcpy(out, der, (size_t)n);
		*len = (size_t)n;
		OPENSSL_free(der);
		return out;
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

int cmd_tlsa(int argc, char **argv)
{
	const char *file = NULL, *owner = NULL, *val;
	int usage = 3, selector = 1, mtype = 1, i, n = 0, status = 2;
	char *pem = NULL, *text = NULL;
	size_t pemlen = 0, k;
	X509 **chain = NULL, *x;
	xdane_tlsa rec;

	memset(&rec, 0, sizeof rec);
	for (i = 1; i < argc; i++) {
		int r, *target = NULL, max = 0;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help(stdout);
			return 0;
		}
		if ((r = cli_opt(argc, argv, &i, "--cert", &val, "tlsa")) != 0) {
			if (r < 0)
				return 2;
			file = val;
			continue;
		}
		if ((r = cli_opt(argc, argv, &i, "--name", &val, "tlsa")) != 0) {
			if (r < 0)
				return 2;
			owner = val;
			continue;
		}
		if ((r = cli_opt(argc, argv, &i, "--usage", &val, "tlsa")) != 0)
			target = &usage, max = 3;
		else if ((r = cli_opt(argc, argv, &i, "--selector", &val, "tlsa")) != 0)
			target = &selector, max = 1;
		else if ((r = cli_opt(argc, argv, &i, "--mtype", &val, "tlsa")) != 0)
			target = &mtype, max = 2;
		if (r < 0)
			return 2;
		if (target == NULL) {
			fprintf(stderr, "xmpp-dane tlsa: unknown option '%s' (see --help)\n", argv[i]);
			return 2;
		}
		if ((*target = small_int(val, max)) < 0) {
			fprintf(stderr, "xmpp-dane tlsa: %s: want a number from 0 to %d\n", argv[i - (strchr(argv[i], '=') ? 0 : 1)], max);
			return 2;
		}
	}
	if (file == NULL) {
		fprintf(stderr, "xmpp-dane tlsa: --cert is required (see --help)\n");
		return 2;
	}
	pem = cli_read_file(file, &pemlen, "tlsa");
	if (pem == NULL)
		return 2;
	n = xdane_chain_from_pem(pem, pemlen, &chain);
	if (n <= 0) {
		fprintf(stderr, "xmpp-dane tlsa: %s: %s\n", file,
		        n < 0 ? "out of memory" : "no certificate, or a PEM block that does not decode");
		n = 0;
		goto out;
	}
	x = pick(chain, n, usage);
	if (x == NULL) {
		fprintf(stderr, "xmpp-dane tlsa: %s: no CA certificate for usage %d\n", file, usage);
		status = 1;
		goto out;
	}
	rec.usage = (uint8_t)usage;
	rec.selector = (uint8_t)selector;
	rec.mtype = (uint8_t)mtype;
	rec.data = association(x, selector, mtype, &rec.len);
	text = rec.data ? xdane_tlsa_format(&rec) : NULL;
	if (text == NULL) {
		fprintf(stderr, "xmpp-dane tlsa: cannot encode the certificate\n");
		goto out;
	}
	if (owner != NULL) {
		size_t ol = strlen(owner);
		const char *dot = ol && owner[ol - 1] == '.' ? "" : ".";
		printf("%s%s IN TLSA %s\n", owner, dot, text);
		printf("%s%s IN TYPE52 \\# %zu %02x%02x%02x", owner, dot, rec.len + 3, usage, selector, mtype);
	} else {
		printf("TLSA %s\n", text);
		printf("TYPE52 \\# %zu %02x%02x%02x", rec.len + 3, usage, selector, mtype);
	}
	for (k = 0; k < rec.len; k++)
		printf("%02x", rec.data[k]);
	printf("\n");
	status = 0;
out:
	free(text);
	xdane_tlsa_clear(&rec);
	xdane_chain_free(chain, (size_t)n);
	free(pem);
	return status;
}
