/* SPDX-License-Identifier: MIT */
/*
 * identity.h - XMPP server identities in certificates (RFC 6120 s13.7.1.2,
 * RFC 6125 s6): DNS-ID with a left-most wildcard label, SRV-ID
 * "_xmpp-server.<domain>", XmppAddr, and the leaf's extended key usage.
 * Private to the core; OpenSSL's X509_check_host knows only DNS names.
 */
#ifndef XDANE_IDENTITY_H
#define XDANE_IDENTITY_H

#include <stddef.h>
#include <openssl/x509.h>

/*
 * xdane_identity_match - does cert carry an XMPP server identity for any of
 * the reference names (service domain, SRV targets)?
 *
 * Returns 1 with a description of the matching identifier in what (e.g.
 * "DNS-ID *.example.net"), 0 when none matches (or names is empty), <0 when
 * the subjectAltName cannot be read (out of memory). The subject CN is used
 * only when the certificate has no DNS-ID, SRV-ID or XmppAddr at all.
 */
int xdane_identity_match(X509 *cert, const char *const *names, size_t nnames, char *what,
                         size_t whatlen);

/*
 * xdane_dnsid_match - RFC 6125 s6.4 DNS-ID comparison of a presented name
 * (length n, may be a "*.rest" wildcard) with a reference name; 1 or 0.
 */
int xdane_dnsid_match(const char *presented, size_t n, const char *reference);

/*
 * xdane_eku_s2s_ok - extended key usage of a server-to-server peer: absent,
 * or containing serverAuth, clientAuth or anyExtendedKeyUsage. 1 ok, 0 not.
 */
int xdane_eku_s2s_ok(X509 *cert);

#endif
