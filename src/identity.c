/* SPDX-License-Identifier: MIT */
/*
 * identity.c - XMPP server identity checks for DANE-TA and PKIX matches
 * (RFC 7671 s5.2, RFC 7673 s4.2: names are checked; DANE-EE never gets here).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>
#include "identity.h"

#define SRV_PREFIX "_xmpp-server."

/* refname_len - reference name without one trailing dot; returns its length. */
static size_t refname_len(const char *ref)
{
	size_t n = strlen(ref);
	if (n > 0 && ref[n - 1] == '.')
		n--;
	return n;
}

/* xdane_dnsid_match - RFC 6125 s6.4.3: "*" only as the whole left-most label. */
int xdane_dnsid_match(const char *p, size_t n, const char *reference)
{
	size_t rn = refname_len(reference);
	const char *dot;

	if (n == 0 || rn == 0 || memchr(p, '\0', n) != NULL)
		return 0; /* embedded NUL: a classic spoofing trick */
	if (p[n - 1] == '.')
		n--;
	if (n >= 2 && p[0] == '*' && p[1] == '.') {
		const char *rest = p + 2;
		size_t restn = n - 2;
		/* At least two labels after the wildcard: no "*.net". */
		if (restn == 0 || memchr(rest, '.', restn) == NULL || memchr(rest, '*', restn) != NULL)
			return 0;
		dot = memchr(reference, '.', rn);
		if (dot == NULL || dot == reference)
			return 0; /* the wildcard matches exactly one non-empty label */
		return (size_t)(reference + rn - (dot + 1)) == restn &&
		       strncasecmp(dot + 1, rest, restn) == 0;
	}
	if (memchr(p, '*', n) != NULL)
		return 0; /* partial wildcards ("x*.example") are not supported */
	return rn == n && strncasecmp(p, reference, n) == 0;
}

/* match_any - the presented identifier of a given kind against every name. */
static int match_any(int kind, const char *p, size_t n, const char *const *names, size_t nnames)
{
	size_t i;
	for (i = 0; i < nnames; i++) {
		const char *ref = names[i];
		size_t rn;
		if (ref == NULL || strchr(ref, '*') != NULL)
			continue; /* a reference identifier is never a pattern */
		rn = refname_len(ref);
		if (rn == 0 || n == 0 || ref[0] == '.' || ref[rn - 1] == '.')
			continue; /* "", ".", ".." name nothing: never a match (e.g. an empty XmppAddr) */
		if (kind == GEN_DNS) {
			if (xdane_dnsid_match(p, n, ref))
				return 1;
		} else if (kind == NID_SRVName) {
			/* SRV-ID "_xmpp-server.<domain>", no wildcards (RFC 6125 s6.5.1). */
			size_t pl = sizeof SRV_PREFIX - 1;
			if (n > pl && strncasecmp(p, SRV_PREFIX, pl) == 0 && n - pl == rn &&
			    strncasecmp(p + pl, ref, rn) == 0)
				return 1;
		} else if (n == rn && strncasecmp(p, ref, rn) == 0) {
			return 1; /* XmppAddr: a bare domain JID */
		}
	}
	return 0;
}

/* describe - what = "<kind> <value>" for logs. */
static void describe(char *what, size_t whatlen, const char *kind, const char *p, size_t n)
{
	if (what != NULL && whatlen > 0)
		snprintf(what, whatlen, "%s %.*s", kind, (int)(n > 100 ? 100 : n), p);
}

/* xdane_identity_match - DNS-ID, SRV-ID, XmppAddr, then CN fallback. */
int xdane_identity_match(X509 *cert, const char *const *names, size_t nnames, char *what,
                         size_t whatlen)
{
	GENERAL_NAMES *sans;
	int i, crit = -1, seen = 0, found = 0;

	if (nnames == 0)
		return 0;
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, &crit, NULL);
	if (sans == NULL && crit == -2)
		return 0; /* several SAN extensions: malformed, match nothing */
	for (i = 0; !found && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		if (gn->type == GEN_DNS) {
			ASN1_IA5STRING *s = gn->d.dNSName;
			seen = 1;
			if (match_any(GEN_DNS, (const char *)s->data, (size_t)s->length, names, nnames)) {
				describe(what, whatlen, "DNS-ID", (const char *)s->data, (size_t)s->length);
				found = 1;
			}
		} else if (gn->type == GEN_OTHERNAME) {
			int nid = OBJ_obj2nid(gn->d.otherName->type_id);
			ASN1_TYPE *v = gn->d.otherName->value;
			ASN1_STRING *s;
			if (nid == NID_SRVName && v->type == V_ASN1_IA5STRING)
				s = v->value.ia5string;
			else if (nid == NID_XmppAddr && v->type == V_ASN1_UTF8STRING)
				s = v->value.utf8string;
			else
				continue;
			seen = 1;
			if (memchr(s->data, '\0', (size_t)s->length) != NULL)
				continue;
			if (match_any(nid, (const char *)s->data, (size_t)s->length, names, nnames)) {
				describe(what, whatlen, nid == NID_SRVName ? "SRV-ID" : "XmppAddr",
				         (const char *)s->data, (size_t)s->length);
				found = 1;
			}
		}
	}
	GENERAL_NAMES_free(sans);
	if (!found && !seen) {
		/* RFC 6120 s13.7.1.2 / Prosody: the most specific CN, only without SAN identities. */
		X509_NAME *subj = X509_get_subject_name(cert);
		int last = -1, pos = -1;
		while ((pos = X509_NAME_get_index_by_NID(subj, NID_commonName, pos)) >= 0)
			last = pos;
		if (last >= 0) {
			ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, last));
			unsigned char *utf8 = NULL;
			int len = ASN1_STRING_to_UTF8(&utf8, cn);
			if (len < 0)
				return -1;
			if (match_any(GEN_DNS, (const char *)utf8, (size_t)len, names, nnames)) {
				describe(what, whatlen, "CN", (const char *)utf8, (size_t)len);
				found = 1;
			}
			OPENSSL_free(utf8);
		}
	}
	return found;
}

/* xdane_eku_s2s_ok - s2s certificates serve both directions: either TLS EKU will do. */
int xdane_eku_s2s_ok(X509 *cert)
{
	uint32_t xku;
	if (!(X509_get_extension_flags(cert) & EXFLAG_XKUSAGE))
		return 1;
	xku = X509_get_extended_key_usage(cert);
	return (xku & (XKU_SSL_SERVER | XKU_SSL_CLIENT | XKU_ANYEKU)) != 0;
}
