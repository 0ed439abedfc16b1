/* SPDX-License-Identifier: MIT */
/*
 * tlsa.c - TLSA records: presentation and wire parsing, RFC 6698 s4.1
 * usability, formatting, RFC 7218 usage names and dane_uses lists.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include "xdane_tlsa.h"

/* seterr - copy a message into a caller buffer when there is one. */
static void seterr(char *err, size_t errlen, const char *msg, const char *arg)
{
	if (err == NULL || errlen == 0)
		return;
	if (arg != NULL)
		snprintf(err, errlen, "%s '%s'", msg, arg);
	else
		snprintf(err, errlen, "%s", msg);
}

/* hexval - value of one hex digit, -1 if not one. */
static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* parse_field - one decimal field 0..255; advances *p. 1 ok, 0 malformed. */
static int parse_field(const char **p, uint8_t *out)
{
	const char *s = *p;
	unsigned v = 0;
	int digits = 0;
	while (isspace((unsigned char)*s))
		s++;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 255 || ++digits > 3)
			return 0;
		s++;
	}
	if (digits == 0 || (*s != '\0' && !isspace((unsigned char)*s)))
		return 0;
	*out = (uint8_t)v;
	*p = s;
	return 1;
}

/* xdane_tlsa_parse - parse presentation form "U S M HEX". */
int xdane_tlsa_parse(const char *text, xdane_tlsa *out, char *err, size_t errlen)
{
	const char *p = text, *s;
	size_t ndigits = 0, i = 0;
	unsigned char *data;
	int hi = -1;
	xdane_tlsa rec;

	if (text == NULL || out == NULL) {
		seterr(err, errlen, "no record text", NULL);
		return 0;
	}
	memset(&rec, 0, sizeof rec);
	if (!parse_field(&p, &rec.usage) || !parse_field(&p, &rec.selector) ||
	    !parse_field(&p, &rec.mtype)) {
		seterr(err, errlen, "malformed TLSA record (want \"usage selector mtype hex\"):", text);
		return 0;
	}
	for (s = p; *s; s++) {
		if (isspace((unsigned char)*s))
			continue;
		if (hexval((unsigned char)*s) < 0) {
			seterr(err, errlen, "malformed TLSA record (bad hex digit):", text);
			return 0;
		}
		ndigits++;
	}
	if (ndigits == 0) {
		seterr(err, errlen, "malformed TLSA record (no association data):", text);
		return 0;
	}
	if (ndigits % 2) {
		seterr(err, errlen, "malformed TLSA record (odd number of hex digits):", text);
		return 0;
	}
	data = malloc(ndigits / 2);
	if (data == NULL) {
		seterr(err, errlen, "out of memory", NULL);
		return -1;
	}
	for (s = p; *s; s++) {
		int v;
		if (isspace((unsigned char)*s))
			continue;
		v = hexval((unsigned char)*s);
		if (hi < 0) {
			hi = v;
		} else {
			data[i++] = (unsigned char)(hi << 4 | v);
			hi = -1;
		}
	}
	rec.len = ndigits / 2;
	rec.data = data;
	*out = rec;
	return 1;
}

/* xdane_tlsa_from_rdata - decode TLSA wire rdata. */
int xdane_tlsa_from_rdata(const unsigned char *rdata, size_t len, xdane_tlsa *out)
{
	xdane_tlsa rec;
	if (rdata == NULL || out == NULL || len < 4)
		return 0;
	memset(&rec, 0, sizeof rec);
	rec.usage = rdata[0];
	rec.selector = rdata[1];
	rec.mtype = rdata[2];
	rec.len = len - 3;
	rec.data = malloc(rec.len);
	if (rec.data == NULL)
		return -1;
	memcpy(rec.data, rdata + 3, rec.len);
	*out = rec;
	return 1;
}

/* xdane_tlsa_copy - deep copy. */
int xdane_tlsa_copy(xdane_tlsa *dst, const xdane_tlsa *src)
{
	xdane_tlsa rec = *src;
	rec.data = NULL;
	if (src->len > 0) {
		rec.data = malloc(src->len);
		if (rec.data == NULL)
			return -1;
		memcpy(rec.data, src->data, src->len);
	}
	*dst = rec;
	return 1;
}

/* xdane_tlsa_clear - free the data of one record. */
void xdane_tlsa_clear(xdane_tlsa *rec)
{
	if (rec == NULL)
		return;
	free(rec->data);
	rec->data = NULL;
	rec->len = 0;
}

/* usable_inner - xdane_tlsa_usable without the error-queue bracket. */
static int usable_inner(const xdane_tlsa *rec, unsigned uses, const char **why)
{
	const char *r = NULL;
	const unsigned char *p;

	if (rec->usage > XDANE_USAGE_DANE_EE)
		r = "unknown usage";
	else if (!(uses & (1u << rec->usage)))
		r = "usage not enabled";
	else if (rec->selector > XDANE_SELECTOR_SPKI)
		r = "unknown selector";
	else if (rec->mtype > XDANE_MTYPE_SHA512)
		r = "unknown matching type";
	else if (rec->len == 0 || rec->data == NULL)
		r = "empty data";
	else if (rec->mtype == XDANE_MTYPE_SHA256 && rec->len != 32)
		r = "digest length";
	else if (rec->mtype == XDANE_MTYPE_SHA512 && rec->len != 64)
		r = "digest length";
	else if (rec->mtype == XDANE_MTYPE_FULL && rec->len > 65536)
		r = rec->selector == XDANE_SELECTOR_CERT ? "certificate does not decode"
		                                         : "public key does not decode";
	else if (rec->mtype == XDANE_MTYPE_FULL && rec->selector == XDANE_SELECTOR_CERT) {
		/* Must decode using every byte, as OpenSSL's SSL_dane_tlsa_add requires. */
		X509 *x;
		p = rec->data;
		x = d2i_X509(NULL, &p, (long)rec->len);
		/* OpenSSL also refuses a certificate whose public key does not decode
		 * (X509_get0_pubkey NULL): the verifier counts OpenSSL's verdict, so
		 * this function must use the same criterion. */
		if (x == NULL || (size_t)(p - rec->data) != rec->len || X509_get0_pubkey(x) == NULL)
			r = "certificate does not decode";
		X509_free(x);
	} else if (rec->mtype == XDANE_MTYPE_FULL) {
		EVP_PKEY *k;
		p = rec->data;
		k = d2i_PUBKEY(NULL, &p, (long)rec->len);
		if (k == NULL || (size_t)(p - rec->data) != rec->len)
			r = "public key does not decode";
		EVP_PKEY_free(k);
	}
	if (why != NULL)
		*why = r;
	return r == NULL;
}

/* xdane_tlsa_usable - RFC 6698 s4.1: unusable records are ignored, not errors. */
int xdane_tlsa_usable(const xdane_tlsa *rec, unsigned uses, const char **why)
{
	int rc;
	ERR_set_mark(); /* decode failures leave no errors for the host's TLS code */
	rc = usable_inner(rec, uses, why);
	ERR_pop_to_mark();
	return rc;
}

/* xdane_tlsa_format - presentation form "U S M hex". */
char *xdane_tlsa_format(const xdane_tlsa *rec)
{
	static const char digits[] = "0123456789abcdef";
	size_t i, n = 12 + 2 * rec->len + 1;
	char *s = malloc(n), *q;
	if (s == NULL)
		return NULL;
	q = s + sprintf(s, "%u %u %u ", rec->usage, rec->selector, rec->mtype);
	for (i = 0; i < rec->len; i++) {
		*q++ = digits[rec->data[i] >> 4];
		*q++ = digits[rec->data[i] & 15];
	}
	*q = '\0';
	if (rec->len == 0)
		q[-1] = '\0'; /* no trailing space */
	return s;
}

static const struct {
	const char *name;
	int usage;
} usage_names[] = {
	{ "PKIX-TA", XDANE_USAGE_PKIX_TA },
	{ "PKIX-CA", XDANE_USAGE_PKIX_TA }, /* Prosody's util.dns name for usage 0 */
	{ "PKIX-EE", XDANE_USAGE_PKIX_EE },
	{ "DANE-TA", XDANE_USAGE_DANE_TA },
	{ "DANE-EE", XDANE_USAGE_DANE_EE },
};

/* name_eq - case-insensitive comparison of s[0..n) with a NUL-terminated name. */
static int name_eq(const char *s, size_t n, const char *name)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (name[i] == '\0' || toupper((unsigned char)s[i]) != name[i])
			return 0;
	return name[n] == '\0';
}

/* usage_lookup - usage number of a name of n bytes, -1 if unknown. */
static int usage_lookup(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < sizeof usage_names / sizeof usage_names[0]; i++)
		if (name_eq(s, n, usage_names[i].name))
			return usage_names[i].usage;
	return -1;
}

/* xdane_usage_from_name - usage name (or the PKIX-CA alias) to a number. */
int xdane_usage_from_name(const char *name)
{
	if (name == NULL)
		return -1;
	return usage_lookup(name, strlen(name));
}

/* xdane_usage_name - RFC 7218 acronym of a usage; constant strings only (thread-safe). */
const char *xdane_usage_name(int usage)
{
	static const char *const names[] = { "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE" };
	if (usage >= 0 && usage <= 3)
		return names[usage];
	if (usage == 255)
		return "PrivCert";
	return "unassigned";
}

/* xdane_uses_parse - comma/space separated usage names to a bit set. */
int xdane_uses_parse(const char *list, unsigned *uses, char *err, size_t errlen)
{
	unsigned set = 0;
	const char *p = list;
	if (list == NULL) {
		seterr(err, errlen, "no usage list", NULL);
		return 0;
	}
	for (;;) {
		const char *start;
		size_t n;
		int u;
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		n = (size_t)(p - start);
		u = usage_lookup(start, n);
		if (u < 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "unknown DANE usage '%.*s' (want DANE-EE, DANE-TA, PKIX-EE, PKIX-TA)",
				         (int)(n > 64 ? 64 : n), start);
			return 0;
		}
		set |= 1u << u;
	}
	if (set == 0) {
		seterr(err, errlen, "empty DANE usage list", NULL);
		return 0;
	}
	*uses = set;
	return 1;
}
