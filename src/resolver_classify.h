/* SPDX-License-Identifier: MIT */
/*
 * resolver_classify.h - one getdns reply to one DNSSEC status (private;
 * exposed for tests/c/test_classify.c).
 *
 * Rcode first, then dnssec_status (getdns-and-openssl.md s2, first match wins):
 *   callback not COMPLETE, or status 902       -> indeterminate
 *   any reply rcode other than 0 / 3           -> indeterminate (SERVFAIL is labelled INSECURE by getdns)
 *   any reply BOGUS                            -> bogus
 *   any reply INDETERMINATE                    -> indeterminate
 *   all SECURE, rcode 0, records of qtype      -> secure, records
 *   all SECURE, rcode 3 or no records of qtype -> secure, absent
 *   otherwise INSECURE (or status 903)         -> insecure
 * Fail-closed additions: no replies, a reply without header/rcode or without
 * dnssec_status (validation not performed), or an undecodable record of the
 * queried type -> indeterminate. Status 904 without replies -> bogus.
 */
#ifndef XDANE_RESOLVER_CLASSIFY_H
#define XDANE_RESOLVER_CLASSIFY_H

#include <getdns/getdns.h>
#include "resolver_answer.h"

/* Longest lifetime given to a cached answer, whatever its TTL (seconds). */
#define XDANE_TTL_MAX 86400u

/*
 * xdane_classify - classify the outcome of one getdns request
 *
 * cbtype is the getdns callback type, resp the response (may be NULL).
 * Returns a new answer with status, rcode, why, ttl (the cache lifetime: the
 * smallest TTL in the answer, or the SOA negative TTL; 0 = do not cache) and
 * the records of qtype (SRV in RFC 2782 order), or NULL when out of memory.
 */
struct xdane_ans *xdane_classify(int cbtype, const getdns_dict *resp, int qtype, const char *qname);

/* xdane_srv_order - sort by priority, then weighted random order within a priority (RFC 2782). */
void xdane_srv_order(xdane_srv *srv, size_t n);

#endif
