/* SPDX-License-Identifier: MIT */
/*
 * test_resolver_cache.c - the answer cache (src/dnscache.c: TTL expiry, LRU
 * bound, replacement, TTL 0 never cached, shared record bodies) and query
 * name normalization (src/resolver_name.c: A-labels, invalid names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnscache.h"
#include "resolver_name.h"
#include "tap.h"

/* answer - a secure answer for qname with ttl seconds. */
static struct xdane_ans *answer(const char *qname, uint32_t ttl)
{
	struct xdane_ans *a = xdane_ans_new(XDANE_DNS_SECURE, 52, qname, NULL);
	a->pub.ttl = ttl;
	return a;
}

static void test_cache(void)
{
	xdane_dnscache *c = xdane_dnscache_new(3);
	struct xdane_ans *a = answer("_1._tcp.a", 10), *z = answer("_1._tcp.z", 0);
	const struct xdane_ans *got;
	uint32_t rem = 0;
	char name[32];
	int i;

	tap_ok(xdane_dnscache_put(c, a, 1000) == 1, "put: cached");
	got = xdane_dnscache_get(c, 52, "_1._tcp.a", 1000, &rem);
	tap_ok(got == a && rem == 10, "get: same answer, 10 s left");
	got = xdane_dnscache_get(c, 52, "_1._tcp.a", 10500, &rem);
	tap_ok(got == a && rem == 1, "get: 0.5 s left rounds up to 1");
	tap_ok(xdane_dnscache_get(c, 33, "_1._tcp.a", 1000, &rem) == NULL, "get: other qtype misses");
	tap_ok(xdane_dnscache_get(c, 52, "_1._tcp.a", 11000, &rem) == NULL && xdane_dnscache_count(c) == 0,
	       "get at expiry: miss, entry dropped");
	tap_ok(xdane_dnscache_put(c, z, 1000) == 0 && xdane_dnscache_count(c) == 0, "TTL 0: not cached");
	/* LRU bound */
	for (i = 0; i < 3; i++) {
		struct xdane_ans *e;
		snprintf(name, sizeof name, "_1._tcp.n%d", i);
		e = answer(name, 100);
		xdane_dnscache_put(c, e, 2000);
		xdane_answer_unref(&e->pub);
	}
	xdane_dnscache_get(c, 52, "_1._tcp.n0", 2001, NULL); /* n0 is now the most recent */
	{
		struct xdane_ans *e = answer("_1._tcp.n3", 100);
		xdane_dnscache_put(c, e, 2002);
		xdane_answer_unref(&e->pub);
	}
	tap_ok(xdane_dnscache_count(c) == 3 && xdane_dnscache_get(c, 52, "_1._tcp.n1", 2003, NULL) == NULL &&
	       xdane_dnscache_get(c, 52, "_1._tcp.n0", 2003, NULL) != NULL,
	       "bound of 3: least recently used entry evicted");
	/* replacement */
	{
		struct xdane_ans *e = answer("_1._tcp.n0", 5);
		xdane_dnscache_put(c, e, 3000);
		got = xdane_dnscache_get(c, 52, "_1._tcp.n0", 3000, &rem);
		tap_ok(got == e && rem == 5 && xdane_dnscache_count(c) == 3, "put again replaces the entry");
		xdane_answer_unref(&e->pub);
	}
	xdane_dnscache_free(c);
	/* the cache held its own reference: a is still ours */
	tap_ok(a->refs == 1, "cache releases its references");
	xdane_answer_unref(&a->pub);
	xdane_answer_unref(&z->pub);

	/* many entries: the table grows, everything is found */
	c = xdane_dnscache_new(5000);
	for (i = 0; i < 3000; i++) {
		struct xdane_ans *e;
		snprintf(name, sizeof name, "_5269._tcp.h%d", i);
		e = answer(name, 60);
		xdane_dnscache_put(c, e, 0);
		xdane_answer_unref(&e->pub);
	}
	for (i = 0; i < 3000; i++) {
		snprintf(name, sizeof name, "_5269._tcp.h%d", i);
		if (!xdane_dnscache_get(c, 52, name, 1, NULL))
			break;
	}
	tap_ok(i == 3000 && xdane_dnscache_count(c) == 3000, "3000 entries all found after growth");
	xdane_dnscache_free(c);
}

/* test_share - a cache hit header shares the record body. */
static void test_share(void)
{
	struct xdane_ans *a = xdane_ans_new(XDANE_DNS_SECURE, 33, "_xmpp-server._tcp.x", NULL), *b;
	struct xdane_recs *r = calloc(1, sizeof *r);
	r->count = 1;
	r->srv = calloc(1, sizeof *r->srv);
	strcpy(r->srv[0].target, "xmpp.x");
	xdane_ans_set_records(a, r);
	b = xdane_ans_share(a);
	b->pub.cached = 1;
	tap_ok(b->pub.srv == a->pub.srv && r->refs == 2 && !a->pub.cached, "share: same records, own header");
	xdane_answer_unref(&a->pub);
	tap_ok(!strcmp(b->pub.srv[0].target, "xmpp.x"), "share: records live while a header does");
	xdane_answer_unref(&b->pub);
}

static void test_names(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "Example.NET", "example.net" },
		{ "example.net.", "example.net" },
		{ "bücher.example", "xn--bcher-kva.example" },
		{ "ÄÖÜ.example", "xn--4ca0bs.example" },
		{ "_xmpp-server._tcp.a.example", "_xmpp-server._tcp.a.example" },
	};
	static const char *bad[] = { "", ".", "a..b", "a b", "a/b", "a\\.b", "\xff\xfe.example" };
	char out[256], err[128], long_label[80], long_name[300];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		int rc = xdane_name_normalize(good[i].in, out, sizeof out, err, sizeof err);
		tap_ok(rc == 1 && !strcmp(out, good[i].out), "name '%s' -> '%s' (%s)", good[i].in, good[i].out, rc ? out : err);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		tap_ok(xdane_name_normalize(bad[i], out, sizeof out, err, sizeof err) == 0 && err[0], "bad name %zu refused (%s)", i, err);
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	tap_ok(xdane_name_normalize(long_label, out, sizeof out, err, sizeof err) == 0, "64-octet label refused");
	for (i = 0; i < 270; i++)
		long_name[i] = (i % 10 == 9) ? '.' : 'a';
	long_name[270] = '\0';
	tap_ok(xdane_name_normalize(long_name, out, sizeof out, err, sizeof err) == 0, "name over 253 octets refused");
}

int main(void)
{
	test_cache();
	test_share();
	test_names();
	tap_diag("cache and name checks done");
	return tap_done();
}
