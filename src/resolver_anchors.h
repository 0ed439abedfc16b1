/* SPDX-License-Identifier: MIT */
/*
 * resolver_anchors.h - cache of validated DNSKEY sets, reused as trust
 * anchors (private).
 *
 * getdns 1.6 in stub mode keeps no state between requests: every request
 * fetches and re-verifies the whole chain from the root (about eight
 * signature checks for a name three zones down). When a request comes back
 * SECURE with records, every DNSKEY set on the path from the configured
 * anchor to the signer of the answer has been validated by getdns (the
 * answer could not be secure otherwise); we keep those sets (from the
 * dnssec_return_validation_chain extension) for at most their TTL (capped)
 * and give them to getdns as additional trust anchors, so later requests
 * start validating at the closest cached zone, as a validating resolver's
 * key cache does.
 *
 * Safety: keys only enter from a SECURE positive answer without CNAME/DNAME
 * whose RRSIG signer is an ancestor-or-self of the query name, and only keys
 * whose owner is an ancestor-or-self of that signer, below the anchor getdns
 * used, and only a set that validates whole from the anchors getdns held
 * (the validation chain also carries unvalidated RRsets). They expire with their
 * TTL (at most XDANE_KEY_TTL_MAX). A bogus or validation-indeterminate answer
 * under a cached key drops the covering keys and is retried once from the
 * configured anchors alone (a key rollover must never turn into bogus).
 */
#ifndef XDANE_RESOLVER_ANCHORS_H
#define XDANE_RESOLVER_ANCHORS_H

#include <stdint.h>
#include <getdns/getdns.h>

#define XDANE_KEY_TTL_MAX 3600u
/* zones kept; signer zones are what the offline path uses */
#define XDANE_KEY_CACHE_MAX 128
/* Every change of the anchor set hands it whole to getdns, which also scans
 * it for every validation: only the shallowest zones go there. */
#define XDANE_KEY_ANCHORS_MAX 16

typedef struct xdane_keycache xdane_keycache;

/* xdane_keycache_new - over the configured anchors (copied); NULL on OOM. */
xdane_keycache *xdane_keycache_new(const getdns_list *configured);
void xdane_keycache_free(xdane_keycache *kc);

/*
 * xdane_keycache_learn - take the validated DNSKEY sets of a SECURE response
 * with records (see above). Never touches the getdns context (we may be
 * inside getdns). Returns the number of zones learned or refreshed.
 */
int xdane_keycache_learn(xdane_keycache *kc, const getdns_dict *resp, int qtype, const char *qname, uint64_t now_ms);

/* xdane_keycache_covers - 1 if a cached key's zone is an ancestor-or-self of qname. */
int xdane_keycache_covers(const xdane_keycache *kc, const char *qname);

/* xdane_keycache_drop - forget every cached key covering qname; returns how many. */
int xdane_keycache_drop(xdane_keycache *kc, const char *qname);

/*
 * xdane_keycache_apply - if the anchor set changed (learned, dropped or
 * expired), give getdns the configured anchors plus the keys of the
 * shallowest XDANE_KEY_ANCHORS_MAX live cached path zones.
 * Call only outside getdns. Returns 1 applied, 0 nothing to do, <0 error.
 */
int xdane_keycache_apply(xdane_keycache *kc, getdns_context *ctx, uint64_t now_ms);

/*
 * xdane_keycache_signer_zone - if the deepest live cached zone covering
 * qname signed an earlier secure answer, copy its name to zone (256 bytes)
 * and return 1: qname is probably in that zone (offline validation).
 */
int xdane_keycache_signer_zone(const xdane_keycache *kc, const char *qname, uint64_t now_ms, char *zone);

/* xdane_keycache_deepest_zone - the deepest live cached zone covering qname into zone (256 bytes); 0 if none. */
int xdane_keycache_deepest_zone(const xdane_keycache *kc, const char *qname, uint64_t now_ms, char *zone);

/*
 * xdane_keycache_store_zone - keep zone's DNSKEY set from dnskey_resp (a
 * getdns response) after it validated an answer of that zone from a cached
 * zone above (resolver_offline.h), for min(TTL, XDANE_KEY_TTL_MAX, RRSIG
 * expiry); zone becomes a signer zone. Returns 1 if stored.
 */
int xdane_keycache_store_zone(xdane_keycache *kc, const char *zone, const getdns_dict *dnskey_resp, uint64_t now_ms);

/* xdane_keycache_zone_keys - the live DNSKEY set of exactly zone, or NULL (owned by the cache). */
const getdns_list *xdane_keycache_zone_keys(const xdane_keycache *kc, const char *zone, uint64_t now_ms);

/* xdane_keycache_forget_zone - drop exactly zone's keys (they failed to validate its answer); 1 if dropped. */
int xdane_keycache_forget_zone(xdane_keycache *kc, const char *zone);

/* xdane_keycache_count - zones with live cached keys. */
size_t xdane_keycache_count(const xdane_keycache *kc);

/* xdane_zone_covers - zone ("" = root) is an ancestor-or-self of name (both lowercase, no trailing dot). */
int xdane_zone_covers(const char *zone, const char *name);

#endif
