/* SPDX-License-Identifier: MIT */
/*
 * test_verify.c - the verifier against certificates from tests/certs/gen.sh
 *
 *   test_verify CERTDIR
 *
 * A case is: records x chain x reference names x uses x role -> expected
 * return, reason, usage and depth (danetest style). Record specs:
 *   "U S M @cert"   association data from cert.tlsa (computed by the openssl CLI)
 *   "U S M hex"     literal data;  "U S M -" empty data
 * Every case with several records runs again with the records reversed and
 * must give the same verdict (RFC 7671 s9: order never matters).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "tap.h"
#include "xdane_verify.h"

#define ND "example.net xmpp.example.net"
#define ALL "PKIX-TA,PKIX-EE,DANE-TA,DANE-EE"
#define DEF "DANE-EE,DANE-TA"
#define ANY -9 /* do not check this field */
enum { AUTH = 1, REJ = 0 };
enum { NONE = XDANE_REASON_NONE, NOUSE = XDANE_REASON_NO_USABLE, NOMATCH = XDANE_REASON_NO_MATCH,
       NAME = XDANE_REASON_NAME_MISMATCH, CHAIN = XDANE_REASON_CHAIN_INVALID,
       PKIX = XDANE_REASON_PKIX_FAILED, MALF = XDANE_REASON_MALFORMED_CHAIN };

struct vcase {
	const char *name;
	const char *records; /* ';' separated specs */
	const char *chain;   /* space separated certificate names, leaf first */
	const char *names;
	const char *uses;
	char role;           /* 's' server (outgoing), 'c' client (incoming) */
	int rc, reason, usage, depth;
};

static const struct vcase cases[] = {
	/* F4: DANE-EE ignores dates, names and issuer. */
	{ "F4 DANE-EE self-signed, unrelated name, no EKU", "3 1 1 @ss", "ss", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "F4 DANE-EE expired leaf", "3 1 1 @ss", "ss-expired", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "F4 DANE-EE not-yet-valid leaf", "3 1 1 @ss", "ss-future", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "F4 DANE-EE incoming", "3 1 1 @ss", "ss-expired", ND, DEF, 'c', AUTH, NONE, 3, 0 },
	{ "DANE-EE expired CA-issued leaf", "3 1 1 @leaf-expired", "leaf-expired int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "DANE-TA expired leaf rejected", "2 1 1 @int", "leaf-expired int", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "DANE-TA not-yet-valid leaf rejected", "2 1 1 @int", "leaf-future int", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "DANE-EE ignores EKU", "3 1 1 @leaf-codesign", "leaf-codesign int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "DANE-EE wrong key", "3 1 1 @leaf-other", "leaf int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	/* F5: DANE-TA digests match only what the peer sends. */
	{ "F5a 2 1 1 root key, cross-signed copy sent", "2 1 1 @root", "leaf int rootx", ND, DEF, 's', AUTH, NONE, 2, 2 },
	{ "F5b 2 1 1 root only in the local store", "2 1 1 @root", "leaf int", ND, ALL, 's', REJ, NOMATCH, -1, -1 },
	{ "F5b default uses", "2 1 1 @root", "leaf int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "F5c 2 0 1 self-signed root vs cross-signed copy", "2 0 1 @root", "leaf int rootx", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	/* F6: trust anchors published in full. */
	{ "F6a 2 0 0 anchor absent from the chain", "2 0 0 @root", "leaf-direct", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F6b 2 0 0 with a cross-signed copy from an expired CA", "2 0 0 @root", "leaf-direct rootx-old", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F6c 2 1 0 bare key signs the leaf", "2 1 0 @root", "leaf-direct", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F6d 2 1 0 forged leaf with the anchor's name and key id", "2 1 0 @root", "leaf-forged", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "F6d 2 0 0 forged leaf", "2 0 0 @root", "leaf-forged", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "F6d forged leaf with its fake root", "2 1 1 @root", "leaf-forged fakeroot", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	/* F7: DANE-TA done right. */
	{ "F7a private CA", "2 1 1 @int", "leaf int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F7b TA match not vetoed by a non-matching EE", "2 1 1 @int;3 1 1 @leaf-other", "leaf int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F7c TA record on a non-self-signed leaf", "2 1 1 @leaf", "leaf int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "F7d expired leaf under a matching TA", "2 1 1 @int", "leaf-expired int", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "DANE-TA at the root over three certificates", "2 1 1 @root", "leaf int root", ND, DEF, 's', AUTH, NONE, 2, 2 },
	/* F8: DANE-TA names with SRV. */
	{ "F8a other.example", "2 1 1 @int", "leaf-other int", ND, DEF, 's', REJ, NAME, 2, 1 },
	{ "F8b *.example.net", "2 1 1 @int", "leaf-wild int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F8c xmpp.example.net only", "2 1 1 @int", "leaf-target int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F8d example.net only", "2 1 1 @int", "leaf-domain int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F8e SRV-ID only", "2 1 1 @int", "leaf-srvid int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "F8 control: DANE-EE ignores names", "3 1 1 @leaf-other", "leaf-other int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "XmppAddr example.net", "2 1 1 @int", "leaf-xmppaddr int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "CN fallback without SAN", "2 1 1 @int", "leaf-cn int", "example.net", DEF, 's', AUTH, NONE, 2, 1 },
	{ "wildcard does not match the bare domain", "2 1 1 @int", "leaf-wild int", "example.net", DEF, 's', REJ, NAME, 2, 1 },
	{ "wildcard matches the SRV target alone", "2 1 1 @int", "leaf-wild int", "xmpp.example.net", DEF, 's', AUTH, NONE, 2, 1 },
	{ "wildcard matches one label only", "2 1 1 @int", "leaf-wild int", "a.b.example.net", DEF, 's', REJ, NAME, 2, 1 },
	{ "SRV-ID is not a DNS-ID for the target", "2 1 1 @int", "leaf-srvid int", "xmpp.example.net", DEF, 's', REJ, NAME, 2, 1 },
	{ "XmppAddr for another domain", "2 1 1 @int", "leaf-xmppaddr int", "example.org", DEF, 's', REJ, NAME, 2, 1 },
	{ "trailing dot and case in reference names", "2 1 1 @int", "leaf-target int", "XMPP.Example.NET.", DEF, 's', AUTH, NONE, 2, 1 },
	{ "a wildcard reference name is not a pattern", "2 1 1 @int", "leaf-wild int", "*.example.net", DEF, 's', REJ, NAME, 2, 1 },
	{ "no reference names under DANE-TA", "2 1 1 @int", "leaf int", "", DEF, 's', REJ, NAME, 2, 1 },
	/* F9: digest algorithm agility. */
	{ "F9a stale SHA2-512 supersedes correct SHA2-256", "3 0 1 @leaf;3 0 2 @leaf-other", "leaf int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "F9b different selectors are independent", "3 1 1 @leaf;3 0 2 @leaf-other", "leaf int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "F9c both digests correct", "3 1 2 @leaf;3 1 1 @leaf", "leaf int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "agility: Full still counts next to a stale SHA2-512", "3 1 0 @leaf;3 1 1 @leaf;3 1 2 @leaf-other", "leaf int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "agility: only SHA2-256 matching under a stale SHA2-512", "3 1 1 @leaf;3 1 2 @leaf-other;3 1 0 @leaf-other", "leaf int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "agility over usable records only", "3 0 1 @leaf;3 0 2 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", "leaf int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "agility per usage: DANE-TA SHA2-512 does not hide DANE-EE SHA2-256", "3 1 1 @leaf;2 1 2 @leaf-other", "leaf int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	/* F10: malformed data. */
	{ "F10b 31-byte digest next to a correct one", "3 1 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8;3 1 1 @leaf", "leaf int", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "F10c empty data only", "3 1 1 -", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	{ "F10d SHA2-512 with 32 bytes only", "3 1 2 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	{ "F10e selector 2 and mtype 255 only", "3 2 1 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855;3 1 255 00", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	{ "undecodable 3 0 0 only", "3 0 0 3003020100", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	/* F11: unusable records do not mean "DANE failed". */
	{ "F11a PKIX-EE under default uses", "1 1 1 @leaf", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	{ "F11b PKIX-TA under default uses", "0 0 1 @root", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	{ "F11c usage 4", "4 1 1 @leaf", "leaf int", ND, ALL, 's', REJ, NOUSE, -1, -1 },
	{ "F11d PKIX-EE ignored, DANE-EE does not match", "1 1 1 @leaf;3 1 1 @leaf-other", "leaf int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "no records at all", "", "leaf int", ND, DEF, 's', REJ, NOUSE, -1, -1 },
	/* F16: PKIX usages (trust.pem is the "public CA" store). */
	{ "F16a PKIX-TA on the intermediate", "0 1 1 @int", "leaf int", ND, ALL, 's', AUTH, NONE, 0, 1 },
	{ "F16a PKIX-TA on the store's root", "0 1 1 @root", "leaf int", ND, ALL, 's', AUTH, NONE, 0, 2 },
	{ "F16b PKIX-EE on a self-signed chain", "1 1 1 @ss-named", "ss-named", ND, ALL, 's', REJ, PKIX, 1, 0 },
	{ "F16c PKIX-TA naming a trusted CA not in the chain", "0 1 1 @otherca", "leaf int", ND, ALL, 's', REJ, NOMATCH, -1, -1 },
	{ "F16d PKIX-EE matching, names wrong", "1 1 1 @leaf-other", "leaf-other int", ND, ALL, 's', REJ, NAME, 1, 0 },
	{ "F16e PKIX-CA alias enables usage 0", "0 1 1 @int", "leaf int", ND, "PKIX-CA", 's', AUTH, NONE, 0, 1 },
	{ "PKIX-EE expired leaf", "1 1 1 @leaf-expired", "leaf-expired int", ND, ALL, 's', REJ, PKIX, 1, 0 },
	{ "PKIX usages off: DANE-TA still decides", "0 1 1 @int;2 1 1 @int", "leaf int", ND, DEF, 's', AUTH, NONE, 2, 1 },
	/* Attacker leaf with the real CA certificates appended. */
	{ "attacker + int + root under 2 1 1 root", "2 1 1 @root", "attacker int root", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "attacker + int under 2 1 1 int", "2 1 1 @int", "attacker int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "attacker under the victim's 3 1 1", "3 1 1 @leaf", "attacker int root", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "attacker + int under 2 0 0 root", "2 0 0 @root", "attacker int", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	/* Trust anchor dates (policy: the anchor's own dates do not count, every
	 * certificate below it must be valid; OpenSSL alone would reject the
	 * expired self-signed root but accept the expired intermediate). */
	{ "expired intermediate TA", "2 1 1 @intexp", "leaf-intexp intexp", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "expired intermediate below a valid root TA", "2 1 1 @root", "leaf-intexp intexp root", ND, DEF, 's', REJ, CHAIN, 2, 2 },
	{ "expired self-signed root TA", "2 1 1 @rootexp", "leaf-rootexp rootexp", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "expired self-signed root TA in full from DNS", "2 0 0 @rootexp", "leaf-rootexp", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "bare 2 1 0 key of an expired root", "2 1 0 @rootexp", "leaf-rootexp", ND, DEF, 's', AUTH, NONE, 2, 1 },
	{ "expired leaf under a bare 2 1 0 key", "2 1 0 @int", "leaf-expired", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "expired old copy of the intermediate sent first, valid one second", "2 1 1 @root", "leaf int-old int root", ND, DEF, 's', AUTH, NONE, 2, 2 },
	{ "only the expired old intermediate", "2 1 1 @root", "leaf int-old root", ND, DEF, 's', REJ, CHAIN, 2, 2 },
	{ "PKIX-EE with an expired intermediate", "1 1 1 @leaf-intexp", "leaf-intexp intexp", ND, ALL, 's', REJ, PKIX, ANY, ANY },
	{ "PKIX-TA under an expired intermediate", "0 1 1 @root", "leaf-intexp intexp", ND, ALL, 's', REJ, PKIX, ANY, ANY },
	/* Self-signed leaf as its own trust anchor: not supported (OpenSSL matches
	 * DANE-TA at depth >= 1 only); such servers publish DANE-EE. */
	{ "DANE-TA on a self-signed leaf is no match", "2 1 1 @ss-named", "ss-named", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	{ "DANE-EE on the same self-signed leaf", "3 1 1 @ss-named", "ss-named", ND, DEF, 's', AUTH, NONE, 3, 0 },
	/* X.509 purpose per role. */
	{ "incoming serverAuth-only leaf (Let's Encrypt)", "2 1 1 @int", "leaf int", ND, DEF, 'c', AUTH, NONE, 2, 1 },
	{ "incoming clientAuth-only leaf", "2 1 1 @int", "leaf-clientauth int", ND, DEF, 'c', AUTH, NONE, 2, 1 },
	{ "incoming codeSigning-only leaf", "2 1 1 @int", "leaf-codesign int", ND, DEF, 'c', REJ, CHAIN, 2, 1 },
	{ "incoming leaf without EKU", "2 1 1 @int", "leaf-noeku int", ND, DEF, 'c', AUTH, NONE, 2, 1 },
	{ "outgoing clientAuth-only leaf", "2 1 1 @int", "leaf-clientauth int", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "outgoing codeSigning-only leaf", "2 1 1 @int", "leaf-codesign int", ND, DEF, 's', REJ, CHAIN, 2, 1 },
	{ "non-CA issuer below the anchor, outgoing", "2 1 1 @int", "leaf-badissuer leaf int", ND, DEF, 's', REJ, CHAIN, 2, 2 },
	{ "non-CA issuer below the anchor, incoming (no purpose)", "2 1 1 @int", "leaf-badissuer leaf int", ND, DEF, 'c', REJ, CHAIN, 2, 2 },
	{ "non-CA issuer as the anchor itself", "2 1 1 @leaf", "leaf-badissuer leaf int", ND, DEF, 'c', REJ, CHAIN, 2, 1 },
	{ "incoming PKIX-TA serverAuth-only leaf", "0 1 1 @int", "leaf int", ND, ALL, 'c', AUTH, NONE, 0, 1 },
	/* RSA chain. */
	{ "RSA 2 1 1 root over three certificates", "2 1 1 @rsa-root", "rsa-leaf rsa-int rsa-root", ND, DEF, 's', AUTH, NONE, 2, 2 },
	{ "RSA 3 1 1", "3 1 1 @rsa-leaf", "rsa-leaf rsa-int rsa-root", ND, DEF, 's', AUTH, NONE, 3, 0 },
	{ "RSA leaf under the EC CA's record", "2 1 1 @root", "rsa-leaf rsa-int rsa-root", ND, DEF, 's', REJ, NOMATCH, -1, -1 },
	/* Malformed chains. */
	{ "empty chain", "3 1 1 @leaf", "", ND, DEF, 's', REJ, MALF, -1, -1 },
};

/* Loaded certificates and their TLSA lines, by name. */
static struct {
	char name[40];
	X509 *x;
	char *tlsa[3][3]; /* [selector][mtype] hex */
} certs[64];
static size_t ncerts;
static const char *dir;

/* cert_get - load NAME.pem and NAME.tlsa once. */
static int cert_get(const char *name)
{
	size_t i;
	char path[512], line[8192];
	FILE *f;
	for (i = 0; i < ncerts; i++)
		if (!strcmp(certs[i].name, name))
			return (int)i;
	if (ncerts == sizeof certs / sizeof certs[0])
		return -1;
	snprintf(path, sizeof path, "%s/%s.pem", dir, name);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	certs[ncerts].x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof path, "%s/%s.tlsa", dir, name);
	f = fopen(path, "r");
	if (f == NULL || certs[ncerts].x == NULL)
		return -1;
	while (fgets(line, sizeof line, f)) {
		int s, m;
		char *hex = strrchr(line, ' ');
		if (sscanf(line, "%d %d", &s, &m) != 2 || hex == NULL || s > 1 || m > 2)
			continue;
		hex[strcspn(hex, "\n")] = '\0';
		certs[ncerts].tlsa[s][m] = strdup(hex + 1);
	}
	fclose(f);
	snprintf(certs[ncerts].name, sizeof certs[ncerts].name, "%s", name);
	return (int)ncerts++;
}

/* split - tokens of s separated by sep into out (max n); modifies s. */
static size_t split(char *s, const char *sep, char **out, size_t n)
{
	size_t k = 0;
	char *save = NULL, *t;
	for (t = strtok_r(s, sep, &save); t && k < n; t = strtok_r(NULL, sep, &save))
		out[k++] = t;
	return k;
}

/* make_record - one record spec to a record; 1 ok. */
static int make_record(const char *spec, xdane_tlsa *r)
{
	unsigned u, s, m;
	char data[16], text[8300];
	const char *at;
	if (sscanf(spec, "%u %u %u %15s", &u, &s, &m, data) != 4)
		return 0;
	if (!strcmp(data, "-")) {
		r->usage = (uint8_t)u, r->selector = (uint8_t)s, r->mtype = (uint8_t)m;
		r->len = 0, r->data = NULL;
		return 1;
	}
	at = strchr(spec, '@');
	if (at) {
		int i = cert_get(at + 1);
		if (i < 0 || s > 1 || m > 2 || certs[i].tlsa[s][m] == NULL)
			return 0;
		snprintf(text, sizeof text, "%u %u %u %s", u, s, m, certs[i].tlsa[s][m]);
		return xdane_tlsa_parse(text, r, NULL, 0) == 1;
	}
	return xdane_tlsa_parse(spec, r, NULL, 0) == 1;
}

/* run_case - one case, records in given or reversed order; returns 1 if all checks passed. */
static int run_case(const xdane_verifier *v, const struct vcase *c, int reversed, const char *tag)
{
	char rbuf[1024], cbuf[512], nbuf[256], *specs[8], *cnames[8], *names[4];
	xdane_tlsa recs[8];
	X509 *chain[8];
	size_t nr, nc, nn, i;
	xdane_verify_request req;
	xdane_result res;
	unsigned uses = 0;
	int rc, ok = 1;

	snprintf(rbuf, sizeof rbuf, "%s", c->records);
	snprintf(cbuf, sizeof cbuf, "%s", c->chain);
	snprintf(nbuf, sizeof nbuf, "%s", c->names);
	nr = split(rbuf, ";", specs, 8);
	nc = split(cbuf, " ", cnames, 8);
	nn = split(nbuf, " ", names, 4);
	for (i = 0; i < nr; i++)
		if (!make_record(specs[reversed ? nr - 1 - i : i], &recs[i]))
			return tap_ok(0, "%s%s: bad record spec '%s'", c->name, tag, specs[i]);
	for (i = 0; i < nc; i++) {
		int k = cert_get(cnames[i]);
		if (k < 0)
			return tap_ok(0, "%s%s: cannot load %s", c->name, tag, cnames[i]);
		chain[i] = certs[k].x;
	}
	xdane_uses_parse(c->uses, &uses, NULL, 0);
	memset(&req, 0, sizeof req);
	req.records = recs;
	req.nrecords = nr;
	req.uses = uses;
	req.chain = chain;
	req.chain_len = nc;
	req.names = (const char *const *)names;
	req.nnames = nn;
	req.role = c->role == 'c' ? XDANE_ROLE_CLIENT : XDANE_ROLE_SERVER;
	rc = xdane_verify(v, &req, &res);
	ok &= rc == c->rc;
	ok &= c->reason == ANY || res.reason == c->reason;
	ok &= c->usage == ANY || res.usage == c->usage;
	ok &= c->depth == ANY || res.depth == c->depth;
	ok &= res.detail[0] != '\0';
	if (rc == 1)
		ok &= res.record >= 0 && (size_t)res.record < nr && recs[res.record].usage == res.usage;
	tap_ok(ok, "%s%s: rc %d reason \"%s\" usage %d depth %d x509 %d", c->name, tag, rc,
	       xdane_reason_text(res.reason), res.usage, res.depth, res.x509_error);
	if (!ok)
		tap_diag("want rc %d reason %d usage %d depth %d; detail: %s", c->rc, c->reason,
		         c->usage, c->depth, res.detail);
	for (i = 0; i < nr; i++)
		xdane_tlsa_clear(&recs[i]);
	return ok;
}

/* cell_cases - every usage x selector x matching type, positive and negative. */
static void cell_cases(const xdane_verifier *v)
{
	static const struct {
		int usage;
		const char *cert, *chain;
		int depth;
	} at[] = {
		{ 3, "leaf", "leaf int", 0 },
		{ 2, "int", "leaf int", 1 },
		{ 2, "root", "leaf int root", 2 },
		{ 1, "leaf", "leaf int", 0 },
		{ 0, "int", "leaf int", 1 },
		{ 0, "root", "leaf int", 2 },
	};
	size_t i;
	int s, m;
	char rec[64], name[128];
	for (i = 0; i < sizeof at / sizeof at[0]; i++)
		for (s = 0; s <= 1; s++)
			for (m = 0; m <= 2; m++) {
				struct vcase c = { name, rec, at[i].chain, ND, ALL, 's', AUTH, NONE, at[i].usage, at[i].depth };
				snprintf(rec, sizeof rec, "%d %d %d @%s", at[i].usage, s, m, at[i].cert);
				snprintf(name, sizeof name, "cell %d %d %d on %s", at[i].usage, s, m, at[i].cert);
				run_case(v, &c, 0, "");
				/* The same cell with another certificate's data: usable, no match. */
				snprintf(rec, sizeof rec, "%d %d %d @leaf-other", at[i].usage, s, m);
				snprintf(name, sizeof name, "cell %d %d %d with foreign data", at[i].usage, s, m);
				c.rc = REJ, c.reason = NOMATCH, c.usage = c.depth = -1;
				run_case(v, &c, 0, "");
			}
}

/* other_checks - NULL certificates, the PEM loader, no CA store, refcounts. */
static void other_checks(const xdane_verifier *v)
{
	X509 *chain[2] = { NULL, NULL };
	xdane_tlsa rec;
	xdane_verify_request req;
	xdane_result res;
	xdane_verifier *nostore;
	char err[200], path[512], *pem;
	X509 **pchain;
	FILE *f;
	long n;
	int k;
	struct vcase c = { "F16a without a CA store: PKIX fails", "0 1 1 @int", "leaf int", ND, ALL, 's', REJ, PKIX, ANY, ANY };

	make_record("3 1 1 @leaf", &rec);
	memset(&req, 0, sizeof req);
	req.records = &rec;
	req.nrecords = 1;
	req.uses = XDANE_USES_DEFAULT;
	req.chain = chain;
	req.chain_len = 2;
	chain[0] = certs[cert_get("leaf")].x;
	tap_ok(xdane_verify(v, &req, &res) == 0 && res.reason == XDANE_REASON_MALFORMED_CHAIN,
	       "NULL certificate in the chain: malformed chain");
	xdane_tlsa_clear(&rec);

	/* Unusable records and failed verifications leave OpenSSL's error queue
	 * as it was: LuaSec reads the same queue after its own calls. */
	{
		struct vcase e = { "undecodable records leave no OpenSSL errors", "3 0 0 3003020100;2 1 0 300a;2 1 1 @int",
		                   "leaf-expired int", ND, DEF, 's', REJ, CHAIN, 2, 1 };
		xdane_tlsa bad = { 3, 0, 0, 5, (unsigned char *)"\x30\x03\x02\x01\x00" };
		ERR_clear_error();
		run_case(v, &e, 0, "");
		tap_ok(!xdane_tlsa_usable(&bad, XDANE_USES_DEFAULT, NULL), "undecodable 3 0 0 is unusable");
		tap_ok(ERR_peek_error() == 0, "OpenSSL error queue left empty");
	}

	nostore = xdane_verifier_new("", err, sizeof err);
	tap_ok(nostore != NULL, "verifier without CA store");
	run_case(nostore, &c, 0, "");
	tap_ok(xdane_verifier_ref(nostore) == nostore, "ref");
	xdane_verifier_free(nostore);
	c.name = "verifier still usable after one of two references dropped";
	run_case(nostore, &c, 0, "");
	xdane_verifier_free(nostore);
	xdane_verifier_free(NULL);
	tap_ok(xdane_verifier_new("/nonexistent/ca.pem", err, sizeof err) == NULL && strstr(err, "/nonexistent"),
	       "unreadable CA file: %s", err);

	/* PEM: a concatenated file with text around the blocks. */
	snprintf(path, sizeof path, "%s/chain-text.pem", dir);
	f = fopen(path, "w");
	{
		char b1[512], b2[512];
		FILE *a, *b;
		int ch;
		snprintf(b1, sizeof b1, "%s/leaf.pem", dir);
		snprintf(b2, sizeof b2, "%s/int.pem", dir);
		fputs("subject=leaf\nsome text\n", f);
		a = fopen(b1, "r");
		while ((ch = fgetc(a)) != EOF)
			fputc(ch, f);
		fclose(a);
		fputs("issuer text between\n", f);
		b = fopen(b2, "r");
		while ((ch = fgetc(b)) != EOF)
			fputc(ch, f);
		fclose(b);
		fclose(f);
	}
	f = fopen(path, "r");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	pem = malloc((size_t)n + 1);
	n = (long)fread(pem, 1, (size_t)n, f);
	fclose(f);
	k = xdane_chain_from_pem(pem, (size_t)n, &pchain);
	tap_ok(k == 2 && X509_cmp(pchain[0], certs[cert_get("leaf")].x) == 0 &&
	       X509_cmp(pchain[1], certs[cert_get("int")].x) == 0, "PEM chain with text around it: %d certificates", k);
	xdane_chain_free(pchain, k > 0 ? (size_t)k : 0);
	k = xdane_chain_from_pem("no pem here", 11, &pchain);
	tap_ok(k == 0 && pchain == NULL, "PEM without certificates: 0");
	/* Corrupt the base64 of the second block: refused as a whole. */
	{
		char *second = strstr(strstr(pem, "-----END CERTIFICATE-----") + 5, "-----BEGIN CERTIFICATE-----");
		second[40] = '!';
		second[41] = '*';
		k = xdane_chain_from_pem(pem, (size_t)n, &pchain);
		tap_ok(k == 0 && pchain == NULL, "PEM with a corrupt certificate block refused (%d)", k);
		xdane_chain_free(pchain, k > 0 ? (size_t)k : 0);
	}
	free(pem);
}

struct thread_arg {
	const xdane_verifier *v;
	int failures;
};

/* thread_main - alternate record sets so slots are shared and refilled. */
static void *thread_main(void *p)
{
	struct thread_arg *a = p;
	int i;
	for (i = 0; i < 60; i++) {
		const struct vcase *c = &cases[(i * 7) % (sizeof cases / sizeof cases[0])];
		xdane_tlsa recs[8];
		char rbuf[1024], *specs[8];
		X509 *chain[8];
		char cbuf[512], *cn[8], nbuf[256], *names[4];
		size_t nr, nc, nn, k;
		xdane_verify_request req;
		xdane_result res;
		unsigned uses = 0;
		snprintf(rbuf, sizeof rbuf, "%s", c->records);
		snprintf(cbuf, sizeof cbuf, "%s", c->chain);
		snprintf(nbuf, sizeof nbuf, "%s", c->names);
		nr = split(rbuf, ";", specs, 8);
		nc = split(cbuf, " ", cn, 8);
		nn = split(nbuf, " ", names, 4);
		for (k = 0; k < nr; k++)
			make_record(specs[k], &recs[k]);
		for (k = 0; k < nc; k++)
			chain[k] = certs[cert_get(cn[k])].x; /* all loaded before threads start */
		xdane_uses_parse(c->uses, &uses, NULL, 0);
		memset(&req, 0, sizeof req);
		req.records = recs, req.nrecords = nr, req.uses = uses;
		req.chain = chain, req.chain_len = nc;
		req.names = (const char *const *)names, req.nnames = nn;
		req.role = c->role == 'c' ? XDANE_ROLE_CLIENT : XDANE_ROLE_SERVER;
		if (xdane_verify(a->v, &req, &res) != c->rc)
			a->failures++;
		for (k = 0; k < nr; k++)
			xdane_tlsa_clear(&recs[k]);
	}
	return NULL;
}

/* threads - the shared verifier from four threads at once. */
static void threads(const xdane_verifier *v)
{
	pthread_t t[4];
	struct thread_arg a[4];
	int i, fails = 0;
	for (i = 0; i < 4; i++) {
		a[i].v = v;
		a[i].failures = 0;
		pthread_create(&t[i], NULL, thread_main, &a[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		fails += a[i].failures;
	}
	tap_ok(fails == 0, "four threads share one verifier: %d wrong verdicts", fails);
}

int main(int argc, char **argv)
{
	xdane_verifier *v;
	char err[256], ca[512];
	size_t i;

	if (argc < 2) {
		fprintf(stderr, "usage: test_verify CERTDIR\n");
		return 2;
	}
	dir = argv[1];
	snprintf(ca, sizeof ca, "%s/trust.pem", dir);
	v = xdane_verifier_new(ca, err, sizeof err);
	if (!tap_ok(v != NULL, "verifier with the test CA store (%s)", v ? "ok" : err))
		return tap_done();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run_case(v, &cases[i], 0, "");
		if (strchr(cases[i].records, ';'))
			run_case(v, &cases[i], 1, " (records reversed)");
	}
	/* The second pass hits the SSL cache: verdicts must not change. */
	for (i = 0; i < sizeof cases / sizeof cases[0]; i += 5)
		run_case(v, &cases[i], 0, " (again, cached)");
	cell_cases(v);
	other_checks(v);
	threads(v);
	xdane_verifier_free(v);
	for (i = 0; i < ncerts; i++) {
		int s, m;
		X509_free(certs[i].x);
		for (s = 0; s < 3; s++)
			for (m = 0; m < 3; m++)
				free(certs[i].tlsa[s][m]);
	}
	return tap_done();
}
