/* SPDX-License-Identifier: MIT */
/*
 * verify.c - authenticate a received chain against TLSA records through
 * OpenSSL 3's public DANE API, offline (no handshake).
 *
 * How (getdns-and-openssl.md s4): a shared SSL_CTX with DANE enabled; per
 * record set an SSL that never connects and only holds the DANE state,
 * enabled with SSL_dane_enable(ssl, NULL): no reference names, so OpenSSL
 * runs no host check at all (its check knows only DNS names, and reports a
 * name error before date errors). We require a clean X509_V_OK and then do
 * the XMPP name checks ourselves (identity.c) for DANE-TA and PKIX matches.
 * DANE-EE ignores names, dates, EKU and issuer (RFC 7671 s5.1).
 *
 * We count usable records ourselves: with none accepted, OpenSSL quietly
 * falls back to plain PKIX. Digest agility (RFC 7671 s9) is OpenSSL's: it
 * sorts records on insertion, so the verdict does not depend on their order.
 *
 * Policy decisions where the RFCs are silent:
 * - Trust anchor dates: the anchor of a DANE-TA match is defined by DNS
 *   (RFC 5280 trust anchors carry no validity period), so its own notBefore
 *   and notAfter are ignored, whether it is an intermediate, a self-signed
 *   root, a 2 0 0 certificate from DNS or a bare 2 1 0 key; every
 *   certificate below it must be within its dates. OpenSSL 3.0 alone is
 *   inconsistent here (it ignores an expired intermediate TA but rejects an
 *   expired self-signed root TA), so its time checks are off and dates are
 *   checked here (run_openssl). PKIX usages check every certificate.
 * - X.509 purpose: s2s certificates serve both directions, and many carry
 *   only serverAuth (Let's Encrypt dropped clientAuth). Outgoing (role
 *   SERVER) uses OpenSSL's "ssl_server" purpose. Incoming (role CLIENT) does
 *   not require clientAuth: the chain is checked with no purpose, and the
 *   leaf's EKU, when present, must contain serverAuth, clientAuth or anyEKU.
 * - A DANE-TA record never matches the leaf, even a self-signed one (OpenSSL
 *   checks trust anchors at depth >= 1 only); such servers publish DANE-EE.
 *   OpenSSL does accept a bare 2 1 0 key that signed a lone self-signed
 *   leaf, i.e. the leaf's own key; run_openssl refuses that too, so every
 *   form of the same TA record gives the same verdict.
 * - Authentication level: the SSL_CTX security level applies to DANE-TA and
 *   PKIX chains (keys and signature digests), as in a real handshake.
 *
 * Speed: building an SSL and adding records costs about as much as a whole
 * DANE-EE verification, so a few SSL objects (with their X509_STORE_CTX and
 * untrusted stack) are cached per verifier, keyed by the record set.
 * X509_verify_cert resets the DANE match state before matching, so an SSL
 * can verify many chains against the same records; it returns before that
 * reset when the leaf key is below the security level, so run_openssl then
 * reads no match (the verdict never depends on the previous chain). A slot is checked out under
 * a mutex while in use, so the shared verifier is thread-safe.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "xdane_verify.h"
#include "identity.h"

#define CACHE_SLOTS 8
#define MAX_CHAIN 32

struct slot {
	SSL *ssl;                  /* holds the DANE records of key */
	X509_STORE_CTX *sctx;      /* reused between verifications */
	STACK_OF(X509) *untrusted; /* reused between verifications */
	unsigned char *key;        /* serialized enabled records, as given */
	size_t keylen;
	unsigned uses;
	int usable;                /* records OpenSSL accepted */
	int busy;
	unsigned long stamp;       /* LRU */
};

struct xdane_verifier {
	SSL_CTX *ctx;
	pthread_mutex_t lock; /* refs, store_state, slots */
	int refs;
	int store_state;      /* 0 system store not loaded yet, 1 ready */
	unsigned long clock;
	struct slot slots[CACHE_SLOTS];
};

/* setmsg - formatted message into a caller buffer. */
static void setmsg(char *buf, size_t len, const char *msg, const char *arg)
{
	if (buf == NULL || len == 0)
		return;
	if (arg)
		snprintf(buf, len, "%s: %s", msg, arg);
	else
		snprintf(buf, len, "%s", msg);
}

/* xdane_verifier_new - shared SSL_CTX with DANE; optional PKIX store. */
xdane_verifier *xdane_verifier_new(const char *ca_file, char *err, size_t errlen)
{
	xdane_verifier *v = calloc(1, sizeof *v);
	if (v == NULL) {
		setmsg(err, errlen, "out of memory", NULL);
		return NULL;
	}
	ERR_set_mark();
	v->ctx = SSL_CTX_new(TLS_client_method());
	if (v->ctx == NULL || SSL_CTX_dane_enable(v->ctx) <= 0) {
		setmsg(err, errlen, "cannot create OpenSSL DANE context", NULL);
		goto fail;
	}
	if (ca_file == NULL) {
		v->store_state = 0; /* system store, loaded on first PKIX use */
	} else {
		v->store_state = 1;
		if (*ca_file != '\0' && SSL_CTX_load_verify_locations(v->ctx, ca_file, NULL) != 1) {
			setmsg(err, errlen, "cannot read CA file", ca_file);
			goto fail;
		}
	}
	if (pthread_mutex_init(&v->lock, NULL) != 0) {
		setmsg(err, errlen, "cannot create mutex", NULL);
		goto fail;
	}
	v->refs = 1;
	ERR_pop_to_mark();
	return v;
fail:
	ERR_pop_to_mark();
	SSL_CTX_free(v->ctx);
	free(v);
	return NULL;
}

/* xdane_verifier_ref - one more reference. */
xdane_verifier *xdane_verifier_ref(xdane_verifier *v)
{
	if (v != NULL) {
		pthread_mutex_lock(&v->lock);
		v->refs++;
		pthread_mutex_unlock(&v->lock);
	}
	return v;
}

/* slot_clear - free what a slot holds; busy and stamp stay (owner's business). */
static void slot_clear(struct slot *s)
{
	SSL_free(s->ssl);
	X509_STORE_CTX_free(s->sctx);
	sk_X509_free(s->untrusted);
	free(s->key);
	s->ssl = NULL;
	s->sctx = NULL;
	s->untrusted = NULL;
	s->key = NULL;
	s->keylen = 0;
	s->usable = 0;
	s->uses = 0;
}

/* xdane_verifier_free - drop a reference; the last one frees everything. */
void xdane_verifier_free(xdane_verifier *v)
{
	int refs, i;
	if (v == NULL)
		return;
	pthread_mutex_lock(&v->lock);
	refs = --v->refs;
	pthread_mutex_unlock(&v->lock);
	if (refs > 0)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&v->slots[i]);
	SSL_CTX_free(v->ctx);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

/* xdane_reason_text - stable short texts (the Lua API returns them). */
const char *xdane_reason_text(int reason)
{
	switch (reason) {
	case XDANE_REASON_NONE: return "authenticated";
	case XDANE_REASON_NO_USABLE: return "no usable records";
	case XDANE_REASON_NO_MATCH: return "no match";
	case XDANE_REASON_NAME_MISMATCH: return "name mismatch";
	case XDANE_REASON_CHAIN_INVALID: return "chain invalid";
	case XDANE_REASON_PKIX_FAILED: return "pkix failed";
	case XDANE_REASON_MALFORMED_CHAIN: return "malformed chain";
	}
	return "unknown";
}

/* enabled - is this record given to OpenSSL at all (usage known and enabled)? */
static int enabled(const xdane_tlsa *r, unsigned uses)
{
	return r->usage <= XDANE_USAGE_DANE_EE && (uses & (1u << r->usage));
}

/* key_size - bytes of the serialized enabled records. */
static size_t key_size(const xdane_verify_request *req)
{
	size_t i, n = 0;
	for (i = 0; i < req->nrecords; i++)
		if (enabled(&req->records[i], req->uses))
			n += 7 + req->records[i].len;
	return n;
}

/* key_write - usage, selector, mtype, 4-byte length, data per enabled record. */
static void key_write(const xdane_verify_request *req, unsigned char *k)
{
	size_t i;
	for (i = 0; i < req->nrecords; i++) {
		const xdane_tlsa *r = &req->records[i];
		if (!enabled(r, req->uses))
			continue;
		k[0] = r->usage;
		k[1] = r->selector;
		k[2] = r->mtype;
		k[3] = (unsigned char)(r->len >> 24);
		k[4] = (unsigned char)(r->len >> 16);
		k[5] = (unsigned char)(r->len >> 8);
		k[6] = (unsigned char)r->len;
		if (r->len)
			memcpy(k + 7, r->data, r->len);
		k += 7 + r->len;
	}
}

/* key_equal - does the slot hold exactly the request's enabled records? */
static int key_equal(const struct slot *s, const xdane_verify_request *req)
{
	const unsigned char *k, *end;
	size_t i;
	if (s->ssl == NULL || s->key == NULL || s->uses != req->uses)
		return 0;
	/* Only now: an empty slot has key NULL, and NULL + 0 is undefined. */
	k = s->key;
	end = s->key + s->keylen;
	for (i = 0; i < req->nrecords; i++) {
		const xdane_tlsa *r = &req->records[i];
		size_t len;
		if (!enabled(r, req->uses))
			continue;
		if (end - k < 7 || k[0] != r->usage || k[1] != r->selector || k[2] != r->mtype)
			return 0;
		len = (size_t)k[3] << 24 | (size_t)k[4] << 16 | (size_t)k[5] << 8 | k[6];
		if (len != r->len || (size_t)(end - k - 7) < len || (len && memcmp(k + 7, r->data, len)))
			return 0;
		k += 7 + len;
	}
	return k == end;
}

/* slot_fill - new SSL with the request's enabled records; <0 on OpenSSL failure. */
static int slot_fill(xdane_verifier *v, struct slot *s, const xdane_verify_request *req)
{
	size_t i;
	s->keylen = key_size(req);
	s->key = malloc(s->keylen ? s->keylen : 1);
	s->ssl = SSL_new(v->ctx);
	s->sctx = X509_STORE_CTX_new();
	s->untrusted = sk_X509_new_null();
	if (s->key == NULL || s->ssl == NULL || s->sctx == NULL || s->untrusted == NULL)
		return -1;
	key_write(req, s->key);
	s->uses = req->uses;
	/* No reference names: OpenSSL checks none; identity.c does XMPP names. */
	if (SSL_dane_enable(s->ssl, NULL) <= 0)
		return -1;
	SSL_dane_set_flags(s->ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	s->usable = 0;
	for (i = 0; i < req->nrecords; i++) {
		const xdane_tlsa *r = &req->records[i];
		int rc;
		if (!enabled(r, req->uses))
			continue;
		/* Tri-state: 1 usable, 0 unusable (ignored, RFC 6698 s4.1), <0 error. */
		rc = SSL_dane_tlsa_add(s->ssl, r->usage, r->selector, r->mtype, r->data, r->len);
		if (rc < 0)
			return -1;
		if (rc > 0)
			s->usable++;
	}
	return 1;
}

/* slot_acquire - check out a slot holding the request's records (cached or new). */
static struct slot *slot_acquire(xdane_verifier *v, const xdane_verify_request *req,
                                 struct slot *tmp)
{
	struct slot *s = NULL, *victim = NULL;
	int i;
	pthread_mutex_lock(&v->lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		struct slot *c = &v->slots[i];
		if (c->busy)
			continue;
		if (key_equal(c, req)) {
			s = c;
			break;
		}
		if (victim == NULL || c->stamp < victim->stamp)
			victim = c;
	}
	if (s == NULL && victim != NULL) {
		/* Busy keeps other threads off the slot while we refill it unlocked. */
		s = victim;
		s->busy = 1;
		pthread_mutex_unlock(&v->lock);
		slot_clear(s);
		if (slot_fill(v, s, req) < 0) {
			slot_clear(s);
			pthread_mutex_lock(&v->lock);
			s->busy = 0;
			pthread_mutex_unlock(&v->lock);
			return NULL;
		}
		pthread_mutex_lock(&v->lock);
	}
	if (s != NULL) {
		s->busy = 1;
		s->stamp = ++v->clock;
		pthread_mutex_unlock(&v->lock);
		return s;
	}
	pthread_mutex_unlock(&v->lock);
	/* Every slot busy (other threads): a private slot, freed after use. */
	memset(tmp, 0, sizeof *tmp);
	if (slot_fill(v, tmp, req) < 0) {
		slot_clear(tmp);
		return NULL;
	}
	return tmp;
}

/* slot_release - give a slot back (or free a private one). */
static void slot_release(xdane_verifier *v, struct slot *s, struct slot *tmp)
{
	if (s == tmp) {
		slot_clear(tmp);
		return;
	}
	pthread_mutex_lock(&v->lock);
	s->busy = 0;
	pthread_mutex_unlock(&v->lock);
}

/* ensure_store - load the system CA store the first time PKIX usages need it. */
static void ensure_store(xdane_verifier *v)
{
	pthread_mutex_lock(&v->lock);
	if (v->store_state == 0) {
		/* A missing system store is not fatal: PKIX then never validates. */
		(void)SSL_CTX_set_default_verify_paths(v->ctx);
		v->store_state = 1;
	}
	pthread_mutex_unlock(&v->lock);
}

/* find_record - lowest index of the request record equal to the matched one. */
static int find_record(const xdane_verify_request *req, uint8_t u, uint8_t sel, uint8_t m,
                       const unsigned char *data, size_t dlen)
{
	size_t i;
	for (i = 0; i < req->nrecords; i++) {
		const xdane_tlsa *r = &req->records[i];
		if (enabled(r, req->uses) && r->usage == u && r->selector == sel && r->mtype == m &&
		    r->len == dlen && (dlen == 0 || memcmp(r->data, data, dlen) == 0))
			return (int)i;
	}
	return -1;
}

/* dates_ok - notBefore <= now <= notAfter for chain depths 0..top; sets *err. */
static int dates_ok(STACK_OF(X509) *chain, int top, int *err)
{
	time_t now = time(NULL);
	int d;
	for (d = 0; d <= top && d < sk_X509_num(chain); d++) {
		X509 *x = sk_X509_value(chain, d);
		/* ASN1_TIME_cmp_time_t parses in place: no allocation, unlike X509_cmp_time. */
		int nb = ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), now);
		int na = ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), now);
		if (nb == -2 || na == -2) {
			*err = nb == -2 ? X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD
			                : X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
			return 0;
		}
		if (nb > 0) {
			*err = X509_V_ERR_CERT_NOT_YET_VALID;
			return 0;
		}
		if (na < 0) {
			*err = X509_V_ERR_CERT_HAS_EXPIRED;
			return 0;
		}
	}
	return 1;
}

/* names_list - "a, b" of the reference names for messages. */
static void names_list(const xdane_verify_request *req, char *buf, size_t len)
{
	size_t i, off = 0;
	buf[0] = '\0';
	for (i = 0; i < req->nnames && off + 1 < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
		                 req->names[i] ? req->names[i] : "");
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (req->nnames == 0)
		snprintf(buf, len, "none given");
}

/*
 * run_openssl - X509_verify_cert on the slot; fills the match fields of res.
 *
 * fast: OpenSSL's own date checks are off and we check the dates of the
 * verified chain ourselves, which is cheaper (X509_cmp_time allocates) and
 * applies our trust-anchor policy: every certificate below a DANE-TA anchor,
 * every certificate of a PKIX chain, none for DANE-EE. Returns 1 OK, 0 not
 * OK, 2 OK except for our date check (the caller retries with OpenSSL's
 * dates on, whose issuer search prefers valid certificates), <0 error.
 */
static int run_openssl(xdane_verifier *v, struct slot *s, const xdane_verify_request *req,
                       xdane_result *res, int fast, int *err)
{
	X509_VERIFY_PARAM *param;
	X509 *mcert = NULL;
	EVP_PKEY *mspki = NULL;
	size_t i;
	int ok, depth, dated = 0;
	uint8_t u, sel, m;
	const unsigned char *data;
	size_t dlen;

	res->record = res->usage = res->depth = -1; /* only this run's match counts */
	sk_X509_zero(s->untrusted);
	for (i = 1; i < req->chain_len; i++)
		if (!sk_X509_push(s->untrusted, req->chain[i]))
			return -1;
	if (!X509_STORE_CTX_init(s->sctx, SSL_CTX_get_cert_store(v->ctx), req->chain[0], s->untrusted))
		return -1;
	X509_STORE_CTX_set_ex_data(s->sctx, SSL_get_ex_data_X509_STORE_CTX_idx(), s->ssl);
	X509_STORE_CTX_set_default(s->sctx, "ssl_server");
	param = X509_STORE_CTX_get0_param(s->sctx);
	if (req->role == XDANE_ROLE_CLIENT)
		X509_VERIFY_PARAM_set_purpose(param, X509_PURPOSE_ANY); /* EKU checked on the leaf */
	X509_VERIFY_PARAM_set_auth_level(param, SSL_get_security_level(s->ssl));
	if (fast)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
	X509_STORE_CTX_set0_dane(s->sctx, SSL_get0_dane(s->ssl));
	ok = X509_verify_cert(s->sctx);
	*err = X509_STORE_CTX_get_error(s->sctx);
	if (ok < 0 || *err == X509_V_ERR_OUT_OF_MEM) {
		X509_STORE_CTX_cleanup(s->sctx);
		return -1;
	}
	/* The match is reported only under an OK result: set it to read the depth
	 * even after a failure (for the reason and the logs). */
	SSL_set_verify_result(s->ssl, X509_V_OK);
	/* A leaf key below the security level makes X509_verify_cert return
	 * before dane_verify(), which is what resets the match state: on this
	 * cached SSL the state is then the previous chain's. No match was
	 * evaluated for this chain, so none is read (same as a fresh slot). */
	depth = *err == X509_V_ERR_EE_KEY_TOO_SMALL ? -1
	                                            : SSL_get0_dane_authority(s->ssl, &mcert, &mspki);
	if (depth >= 0 && SSL_get0_dane_tlsa(s->ssl, &u, &sel, &m, &data, &dlen) >= 0) {
		res->record = find_record(req, u, sel, m, data, dlen);
		res->usage = u;
		/* A bare key (2 1 0) is reported at the certificate it signed; report
		 * the depth its anchor occupies, one above, as for 2 0 0. */
		res->depth = depth >= 0 && mspki != NULL ? depth + 1 : depth;
	}
	if (res->usage == XDANE_USAGE_DANE_TA && mspki != NULL && depth == 0 &&
	    EVP_PKEY_eq(mspki, X509_get0_pubkey(req->chain[0])) == 1) {
		/* OpenSSL accepts a bare 2 1 0 key that signed the top certificate,
		 * even when that is a lone self-signed leaf and the key its own. A
		 * DANE-TA record never matches the leaf (xdane_verify.h; OpenSSL
		 * itself tests TA records at depth >= 1 only, so 2 0 0, 2 1 1 of
		 * the same key are no match): same verdict for every form. */
		res->record = res->usage = res->depth = -1;
		ok = 0;
		*err = X509_V_ERR_DANE_NO_MATCH;
	}
	if (fast && ok == 1 && *err == X509_V_OK && res->usage >= 0 && res->usage != XDANE_USAGE_DANE_EE) {
		STACK_OF(X509) *chain = X509_STORE_CTX_get0_chain(s->sctx);
		/* The anchor's own dates do not count (policy at the top of this file). */
		int top = res->usage == XDANE_USAGE_DANE_TA ? res->depth - 1 : sk_X509_num(chain) - 1;
		if (!dates_ok(chain, top, err))
			dated = 1;
	}
	X509_STORE_CTX_cleanup(s->sctx);
	SSL_set_verify_result(s->ssl, *err);
	if (dated)
		return 2;
	return ok == 1 && *err == X509_V_OK;
}

/* fail - set a negative verdict. */
static int fail(xdane_result *res, int reason, const char *fmt, const char *a, const char *b)
{
	res->reason = reason;
	snprintf(res->detail, sizeof res->detail, fmt, a ? a : "", b ? b : "");
	return 0;
}

/* verify_inner - xdane_verify without the error-queue bracket. */
static int verify_inner(const xdane_verifier *cv, const xdane_verify_request *req, xdane_result *res)
{
	xdane_verifier *v = (xdane_verifier *)cv; /* the cache is internal state */
	struct slot tmp, *s;
	size_t i, candidates = 0;
	int rc, err = 0, pkix = 0, usable, dates_failed = 0;
	char names[100], what[128], buf[32];
	const char *uname;

	memset(res, 0, sizeof *res);
	res->record = res->usage = res->depth = -1;
	if (v == NULL || req == NULL || (req->nrecords > 0 && req->records == NULL) ||
	    (req->nnames > 0 && req->names == NULL)) {
		snprintf(res->detail, sizeof res->detail, "bad verification request");
		return -1;
	}
	if (req->chain == NULL || req->chain_len == 0 || req->chain_len > MAX_CHAIN)
		return fail(res, XDANE_REASON_MALFORMED_CHAIN, "malformed chain: %s%s",
		            req->chain_len > MAX_CHAIN ? "too many certificates" : "no certificate", NULL);
	for (i = 0; i < req->chain_len; i++)
		if (req->chain[i] == NULL)
			return fail(res, XDANE_REASON_MALFORMED_CHAIN, "malformed chain: %s%s",
			            "missing certificate", NULL);
	for (i = 0; i < req->nrecords; i++) {
		if (!enabled(&req->records[i], req->uses))
			continue;
		candidates++;
		if (req->records[i].usage <= XDANE_USAGE_PKIX_EE)
			pkix = 1;
	}
	if (candidates == 0) {
		snprintf(buf, sizeof buf, "%zu", req->nrecords);
		return fail(res, XDANE_REASON_NO_USABLE, "no usable TLSA records (%s published)%s", buf, NULL);
	}
	if (pkix)
		ensure_store(v);

	s = slot_acquire(v, req, &tmp);
	if (s == NULL) {
		snprintf(res->detail, sizeof res->detail, "out of memory setting up DANE verification");
		return -1;
	}
	usable = s->usable;
	res->usable = usable;
	rc = usable > 0 ? run_openssl(v, s, req, res, 1, &err) : 0;
	if (rc == 2) {
		/* A certificate on the chain OpenSSL built has bad dates. Rebuild with
		 * its date checks on, which prefer valid issuers when the peer sent
		 * alternatives; accept only a clean result. */
		xdane_result first = *res;
		int err2 = 0, rc2 = run_openssl(v, s, req, res, 0, &err2);
		if (rc2 == 1) {
			rc = 1;
			err = err2;
		} else {
			*res = first;
			rc = rc2 < 0 ? rc2 : 0;
			dates_failed = 1;
		}
	}
	slot_release(v, s, &tmp);
	res->x509_error = err;

	if (rc < 0) {
		snprintf(res->detail, sizeof res->detail, "internal error in OpenSSL verification");
		return -1;
	}
	snprintf(buf, sizeof buf, "%d", usable);
	if (usable == 0)
		return fail(res, XDANE_REASON_NO_USABLE, "no usable TLSA records (%s usable)%s", buf, NULL);
	uname = res->usage >= 0 ? xdane_usage_name(res->usage) : "";
	if (rc == 0 && dates_failed)
		return fail(res, res->usage == XDANE_USAGE_DANE_TA ? XDANE_REASON_CHAIN_INVALID
		                                                  : XDANE_REASON_PKIX_FAILED,
		            "%s: %s", res->usage == XDANE_USAGE_DANE_TA ? "chain invalid below the trust anchor"
		                                                       : "PKIX validation failed",
		            X509_verify_cert_error_string(err));
	if (rc == 0) {
		const char *e = X509_verify_cert_error_string(err);
		if (err == X509_V_ERR_DANE_NO_MATCH) {
			res->record = res->usage = res->depth = -1;
			return fail(res, XDANE_REASON_NO_MATCH, "no usable TLSA record matches (%s usable)%s",
			            buf, NULL);
		}
		if (res->usage == XDANE_USAGE_DANE_TA || (res->usage < 0 && !pkix))
			return fail(res, XDANE_REASON_CHAIN_INVALID, "chain invalid below the trust anchor: %s%s",
			            e, NULL);
		return fail(res, XDANE_REASON_PKIX_FAILED, "PKIX validation failed: %s%s", e, NULL);
	}
	if (res->usage < 0 || res->depth < 0) {
		snprintf(res->detail, sizeof res->detail, "OpenSSL verified but reported no DANE match");
		return -1;
	}
	if (res->usage != XDANE_USAGE_DANE_EE) {
		/* DANE-TA and PKIX: purpose for incoming, then XMPP names (RFC 7673 s4.2). */
		if (req->role == XDANE_ROLE_CLIENT && !xdane_eku_s2s_ok(req->chain[0])) {
			res->x509_error = X509_V_ERR_INVALID_PURPOSE;
			return fail(res, res->usage == XDANE_USAGE_DANE_TA ? XDANE_REASON_CHAIN_INVALID
			                                                  : XDANE_REASON_PKIX_FAILED,
			            "leaf certificate has neither serverAuth nor clientAuth EKU%s%s", NULL, NULL);
		}
		rc = xdane_identity_match(req->chain[0], req->names, req->nnames, what, sizeof what);
		if (rc < 0) {
			snprintf(res->detail, sizeof res->detail, "out of memory checking names");
			return -1;
		}
		if (rc == 0) {
			names_list(req, names, sizeof names);
			return fail(res, XDANE_REASON_NAME_MISMATCH,
			            "%s matched but the certificate names none of: %s", uname, names);
		}
	}
	res->reason = XDANE_REASON_NONE;
	snprintf(res->detail, sizeof res->detail, "%s record #%d matched at depth %d%s%.90s",
	         uname, res->record + 1, res->depth,
	         res->usage == XDANE_USAGE_DANE_EE ? "" : ", identity ",
	         res->usage == XDANE_USAGE_DANE_EE ? "" : what);
	return 1;
}

/* xdane_verify - decide whether the chain is authenticated by the records. */
int xdane_verify(const xdane_verifier *v, const xdane_verify_request *req, xdane_result *res)
{
	int rc;
	/* Leave no stale OpenSSL errors behind: the host's TLS code (LuaSec)
	 * reads the same per-thread queue after its own calls. */
	ERR_set_mark();
	rc = verify_inner(v, req, res);
	ERR_pop_to_mark();
	return rc;
}

/* xdane_chain_from_pem - every certificate in PEM text, other text ignored. */
int xdane_chain_from_pem(const char *pem, size_t len, struct x509_st ***chain)
{
	BIO *bio;
	X509 **list = NULL, *x;
	int n = 0, cap = 0, rc;
	unsigned long e;

	*chain = NULL;
	if (pem == NULL || len == 0 || len > 0x7fffffff)
		return 0;
	ERR_set_mark();
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		ERR_pop_to_mark();
		return -1;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (n == cap) {
			X509 **nl = realloc(list, (size_t)(cap = cap ? cap * 2 : 4) * sizeof *nl);
			if (nl == NULL) {
				X509_free(x);
				xdane_chain_free(list, (size_t)n);
				BIO_free(bio);
				ERR_pop_to_mark();
				return -1;
			}
			list = nl;
		}
		list[n++] = x;
	}
	/* The loop ends at "no more PEM blocks", or at a block that does not decode:
	 * then the whole input is refused rather than silently shortened. */
	e = ERR_peek_last_error();
	rc = n;
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)) {
		xdane_chain_free(list, (size_t)n);
		list = NULL;
		rc = 0;
	}
	BIO_free(bio);
	ERR_pop_to_mark();
	*chain = list;
	return rc;
}

/* xdane_chain_free - free a chain from xdane_chain_from_pem. */
void xdane_chain_free(struct x509_st **chain, size_t n)
{
	size_t i;
	if (chain == NULL)
		return;
	for (i = 0; i < n; i++)
		X509_free(chain[i]);
	free(chain);
}
