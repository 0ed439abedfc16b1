/* SPDX-License-Identifier: MIT */
/*
 * test_verify_attacks.c - adversarial cases for the DANE verifier
 *
 *   test_verify_attacks CERTDIR      (CERTDIR from tests/certs/gen.sh)
 *
 * Certificates with hostile names (embedded NULs, partial wildcards, odd
 * otherName types, two SAN extensions) are built here with the OpenSSL API
 * and issued by gen.sh's "int" CA, so every case goes through the real
 * DANE-TA path (2 1 1 on int) and then the XMPP name checks. Further parts:
 * RFC 6125 DNS-ID rules as a table on xdane_dnsid_match, state carried
 * between verifications through the verifier's cached SSL slots, and many
 * threads sharing one verifier across more record sets than it caches.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "tap.h"
#include "xdane_verify.h"
#include "identity.h"
#include "certdir.h"

static const char *dir;
static X509 *int_cert, *leaf_cert, *leaf_other;
static EVP_PKEY *int_key;

/* One subjectAltName entry of a hostile certificate. */
enum { SAN_END = 0, SAN_DNS, SAN_SRV, SAN_XMPP, SAN_XMPP_BMP, SAN_URI };
struct san {
	int kind;
	const char *val;
	size_t len; /* 0: strlen(val) */
};

/* add_san - one GENERAL_NAME built from raw bytes (NULs and all). */
static int add_san(GENERAL_NAMES *gens, const struct san *s)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();
	size_t len = s->len ? s->len : strlen(s->val);
	ASN1_STRING *str;
	int strtype = V_ASN1_IA5STRING;
	if (gn == NULL)
		return 0;
	if (s->kind == SAN_XMPP)
		strtype = V_ASN1_UTF8STRING;
	else if (s->kind == SAN_XMPP_BMP)
		strtype = V_ASN1_BMPSTRING;
	str = ASN1_STRING_type_new(strtype);
	if (str == NULL || !ASN1_STRING_set(str, s->val, (int)len))
		return 0;
	if (s->kind == SAN_DNS || s->kind == SAN_URI) {
		GENERAL_NAME_set0_value(gn, s->kind == SAN_DNS ? GEN_DNS : GEN_URI, str);
	} else {
		ASN1_TYPE *v = ASN1_TYPE_new();
		ASN1_OBJECT *oid = OBJ_nid2obj(s->kind == SAN_SRV ? NID_SRVName : NID_XmppAddr);
		ASN1_TYPE_set(v, strtype, str);
		if (!GENERAL_NAME_set0_othername(gn, OBJ_dup(oid), v))
			return 0;
	}
	return sk_GENERAL_NAME_push(gens, gn) > 0;
}

/*
 * make_leaf - a leaf issued by int: CN (raw bytes, may be NULL), SAN entries
 * (may be NULL: no SAN), optionally a second SAN extension, or an undecodable
 * SAN (raw DER NULL). keybits 0 means an EC P-256 key, else RSA of that size.
 */
static X509 *make_leaf(const char *cn, size_t cnlen, const struct san *sans, const struct san *sans2,
                       int bad_san, int keybits)
{
	X509 *x = X509_new();
	EVP_PKEY *k = keybits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)keybits)
	                      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509_NAME *subj = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	static long serial = 5000;
	int pass;

	if (x == NULL || k == NULL || subj == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_set_issuer_name(x, X509_get_subject_name(int_cert));
	if (cn != NULL)
		X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn,
		                           cnlen ? (int)cnlen : -1, -1, 0);
	else
		X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC, (const unsigned char *)"no cn", -1, -1, 0);
	X509_set_subject_name(x, subj);
	X509_NAME_free(subj);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 30);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, int_cert, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:FALSE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_ext_key_usage, "serverAuth");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_authority_key_identifier, "keyid:always");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	for (pass = 0; pass < 2; pass++) {
		const struct san *list = pass ? sans2 : sans;
		GENERAL_NAMES *gens;
		if (list == NULL)
			continue;
		gens = GENERAL_NAMES_new();
		for (; list->kind != SAN_END; list++)
			if (!add_san(gens, list))
				return NULL;
		/* X509_add1_ext_i2d appends: a second call makes a second SAN extension. */
		X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_APPEND);
		GENERAL_NAMES_free(gens);
	}
	if (bad_san) {
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		ASN1_OCTET_STRING_set(os, (const unsigned char *)"\x05\x00", 2);
		ext = X509_EXTENSION_create_by_NID(NULL, NID_subject_alt_name, 0, os);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
		ASN1_OCTET_STRING_free(os);
	}
	if (!X509_sign(x, int_key, EVP_sha256())) {
		X509_free(x);
		x = NULL;
	}
	EVP_PKEY_free(k);
	return x;
}

/* verify_one - records x chain x names through a verifier; returns rc, fills res. */
static int verify_one(const xdane_verifier *v, const xdane_tlsa *recs, size_t nrecs, X509 **chain,
                      size_t nchain, const char *const *names, size_t nnames, xdane_result *res)
{
	xdane_verify_request req;
	memset(&req, 0, sizeof req);
	req.records = recs;
	req.nrecords = nrecs;
	req.uses = XDANE_USES_DEFAULT;
	req.chain = chain;
	req.chain_len = nchain;
	req.names = names;
	req.nnames = nnames;
	req.role = XDANE_ROLE_SERVER;
	return xdane_verify(v, &req, res);
}

#define NUL_NAME "example.net\0.other.example"
#define NUL_LEN (sizeof NUL_NAME - 1)

struct name_case {
	const char *name;
	const char *cn;
	size_t cnlen;
	struct san sans[3];
	struct san sans2[2]; /* second SAN extension when sans2[0].kind != SAN_END */
	int bad_san;
	const char *refs[2];
	int rc;
};

/* Hostile names under a matching DANE-TA record (2 1 1 on int). */
static const struct name_case name_cases[] = {
	{ "control: DNS-ID example.net", NULL, 0, { { SAN_DNS, "example.net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 1 },
	{ "DNS-ID with an embedded NUL", NULL, 0, { { SAN_DNS, NUL_NAME, NUL_LEN } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "DNS-ID with an embedded NUL vs the suffix", NULL, 0, { { SAN_DNS, NUL_NAME, NUL_LEN } }, { { 0 } }, 0, { "other.example", NULL }, 0 },
	{ "CN with an embedded NUL (no SAN)", NUL_NAME, NUL_LEN, { { 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "SRV-ID with an embedded NUL", NULL, 0, { { SAN_SRV, "_xmpp-server.example.net\0.x", 26 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "XmppAddr with an embedded NUL", NULL, 0, { { SAN_XMPP, "example.net\0x", 13 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "partial wildcard x*.example.net", NULL, 0, { { SAN_DNS, "x*.example.net", 0 } }, { { 0 } }, 0, { "xmpp.example.net", NULL }, 0 },
	{ "wildcard over a single label: *.net", NULL, 0, { { SAN_DNS, "*.net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "bare * DNS-ID", NULL, 0, { { SAN_DNS, "*", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "double wildcard *.*.example.net", NULL, 0, { { SAN_DNS, "*.*.example.net", 0 } }, { { 0 } }, 0, { "a.b.example.net", NULL }, 0 },
	{ "wildcard inside an A-label xn--*.example.net", NULL, 0, { { SAN_DNS, "xn--*.example.net", 0 } }, { { 0 } }, 0, { "xn--bcher-kva.example.net", NULL }, 0 },
	{ "wildcard not left-most: xmpp.*.net", NULL, 0, { { SAN_DNS, "xmpp.*.net", 0 } }, { { 0 } }, 0, { "xmpp.example.net", NULL }, 0 },
	{ "wildcard *.example.net for an IDN target", NULL, 0, { { SAN_DNS, "*.example.net", 0 } }, { { 0 } }, 0, { "xn--bcher-kva.example.net", NULL }, 1 },
	{ "absolute DNS-ID example.net.", NULL, 0, { { SAN_DNS, "example.net.", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 1 },
	{ "DNS-ID with two trailing dots", NULL, 0, { { SAN_DNS, "example.net..", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "DNS-ID case-insensitive", NULL, 0, { { SAN_DNS, "EXAMPLE.Net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 1 },
	{ "DNS-ID suffix only: evilexample.net", NULL, 0, { { SAN_DNS, "evilexample.net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "DNS-ID prefix only: example.net.evil", NULL, 0, { { SAN_DNS, "example.net.evil", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "empty DNS-ID vs empty reference", NULL, 0, { { SAN_DNS, "", 0 } }, { { 0 } }, 0, { "", NULL }, 0 },
	{ "SRV-ID of another service: _xmpp-client", NULL, 0, { { SAN_SRV, "_xmpp-client.example.net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "SRV-ID _xmpp-server. with nothing after", NULL, 0, { { SAN_SRV, "_xmpp-server.", 0 } }, { { 0 } }, 0, { "", NULL }, 0 },
	{ "SRV-ID with a wildcard", NULL, 0, { { SAN_SRV, "_xmpp-server.*.net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "SRV-ID is not a DNS-ID", NULL, 0, { { SAN_SRV, "_xmpp-server.example.net", 0 } }, { { 0 } }, 0, { "_xmpp-server.example.net", NULL }, 0 },
	{ "XmppAddr of a user JID", NULL, 0, { { SAN_XMPP, "user@example.net", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "XmppAddr with a resource", NULL, 0, { { SAN_XMPP, "example.net/res", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "empty XmppAddr vs empty reference name", NULL, 0, { { SAN_XMPP, "", 0 } }, { { 0 } }, 0, { "", NULL }, 0 },
	{ "empty XmppAddr vs reference \".\"", NULL, 0, { { SAN_XMPP, "", 0 } }, { { 0 } }, 0, { ".", NULL }, 0 },
	{ "XmppAddr wildcard is not a pattern", NULL, 0, { { SAN_XMPP, "*.example.net", 0 } }, { { 0 } }, 0, { "xmpp.example.net", NULL }, 0 },
	{ "XmppAddr as a BMPString, CN example.net", "example.net", 0, { { SAN_XMPP_BMP, "e\0x\0a", 6 } }, { { 0 } }, 0, { "example.net", NULL }, 1 },
	{ "CN ignored when a DNS-ID is present", "example.net", 0, { { SAN_DNS, "other.example", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "CN ignored when an SRV-ID is present", "example.net", 0, { { SAN_SRV, "_xmpp-server.other.example", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "CN ignored when an XmppAddr is present", "example.net", 0, { { SAN_XMPP, "other.example", 0 } }, { { 0 } }, 0, { "example.net", NULL }, 0 },
	{ "two SAN extensions: the second names us", NULL, 0, { { SAN_DNS, "other.example", 0 } }, { { SAN_DNS, "example.net", 0 } }, 0, { "example.net", NULL }, 0 },
	{ "undecodable SAN extension with CN example.net", "example.net", 0, { { 0 } }, { { 0 } }, 1, { "example.net", NULL }, 0 },
	{ "wildcard CN *.example.net for the SRV target", "*.example.net", 0, { { 0 } }, { { 0 } }, 0, { "xmpp.example.net", NULL }, 1 },
	{ "partial wildcard CN", "x*.example.net", 0, { { 0 } }, { { 0 } }, 0, { "xmpp.example.net", NULL }, 0 },
	{ "second reference name matches", NULL, 0, { { SAN_DNS, "xmpp.example.net", 0 } }, { { 0 } }, 0, { "example.net", "xmpp.example.net" }, 1 },
};

/* name_checks - every hostile-name case under DANE-TA, then the same leaf under DANE-EE. */
static void name_checks(const xdane_verifier *v)
{
	size_t i;
	xdane_tlsa ta;
	if (!tap_ok(certdir_record(dir, 2, "int", 1, 1, &ta), "2 1 1 record of int"))
		return;
	for (i = 0; i < sizeof name_cases / sizeof name_cases[0]; i++) {
		const struct name_case *c = &name_cases[i];
		X509 *leaf = make_leaf(c->cn, c->cnlen, c->sans[0].kind ? c->sans : NULL,
		                       c->sans2[0].kind ? c->sans2 : NULL, c->bad_san, 0);
		X509 *chain[2];
		xdane_result res;
		size_t nn = c->refs[1] ? 2 : 1;
		int rc;
		if (!tap_ok(leaf != NULL, "names: %s: certificate built", c->name))
			continue;
		chain[0] = leaf;
		chain[1] = int_cert;
		rc = verify_one(v, &ta, 1, chain, 2, c->refs, nn, &res);
		/* Rejections may come from the name check or from OpenSSL's own
		 * extension checks (two or undecodable SAN extensions), never "no usable". */
		if (!tap_ok(rc == c->rc && (rc != 0 || res.reason != XDANE_REASON_NO_USABLE),
		            "names (DANE-TA): %s: %s", c->name, c->rc ? "authenticated" : "rejected"))
			tap_diag("rc %d reason %s x509 %d: %s", rc, xdane_reason_text(res.reason), res.x509_error,
			         res.detail);
		X509_free(leaf);
	}
	xdane_tlsa_clear(&ta);
}

struct dnsid_case {
	const char *presented;
	size_t len; /* 0: strlen */
	const char *reference;
	int want;
};

/* RFC 6125 s6.4 on the raw comparison function (identity.h). */
static const struct dnsid_case dnsid_cases[] = {
	{ "example.net", 0, "example.net", 1 },
	{ "Example.NET", 0, "eXample.net", 1 },
	{ "example.net.", 0, "example.net", 1 },
	{ "example.net", 0, "example.net.", 1 },
	{ "example.net.", 0, "example.net.", 1 },
	{ "example.net", 0, "example.net..", 0 },
	{ "*.example.net", 0, "xmpp.example.net", 1 },
	{ "*.example.net", 0, "XMPP.EXAMPLE.NET.", 1 },
	{ "*.example.net", 0, "example.net", 0 },
	{ "*.example.net", 0, ".example.net", 0 },
	{ "*.example.net", 0, "a.b.example.net", 0 },
	{ "*.example.net", 0, "xmppexample.net", 0 },
	{ "*.net", 0, "example.net", 0 },
	{ "*.", 0, "a.", 0 },
	{ "*", 0, "example", 0 },
	{ "**.example.net", 0, "a.example.net", 0 },
	{ "*x.example.net", 0, "ax.example.net", 0 },
	{ "x*.example.net", 0, "xa.example.net", 0 },
	{ "*.*.net", 0, "a.b.net", 0 },
	{ "a.*.net", 0, "a.b.net", 0 },
	{ "xn--*.example.net", 0, "xn--bcher-kva.example.net", 0 },
	{ "*.xn--bcher-kva.example", 0, "xmpp.xn--bcher-kva.example", 1 },
	{ "example.net\0.evil", 17, "example.net", 0 },
	{ "example.net\0", 12, "example.net", 0 },
	{ "*.example.net\0", 14, "a.example.net", 0 },
	{ "", 0, "", 0 },
	{ ".", 0, "", 0 },
	{ ".", 0, ".", 0 },
	{ "example.net", 0, "", 0 },
	{ "*.example.net", 0, "*.example.net", 1 }, /* raw function: callers skip pattern references */
};

/* dnsid_checks - the table above. */
static void dnsid_checks(void)
{
	size_t i;
	for (i = 0; i < sizeof dnsid_cases / sizeof dnsid_cases[0]; i++) {
		const struct dnsid_case *c = &dnsid_cases[i];
		size_t n = c->len ? c->len : strlen(c->presented);
		int got = xdane_dnsid_match(c->presented, n, c->reference);
		tap_ok(got == c->want, "dnsid_match(\"%s\"%s, \"%s\") = %d", c->presented,
		       c->len ? " with NUL" : "", c->reference, c->want);
	}
}

/* same_result - two results describe the same verdict (the detail text aside). */
static int same_result(int rc1, const xdane_result *a, int rc2, const xdane_result *b)
{
	return rc1 == rc2 && a->reason == b->reason && a->record == b->record && a->usage == b->usage &&
	       a->depth == b->depth && a->x509_error == b->x509_error && a->usable == b->usable;
}

/*
 * history_checks - a verdict must not depend on what the same verifier (and
 * so the same cached SSL slot) verified before. OpenSSL's X509_verify_cert
 * returns before resetting the DANE match state when the leaf key is below
 * the security level, so the previous chain's match is still readable.
 */
static void history_checks(void)
{
	static const struct {
		const char *name;
		int usage;
		const char *cert;
	} sets[] = {
		{ "DANE-EE", 3, "leaf" },
		{ "DANE-TA", 2, "int" },
	};
	X509 *weak = make_leaf(NULL, 0, (const struct san[]){ { SAN_DNS, "example.net", 0 }, { 0 } }, NULL, 0, 512);
	const char *names[] = { "example.net", "xmpp.example.net" };
	size_t i;
	char err[200];
	if (!tap_ok(weak != NULL, "history: RSA-512 leaf built"))
		return;
	for (i = 0; i < sizeof sets / sizeof sets[0]; i++) {
		xdane_verifier *fresh = xdane_verifier_new("", err, sizeof err);
		xdane_verifier *used = xdane_verifier_new("", err, sizeof err);
		X509 *good[2] = { leaf_cert, int_cert }, *bad[2] = { weak, int_cert };
		X509 *other[2] = { leaf_other, int_cert };
		xdane_result r0, r1, r2, r3;
		xdane_tlsa rec;
		int rc0, rc1, rc2, rc3;
		certdir_record(dir, sets[i].usage, sets[i].cert, 1, 1, &rec);
		rc0 = verify_one(fresh, &rec, 1, bad, 2, names, 2, &r0);
		rc1 = verify_one(used, &rec, 1, good, 2, names, 2, &r1);
		tap_ok(rc1 == 1, "history %s: chain A authenticated", sets[i].name);
		rc2 = verify_one(used, &rec, 1, bad, 2, names, 2, &r2);
		tap_ok(rc0 == 0 && rc2 == 0, "history %s: weak-key chain B rejected (fresh %d, after A %d)",
		       sets[i].name, rc0, rc2);
		if (!tap_ok(same_result(rc0, &r0, rc2, &r2),
		            "history %s: chain B's verdict does not depend on chain A verified before", sets[i].name))
			tap_diag("fresh: reason %s record %d usage %d depth %d x509 %d | after A: reason %s record %d usage %d depth %d x509 %d",
			         xdane_reason_text(r0.reason), r0.record, r0.usage, r0.depth, r0.x509_error,
			         xdane_reason_text(r2.reason), r2.record, r2.usage, r2.depth, r2.x509_error);
		tap_ok(r2.record == -1 && r2.usage == -1 && r2.depth == -1,
		       "history %s: no matched record reported for chain B (record %d usage %d depth %d)",
		       sets[i].name, r2.record, r2.usage, r2.depth);
		/* A normal non-matching chain after a match: nothing carried over either. */
		rc3 = verify_one(used, &rec, 1, other, 2, names, 2, &r3);
		if (sets[i].usage == 3)
			tap_ok(rc3 == 0 && r3.reason == XDANE_REASON_NO_MATCH && r3.record == -1,
			       "history %s: non-matching chain after a match: no match", sets[i].name);
		else
			tap_ok(rc3 == 0 && r3.reason == XDANE_REASON_NAME_MISMATCH && r3.depth == 1,
			       "history %s: leaf-other (other.example) under the same TA: name mismatch", sets[i].name);
		rc3 = verify_one(used, &rec, 1, good, 2, names, 2, &r3);
		tap_ok(same_result(rc1, &r1, rc3, &r3), "history %s: chain A again gives the same verdict", sets[i].name);
		xdane_tlsa_clear(&rec);
		xdane_verifier_free(fresh);
		xdane_verifier_free(used);
	}
	X509_free(weak);
}

/* Thread test: more record sets than cache slots, good and bad chains. */
#define THREADS 6
#define ITERS 300
#define NSETS 12

static xdane_tlsa sets[NSETS][2];
static X509 *weak_leaf;

struct worker {
	const xdane_verifier *v;
	int id, errors;
};

/* worker_run - each iteration: a set, a chain; the verdict must be the expected one. */
static void *worker_run(void *arg)
{
	struct worker *w = arg;
	const char *names[] = { "example.net" };
	int i;
	for (i = 0; i < ITERS; i++) {
		int set = (i * 7 + w->id * 5) % NSETS, kind = (i + w->id) % 3, rc, want;
		X509 *chain[2] = { kind == 0 ? leaf_cert : kind == 1 ? leaf_other : weak_leaf, int_cert };
		xdane_result res;
		/* Even sets {3 1 1 leaf, 3 1 1 junk(set)}, odd sets {2 1 1 int,
		 * 3 1 1 junk(set)}: only "leaf" passes (leaf-other names
		 * other.example, the weak leaf is below the security level). */
		rc = verify_one(w->v, sets[set], 2, chain, 2, names, 1, &res);
		want = kind == 0;
		if (rc != want || (rc == 1 && (res.record != 0 || res.usage != (set % 2 ? 2 : 3))))
			w->errors++;
	}
	return NULL;
}

/* thread_checks - one verifier shared by THREADS threads. */
static void thread_checks(void)
{
	pthread_t th[THREADS];
	struct worker w[THREADS];
	xdane_verifier *v;
	char err[200], text[128];
	int i, errors = 0;
	weak_leaf = make_leaf(NULL, 0, (const struct san[]){ { SAN_DNS, "example.net", 0 }, { 0 } }, NULL, 0, 512);
	v = xdane_verifier_new("", err, sizeof err);
	for (i = 0; i < NSETS; i++) {
		certdir_record(dir, i % 2 ? 2 : 3, i % 2 ? "int" : "leaf", 1, 1, &sets[i][0]);
		snprintf(text, sizeof text, "3 1 1 %064x", i + 1);
		xdane_tlsa_parse(text, &sets[i][1], NULL, 0);
	}
	for (i = 0; i < THREADS; i++) {
		w[i].v = v;
		w[i].id = i;
		w[i].errors = 0;
		pthread_create(&th[i], NULL, worker_run, &w[i]);
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	tap_ok(errors == 0, "threads: %d threads x %d verifications over %d record sets, %d wrong verdicts",
	       THREADS, ITERS, NSETS, errors);
	for (i = 0; i < NSETS; i++) {
		xdane_tlsa_clear(&sets[i][0]);
		xdane_tlsa_clear(&sets[i][1]);
	}
	xdane_verifier_free(v);
	X509_free(weak_leaf);
}

/*
 * usable_vs_openssl - xdane_tlsa_usable must agree with SSL_dane_tlsa_add,
 * which the verifier counts: a Full(0) certificate that DER-decodes but whose
 * public key does not (here: an EC point off the curve) is refused by OpenSSL.
 * Found by fuzz_tlsa_rdata (tests/fuzz/crashes/fuzz_tlsa_rdata-crash-fullcert-key-undecodable).
 */
static void usable_vs_openssl(const xdane_verifier *v)
{
	unsigned char *der = NULL, *spki = NULL, *hit = NULL;
	int n = i2d_X509(leaf_cert, &der), sn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf_cert), &spki), i;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;
	xdane_tlsa rec;
	xdane_result res;
	X509 *chain[2] = { leaf_cert, int_cert };
	const char *names[] = { "example.net" };
	const char *why = NULL;
	int ours, theirs, rc;
	for (i = 0; n > 0 && sn > 0 && i + sn <= n && hit == NULL; i++)
		if (memcmp(der + i, spki, (size_t)sn) == 0)
			hit = der + i;
	if (!tap_ok(hit != NULL && ctx != NULL && SSL_CTX_dane_enable(ctx) > 0, "usable: leaf SPKI located in its DER"))
		return;
	hit[sn - 1] ^= 0x01; /* last byte of the EC point: no longer on the curve */
	rec.usage = 3, rec.selector = 0, rec.mtype = 0, rec.len = (size_t)n, rec.data = der;
	ssl = SSL_new(ctx);
	SSL_dane_enable(ssl, NULL);
	ERR_set_mark();
	ours = xdane_tlsa_usable(&rec, XDANE_USES_DEFAULT, &why);
	theirs = SSL_dane_tlsa_add(ssl, 3, 0, 0, der, (size_t)n);
	ERR_pop_to_mark();
	tap_ok(theirs == 0, "usable: OpenSSL refuses 3 0 0 with an undecodable key (%d)", theirs);
	if (!tap_ok(ours == (theirs > 0), "usable: xdane_tlsa_usable agrees with OpenSSL on 3 0 0 with an undecodable key"))
		tap_diag("xdane_tlsa_usable = %d (%s), SSL_dane_tlsa_add = %d", ours, why ? why : "usable", theirs);
	rc = verify_one(v, &rec, 1, chain, 2, names, 1, &res);
	tap_ok(rc == 0 && res.reason == XDANE_REASON_NO_USABLE && res.usable == 0,
	       "usable: that record alone gives \"no usable records\" (%s)", res.detail);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	OPENSSL_free(der);
	OPENSSL_free(spki);
}

/* misc_checks - chain and record shapes at the edges. */
static void misc_checks(const xdane_verifier *v)
{
	const char *names[] = { "example.net" };
	X509 *chain[40];
	xdane_tlsa ee, ta, junk[3];
	xdane_result res;
	int rc, i;
	certdir_record(dir, 3, "leaf", 1, 1, &ee);
	certdir_record(dir, 2, "int", 1, 1, &ta);
	for (i = 0; i < 40; i++)
		chain[i] = i == 0 ? leaf_cert : int_cert;
	rc = verify_one(v, &ee, 1, chain, 33, names, 1, &res);
	tap_ok(rc == 0 && res.reason == XDANE_REASON_MALFORMED_CHAIN, "33 certificates: malformed chain");
	rc = verify_one(v, &ta, 1, chain, 32, names, 1, &res);
	tap_ok(rc == 1, "32 certificates (int repeated) under DANE-TA: authenticated (rc %d: %s)", rc, res.detail);
	/* Usable-record counting: only records OpenSSL refuses (wrong digest
	 * length, undecodable Full data) must give "no usable", never PKIX. */
	xdane_tlsa_parse("2 0 0 3082", &junk[0], NULL, 0);
	xdane_tlsa_parse("2 1 1 00", &junk[1], NULL, 0);
	xdane_tlsa_parse("3 1 2 0000000000000000000000000000000000000000000000000000000000000000", &junk[2], NULL, 0);
	chain[0] = leaf_cert;
	chain[1] = int_cert;
	rc = verify_one(v, junk, 3, chain, 2, names, 1, &res);
	tap_ok(rc == 0 && res.reason == XDANE_REASON_NO_USABLE && res.usable == 0,
	       "only malformed DANE records: no usable records (rc %d, %s)", rc, res.detail);
	/* Same leaf sent twice: DANE-TA on the leaf's own key must not match. */
	{
		xdane_tlsa self;
		X509 *dup[3] = { leaf_cert, leaf_cert, int_cert };
		certdir_record(dir, 2, "leaf", 1, 1, &self);
		rc = verify_one(v, &self, 1, dup, 3, names, 1, &res);
		tap_ok(rc == 0, "DANE-TA on the leaf key, leaf sent twice: rejected (%s)", res.detail);
		xdane_tlsa_clear(&self);
	}
	/* A DANE-TA record never matches the leaf, even a self-signed one
	 * (xdane_verify.h): the same key as 2 0 0, 2 1 1 and bare 2 1 0 must
	 * give the same verdict. OpenSSL checks a bare key's signature on the
	 * top certificate, which for a lone self-signed leaf is the leaf itself. */
	{
		static const int forms[][2] = { { 0, 0 }, { 1, 1 }, { 0, 1 }, { 1, 0 } };
		X509 *ss = certdir_cert(dir, "ss-named");
		size_t k;
		for (k = 0; ss != NULL && k < sizeof forms / sizeof forms[0]; k++) {
			xdane_tlsa r;
			certdir_record(dir, 2, "ss-named", forms[k][0], forms[k][1], &r);
			rc = verify_one(v, &r, 1, &ss, 1, names, 1, &res);
			tap_ok(rc == 0, "2 %d %d on a lone self-signed leaf's own key: rejected (rc %d depth %d: %s)",
			       forms[k][0], forms[k][1], rc, res.depth, res.detail);
			xdane_tlsa_clear(&r);
		}
		X509_free(ss);
	}
	/* EE records name the leaf only: the intermediate's key or certificate is no match. */
	{
		static const struct {
			int usage, sel, mtype;
		} ee_on_int[] = { { 3, 1, 1 }, { 3, 0, 0 }, { 3, 0, 2 } };
		size_t k;
		for (k = 0; k < sizeof ee_on_int / sizeof ee_on_int[0]; k++) {
			xdane_tlsa r;
			certdir_record(dir, ee_on_int[k].usage, "int", ee_on_int[k].sel, ee_on_int[k].mtype, &r);
			rc = verify_one(v, &r, 1, chain, 2, names, 1, &res);
			tap_ok(rc == 0 && res.reason == XDANE_REASON_NO_MATCH, "%d %d %d on the intermediate: no match (%s)",
			       ee_on_int[k].usage, ee_on_int[k].sel, ee_on_int[k].mtype, res.detail);
			xdane_tlsa_clear(&r);
		}
	}
	for (i = 0; i < 3; i++)
		xdane_tlsa_clear(&junk[i]);
	xdane_tlsa_clear(&ee);
	xdane_tlsa_clear(&ta);
}

int main(int argc, char **argv)
{
	xdane_verifier *v;
	char err[200];
	if (argc != 2) {
		fprintf(stderr, "usage: %s CERTDIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	int_cert = certdir_cert(dir, "int");
	int_key = certdir_key(dir, "int");
	leaf_cert = certdir_cert(dir, "leaf");
	leaf_other = certdir_cert(dir, "leaf-other");
	if (!tap_ok(int_cert && int_key && leaf_cert && leaf_other, "gen.sh certificates loaded from %s", dir))
		return tap_done();
	v = xdane_verifier_new("", err, sizeof err);
	name_checks(v);
	dnsid_checks();
	history_checks();
	thread_checks();
	misc_checks(v);
	usable_vs_openssl(v);
	xdane_verifier_free(v);
	X509_free(int_cert);
	X509_free(leaf_cert);
	X509_free(leaf_other);
	EVP_PKEY_free(int_key);
	return tap_done();
}
