/* SPDX-License-Identifier: MIT */
/*
 * xdane_resolver.h - DNSSEC-validated SRV and TLSA lookups (getdns 1.6 stub
 * mode, validating by itself) with a shared TTL cache.
 *
 * Every answer carries exactly one status. Bogus and indeterminate are never
 * reported as "no records": only a SECURE answer with count == 0 is a proven
 * absence (NODATA or NXDOMAIN).
 */
#ifndef XDANE_RESOLVER_H
#define XDANE_RESOLVER_H

#include <stddef.h>
#include <stdint.h>
#include "xdane_tlsa.h"
#include "xdane_evloop.h"

#ifdef __cplusplus
extern "C" {
#endif

enum xdane_dns_status {
	XDANE_DNS_SECURE = 1,        /* validated: records, or a secure NODATA/NXDOMAIN */
	XDANE_DNS_INSECURE = 2,      /* provably unsigned (incl. NSEC3 opt-out) */
	XDANE_DNS_BOGUS = 3,         /* validation failed */
	XDANE_DNS_INDETERMINATE = 4  /* SERVFAIL, REFUSED, timeout, network error, malformed */
};

typedef struct xdane_srv {
	uint16_t priority, weight, port;
	char target[256]; /* presentation form without trailing dot; "." = no service */
} xdane_srv;

typedef struct xdane_answer {
	int status;        /* enum xdane_dns_status */
	int rcode;         /* DNS rcode of the final reply, -1 if none (timeout) */
	int qtype;         /* 33 SRV, 52 TLSA */
	char qname[256];   /* owner queried, e.g. "_5269._tcp.xmpp.example.net" */
	const char *why;   /* static text for non-secure outcomes: "SERVFAIL", "timeout", ... or NULL */
	uint32_t ttl;      /* remaining cache lifetime in seconds */
	int cached;        /* 1 if served from the cache */
	size_t count;      /* records of the queried type (0 for absence and failures) */
	xdane_srv *srv;    /* count entries when qtype == 33, RFC 2782 order */
	xdane_tlsa *tlsa;  /* count entries when qtype == 52 */
} xdane_answer;

/* Answers are shared and immutable; keep one past its callback with _ref. */
const xdane_answer *xdane_answer_ref(const xdane_answer *a);
void xdane_answer_unref(const xdane_answer *a);

/* Called exactly once per lookup unless cancelled, never from inside getdns,
 * never synchronously from xdane_lookup_*: always from a later loop callback. */
typedef void (*xdane_lookup_cb)(const xdane_answer *answer, void *userarg);

typedef struct xdane_resolver_config {
	const char *const *upstreams; /* "127.0.0.1", "127.0.0.1:5353", "[::1]:53"; NULL = /etc/resolv.conf */
	size_t nupstreams;
	const char *trust_anchor_file; /* DS/DNSKEY zone-format file; NULL = /usr/share/dns/root.key */
	unsigned timeout_ms;           /* per lookup; 0 = 5000 */
	size_t cache_max;              /* max cached answers; 0 = 10000 */
	unsigned max_inflight;         /* max getdns queries in flight; 0 = 64 */
	const char *appdata_dir;       /* writable dir for getdns; NULL = getdns' default (unused: no anchor fetching) */
	int no_key_cache;              /* 1: do not reuse validated DNSKEY sets as trust anchors (see resolver_anchors.c) */
} xdane_resolver_config;

typedef struct xdane_resolver xdane_resolver;

/*
 * xdane_resolver_new - resolver running in the host loop
 *
 * cfg may be NULL for all defaults. ops is copied. Returns NULL with a message
 * in err (e.g. "cannot read trust anchor file ...", "bad upstream ...").
 */
xdane_resolver *xdane_resolver_new(const xdane_resolver_config *cfg, const xdane_host_ops *ops,
                                   char *err, size_t errlen);

/*
 * xdane_resolver_free - cancel every lookup (callbacks do not run), release
 * all host registrations, free everything. Safe with lookups in flight and
 * from inside a lookup callback (the free is then deferred). NULL is a no-op.
 */
void xdane_resolver_free(xdane_resolver *r);

/*
 * xdane_lookup_srv / xdane_lookup_tlsa - start an asynchronous lookup
 *
 * SRV: "_xmpp-server._tcp.<domain>" (direct_tls = 0) or
 * "_xmpps-server._tcp.<domain>" (direct_tls = 1). TLSA: "_<port>._tcp.<host>".
 * Unicode domains are converted to A-labels. Returns a lookup id > 0, 0 for
 * an invalid name (err set), <0 internal error (out of memory, the host loop
 * refused the timer that delivers the answer, resolver closing; err set).
 */
int64_t xdane_lookup_srv(xdane_resolver *r, const char *domain, int direct_tls,
                         xdane_lookup_cb cb, void *userarg, char *err, size_t errlen);
int64_t xdane_lookup_tlsa(xdane_resolver *r, unsigned port, const char *host,
                          xdane_lookup_cb cb, void *userarg, char *err, size_t errlen);

/* xdane_lookup_cancel - the callback of that lookup never runs. 1 cancelled, 0 unknown/finished. */
int xdane_lookup_cancel(xdane_resolver *r, int64_t id);

typedef struct xdane_resolver_stats {
	uint64_t lookups, cache_hits, coalesced, upstream_queries;
	uint64_t by_status[5]; /* indexed by enum xdane_dns_status */
	unsigned in_flight, queued;
	size_t cache_entries;
	size_t keys_cached;          /* validated DNSKEY sets in use as trust anchors */
	uint64_t key_cache_retries;  /* failed answers retried from the configured anchor only */
	uint64_t offline_secure;     /* answers validated offline against a cached zone's keys */
	uint64_t offline_retries;    /* offline answers not provably secure, asked again the full way */
} xdane_resolver_stats;
void xdane_resolver_get_stats(const xdane_resolver *r, xdane_resolver_stats *st);

/* xdane_dns_status_name - "secure", "insecure", "bogus", "indeterminate". */
const char *xdane_dns_status_name(int status);

#ifdef __cplusplus
}
#endif
#endif
