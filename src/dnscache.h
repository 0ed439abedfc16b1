/* SPDX-License-Identifier: MIT */
/*
 * dnscache.h - TTL cache of validated answers shared by all lookups (private).
 *
 * Keyed by (qtype, lowercase qname). Bounded: when full, the least recently
 * used entry goes. Expired entries are dropped when met. The caller decides
 * what is cacheable (secure and insecure answers; bogus and indeterminate
 * never reach the cache).
 */
#ifndef XDANE_DNSCACHE_H
#define XDANE_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>
#include "resolver_answer.h"

typedef struct xdane_dnscache xdane_dnscache;

/* xdane_dnscache_new - cache of at most max entries (max >= 1); NULL on OOM. */
xdane_dnscache *xdane_dnscache_new(size_t max);
void xdane_dnscache_free(xdane_dnscache *c);

/*
 * xdane_dnscache_get - fresh answer for (qtype, qname) or NULL. The answer
 * is borrowed (share or ref it); *remaining gets its remaining lifetime in
 * seconds (rounded up).
 */
const struct xdane_ans *xdane_dnscache_get(xdane_dnscache *c, int qtype, const char *qname, uint64_t now_ms,
                                           uint32_t *remaining);

/*
 * xdane_dnscache_put - cache a for a->pub.ttl seconds from now_ms (takes a
 * reference; replaces an older entry). A TTL of 0 is not cached.
 * Returns 1 cached, 0 not cacheable, <0 OOM.
 */
int xdane_dnscache_put(xdane_dnscache *c, struct xdane_ans *a, uint64_t now_ms);

size_t xdane_dnscache_count(const xdane_dnscache *c);

#endif
