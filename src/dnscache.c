/* SPDX-License-Identifier: MIT */
/* dnscache.c - chained hash table + LRU list of answers with expiry times. */
#include <stdlib.h>
#include <string.h>
#include "dnscache.h"

struct entry {
	struct entry *chain;       /* hash bucket */
	struct entry *newer, *older; /* LRU list */
	uint32_t hash;
	uint64_t expires_ms;
	struct xdane_ans *a;       /* holds a reference; key is a->pub.qtype/qname */
};

struct xdane_dnscache {
	struct entry **bucket;
	size_t nbucket, count, max;
	struct entry *newest, *oldest;
};

/* key_hash - FNV-1a over qtype and the name. */
static uint32_t key_hash(int qtype, const char *qname)
{
	uint32_t h = 2166136261u ^ (uint32_t)qtype;
	for (; *qname; qname++) {
		h ^= (unsigned char)*qname;
		h *= 16777619u;
	}
	return h;
}

/* xdane_dnscache_new - see dnscache.h */
xdane_dnscache *xdane_dnscache_new(size_t max)
{
	xdane_dnscache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->max = max ? max : 1;
	c->nbucket = 64;
	c->bucket = calloc(c->nbucket, sizeof *c->bucket);
	if (!c->bucket) {
		free(c);
		return NULL;
	}
	return c;
}

/* lru_unlink - take e off the LRU list. */
static void lru_unlink(xdane_dnscache *c, struct entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

/* lru_push - make e the newest. */
static void lru_push(xdane_dnscache *c, struct entry *e)
{
	e->older = c->newest;
	e->newer = NULL;
	if (c->newest)
		c->newest->newer = e;
	c->newest = e;
	if (!c->oldest)
		c->oldest = e;
}

/* drop - remove e from bucket and list, release its answer. */
static void drop(xdane_dnscache *c, struct entry *e)
{
	struct entry **pp = &c->bucket[e->hash & (c->nbucket - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->chain;
	if (*pp)
		*pp = e->chain;
	lru_unlink(c, e);
	xdane_answer_unref(&e->a->pub);
	free(e);
	c->count--;
}

/* xdane_dnscache_free - see dnscache.h */
void xdane_dnscache_free(xdane_dnscache *c)
{
	if (!c)
		return;
	while (c->oldest)
		drop(c, c->oldest);
	free(c->bucket);
	free(c);
}

/* find - entry for the key or NULL. */
static struct entry *find(xdane_dnscache *c, int qtype, const char *qname, uint32_t h)
{
	struct entry *e;
	for (e = c->bucket[h & (c->nbucket - 1)]; e; e = e->chain)
		if (e->hash == h && e->a->pub.qtype == qtype && !strcmp(e->a->pub.qname, qname))
			return e;
	return NULL;
}

/* xdane_dnscache_get - see dnscache.h */
const struct xdane_ans *xdane_dnscache_get(xdane_dnscache *c, int qtype, const char *qname, uint64_t now_ms,
                                           uint32_t *remaining)
{
	uint32_t h = key_hash(qtype, qname);
	struct entry *e = find(c, qtype, qname, h);
	if (!e)
		return NULL;
	if (e->expires_ms <= now_ms) {
		drop(c, e);
		return NULL;
	}
	lru_unlink(c, e);
	lru_push(c, e);
	if (remaining)
		*remaining = (uint32_t)((e->expires_ms - now_ms + 999) / 1000);
	return e->a;
}

/* rehash - double the bucket array when the load passes 1. */
static void rehash(xdane_dnscache *c)
{
	size_t i, n = c->nbucket * 2;
	struct entry **nb = calloc(n, sizeof *nb), *e, *next;
	if (!nb)
		return; /* keep the old table: slower, still correct */
	for (i = 0; i < c->nbucket; i++)
		for (e = c->bucket[i]; e; e = next) {
			next = e->chain;
			e->chain = nb[e->hash & (n - 1)];
			nb[e->hash & (n - 1)] = e;
		}
	free(c->bucket);
	c->bucket = nb;
	c->nbucket = n;
}

/* xdane_dnscache_put - see dnscache.h */
int xdane_dnscache_put(xdane_dnscache *c, struct xdane_ans *a, uint64_t now_ms)
{
	uint32_t h = key_hash(a->pub.qtype, a->pub.qname);
	struct entry *e;

	if (a->pub.ttl == 0)
		return 0;
	e = find(c, a->pub.qtype, a->pub.qname, h);
	if (e)
		drop(c, e);
	while (c->count >= c->max && c->oldest)
		drop(c, c->oldest);
	e = calloc(1, sizeof *e);
	if (!e)
		return -1;
	if (c->count >= c->nbucket)
		rehash(c);
	e->hash = h;
	e->expires_ms = now_ms + (uint64_t)a->pub.ttl * 1000u;
	e->a = a;
	xdane_answer_ref(&a->pub);
	e->chain = c->bucket[h & (c->nbucket - 1)];
	c->bucket[h & (c->nbucket - 1)] = e;
	lru_push(c, e);
	c->count++;
	return 1;
}

/* xdane_dnscache_count - see dnscache.h */
size_t xdane_dnscache_count(const xdane_dnscache *c)
{
	return c->count;
}
