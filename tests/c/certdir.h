/* SPDX-License-Identifier: MIT */
/*
 * certdir.h - read the files of a tests/certs/gen.sh directory in C tests and
 * benchmarks: certificates NAME.pem, keys NAME.key, and the TLSA data the
 * openssl CLI computed for NAME (NAME.tlsa, lines "SELECTOR MTYPE HEX").
 */
#ifndef XDANE_CERTDIR_H
#define XDANE_CERTDIR_H
#include <stdio.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "xdane_tlsa.h"

/* certdir_open - DIR/NAME.EXT for reading; NULL if it cannot be opened. */
static inline FILE *certdir_open(const char *dir, const char *name, const char *ext)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s.%s", dir, name, ext);
	return fopen(path, "r");
}

/* certdir_cert - certificate NAME.pem; NULL if absent or unreadable. */
static inline X509 *certdir_cert(const char *dir, const char *name)
{
	FILE *f = certdir_open(dir, name, "pem");
	X509 *x;
	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

/* certdir_key - private key NAME.key; NULL if absent or unreadable. */
static inline EVP_PKEY *certdir_key(const char *dir, const char *name)
{
	FILE *f = certdir_open(dir, name, "key");
	EVP_PKEY *k;
	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

/* certdir_record - "USAGE SEL MTYPE hex" with the hex of NAME.tlsa's SEL MTYPE line; 1 ok, 0 none. */
static inline int certdir_record(const char *dir, int usage, const char *name, int sel, int mtype, xdane_tlsa *out)
{
	char line[8192], text[8300];
	FILE *f = certdir_open(dir, name, "tlsa");
	int ok = 0;
	if (f == NULL)
		return 0;
	while (!ok && fgets(line, sizeof line, f)) {
		int s, m;
		char *hex = strrchr(line, ' ');
		if (sscanf(line, "%d %d", &s, &m) != 2 || hex == NULL || s != sel || m != mtype)
			continue;
		hex[strcspn(hex, "\n")] = '\0';
		snprintf(text, sizeof text, "%d %d %d %s", usage, s, m, hex + 1);
		ok = xdane_tlsa_parse(text, out, NULL, 0) == 1;
	}
	fclose(f);
	return ok;
}

#endif
