/* SPDX-License-Identifier: MIT */
/*
 * xdane_verify.h - authenticate a received certificate chain against TLSA
 * records (RFC 6698, RFC 7671, RFC 7673 for XMPP), offline, through
 * OpenSSL's DANE machinery.
 *
 * Certificates are OpenSSL X509 objects the caller already holds (LuaSec's
 * certificate objects carry them): the verifier never re-decodes a chain.
 * xdane_chain_from_pem() exists for callers that only have PEM text.
 */
#ifndef XDANE_VERIFY_H
#define XDANE_VERIFY_H

#include <stddef.h>
#include "xdane_tlsa.h"

#ifdef __cplusplus
extern "C" {
#endif

struct x509_st; /* OpenSSL's X509 */

typedef struct xdane_verifier xdane_verifier;

/*
 * xdane_verifier_new - shared verification context (an SSL_CTX with DANE)
 *
 * ca_file: PEM bundle for the PKIX usages; NULL means OpenSSL's default
 * system store; "" means no store (PKIX usages then never authenticate).
 * Returns NULL with a message in err on failure. Reference-counted: _ref
 * adds a reference, _free drops one; _free(NULL) is a no-op.
 */
xdane_verifier *xdane_verifier_new(const char *ca_file, char *err, size_t errlen);
xdane_verifier *xdane_verifier_ref(xdane_verifier *v);
void xdane_verifier_free(xdane_verifier *v);

/* Why a chain was not authenticated. */
enum xdane_reason {
	XDANE_REASON_NONE = 0,          /* authenticated */
	XDANE_REASON_NO_USABLE = 1,     /* no usable record: DANE does not decide */
	XDANE_REASON_NO_MATCH = 2,      /* usable records, none matched */
	XDANE_REASON_NAME_MISMATCH = 3, /* TA/PKIX matched, no reference name in the cert */
	XDANE_REASON_CHAIN_INVALID = 4, /* DANE-TA matched, chain below it invalid */
	XDANE_REASON_PKIX_FAILED = 5,   /* PKIX usages: chain not PKIX-valid */
	XDANE_REASON_MALFORMED_CHAIN = 6 /* empty chain or NULL certificate */
};

/*
 * Which peer role the chain belongs to (chooses the X.509 purpose for the
 * DANE-TA and PKIX chain checks; DANE-EE ignores EKU). SERVER: OpenSSL's
 * "ssl_server" purpose. CLIENT: no clientAuth requirement, because s2s
 * certificates serve both directions and many carry only serverAuth (Let's
 * Encrypt): the leaf's EKU, when present, must contain serverAuth, clientAuth
 * or anyExtendedKeyUsage.
 */
enum xdane_role {
	XDANE_ROLE_SERVER = 0, /* we connected out: the peer is the TLS server */
	XDANE_ROLE_CLIENT = 1  /* incoming s2s: the peer is the TLS client */
};

typedef struct xdane_verify_request {
	const xdane_tlsa *records;
	size_t nrecords;
	unsigned uses;                    /* bit set, see XDANE_USES_DEFAULT */
	struct x509_st *const *chain;     /* as received, leaf first */
	size_t chain_len;
	const char *const *names;         /* reference identifiers: service domain, SRV target(s) */
	size_t nnames;
	int role;                         /* enum xdane_role */
} xdane_verify_request;

typedef struct xdane_result {
	int reason;          /* enum xdane_reason */
	int usable;          /* number of usable records */
	int record;          /* index into records of the matched record, or -1 */
	int usage;           /* usage of the matched record, or -1 */
	int depth;           /* chain depth of the match (0 = leaf), or -1; for a bare
	                        2 1 0 key, the depth its anchor would occupy */
	int x509_error;      /* OpenSSL verify error code, 0 if none */
	char detail[160];    /* human-readable reason or match description */
} xdane_result;

/*
 * xdane_verify - decide whether the chain is authenticated by the records
 *
 * Returns 1 authenticated (res->record/usage/depth set), 0 not authenticated
 * (res->reason says why; XDANE_REASON_NO_USABLE means DANE does not apply),
 * <0 internal error (res->detail holds the message). Never depends on record
 * order. res must not be NULL. The chain's X509 objects are only borrowed.
 *
 * Semantics: DANE-EE matches the leaf and ignores names, dates, EKU and
 * issuer. DANE-TA matches a certificate at depth >= 1 (never the leaf), a
 * 2 0 0 certificate or a 2 1 0 key from DNS; the anchor's own dates are
 * ignored, every certificate below it must be valid (dates, signatures,
 * basicConstraints), and the leaf must carry a reference name (DNS-ID with
 * a left-most wildcard, SRV-ID "_xmpp-server.<name>", XmppAddr, or the CN
 * when it has none of these). PKIX usages need a PKIX-valid chain from the
 * verifier's store, a match and a name. Digest agility per RFC 7671 s9.
 * Thread-safe: one verifier may serve many threads; it caches a few OpenSSL
 * objects per record set, so repeated checks of the same records are cheap.
 * OpenSSL's error queue is left as it was.
 */
int xdane_verify(const xdane_verifier *v, const xdane_verify_request *req, xdane_result *res);

/* xdane_reason_text - short stable text for a reason ("no usable records", ...). */
const char *xdane_reason_text(int reason);

/*
 * xdane_chain_from_pem - decode every certificate in PEM text (other text ignored)
 *
 * Returns the number of certificates (>0) with *chain a malloc'd array of
 * X509 pointers, 0 if none was found, <0 on OOM. Free with xdane_chain_free.
 */
int xdane_chain_from_pem(const char *pem, size_t len, struct x509_st ***chain);
void xdane_chain_free(struct x509_st **chain, size_t n);

#ifdef __cplusplus
}
#endif
#endif
