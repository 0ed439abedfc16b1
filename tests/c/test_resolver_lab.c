/* SPDX-License-Identifier: MIT */
/*
 * test_resolver_lab.c - the C resolver API against the live DNSSEC lab
 * (tests/lab): every SRV/TLSA status of $XDANE_LAB_DIR/expected.txt, cache and
 * TTL expiry, coalescing, cancellation, destruction in flight, a refusing
 * host loop, 1000 concurrent lookups, configuration errors.
 *
 * Environment: XDANE_LAB_DIR, XDANE_UPSTREAM, XDANE_TRUST_ANCHOR (tests/lab/env.sh);
 * XDANE_TEST_BURST (default 1000) lookups in the concurrency test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "xdane.h"
#include "tap.h"

static const char *upstream, *anchor;
static xdane_miniloop *loop;

/* now_ms - monotonic milliseconds. */
static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* new_resolver - resolver on the lab with the given timeout. */
static size_t cfg_cache_max; /* 0 = default */
static unsigned scale = 1;   /* XDANE_TEST_TIMEOUT_SCALE: slower runs (valgrind) */
static int cfg_no_key_cache;

static xdane_resolver *new_resolver(unsigned timeout_ms, const xdane_host_ops *ops)
{
	char err[256];
	const char *ups[1];
	xdane_resolver_config cfg;
	xdane_resolver *r;

	memset(&cfg, 0, sizeof cfg);
	ups[0] = upstream;
	cfg.upstreams = ups;
	cfg.nupstreams = 1;
	cfg.trust_anchor_file = anchor;
	cfg.timeout_ms = timeout_ms * scale;
	cfg.cache_max = cfg_cache_max;
	cfg.no_key_cache = cfg_no_key_cache;
	r = xdane_resolver_new(&cfg, ops ? ops : xdane_miniloop_ops(loop), err, sizeof err);
	if (!r)
		tap_diag("resolver: %s", err);
	return r;
}

/* One expected line of expected.txt and what came back. */
struct expect {
	char qname[256], type[8], status[16], detail[16], rdata[512];
	const xdane_answer *got;
	int calls;
};

/* on_expect - store the answer. */
static void on_expect(const xdane_answer *a, void *arg)
{
	struct expect *e = arg;
	e->calls++;
	if (!e->got)
		e->got = xdane_answer_ref(a);
}

/* format_srv - "prio weight port target.;..." as in expected.txt. */
static void format_srv(const xdane_answer *a, char *out, size_t len)
{
	size_t i, n = 0;
	out[0] = '\0';
	for (i = 0; i < a->count && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%u %u %u %s%s", i ? ";" : "", a->srv[i].priority,
		                      a->srv[i].weight, a->srv[i].port, a->srv[i].target,
		                      strcmp(a->srv[i].target, ".") ? "." : "");
}

/* format_tlsa - "u s m hex" of the first record. */
static void format_tlsa(const xdane_answer *a, char *out, size_t len)
{
	size_t i, n;
	out[0] = '\0';
	if (!a->count)
		return;
	n = (size_t)snprintf(out, len, "%u %u %u ", a->tlsa[0].usage, a->tlsa[0].selector, a->tlsa[0].mtype);
	for (i = 0; i < a->tlsa[0].len && n + 3 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%02x", a->tlsa[0].data[i]);
}

/* start_expect - issue the lookup for one expected line; 1 started. */
static int start_expect(xdane_resolver *r, struct expect *e)
{
	char err[256];
	int64_t id = 0;
	unsigned port;
	char host[256];

	if (!strcmp(e->type, "SRV")) {
		if (!strncmp(e->qname, "_xmpp-server._tcp.", 18))
			id = xdane_lookup_srv(r, e->qname + 18, 0, on_expect, e, err, sizeof err);
		else if (!strncmp(e->qname, "_xmpps-server._tcp.", 19))
			id = xdane_lookup_srv(r, e->qname + 19, 1, on_expect, e, err, sizeof err);
		else
			return 0;
	} else if (!strcmp(e->type, "TLSA") && sscanf(e->qname, "_%u._tcp.%255s", &port, host) == 2) {
		id = xdane_lookup_tlsa(r, port, host, on_expect, e, err, sizeof err);
	} else {
		return 0;
	}
	if (id <= 0)
		tap_diag("lookup %s: %s", e->qname, err);
	return id > 0;
}

/*
 * test_expected - every SRV/TLSA line of expected.txt, all in parallel, on
 * r (a new resolver when NULL). label names the pass; skip_slow leaves out
 * slow.example (3 s per answer).
 */
static void test_expected(xdane_resolver *r, const char *label, int skip_slow)
{
	char path[512], line[1024];
	FILE *fp;
	struct expect *ex = NULL;
	size_t n = 0, cap = 0, i, pending;
	int own = r == NULL;
	uint64_t end;

	if (own)
		r = new_resolver(skip_slow ? 2500 : 9000, NULL);

	snprintf(path, sizeof path, "%s/expected.txt", getenv("XDANE_LAB_DIR"));
	fp = fopen(path, "r");
	if (!tap_ok(fp != NULL && r != NULL, "expected.txt readable and resolver created")) {
		if (fp)
			fclose(fp);
		xdane_resolver_free(r);
		return;
	}
	while (fgets(line, sizeof line, fp)) {
		struct expect e;
		memset(&e, 0, sizeof e);
		if (line[0] == '#' || sscanf(line, "%255s %7s %15s %15s %511[^\n]", e.qname, e.type, e.status, e.detail, e.rdata) < 4)
			continue;
		if (strcmp(e.type, "SRV") && strcmp(e.type, "TLSA"))
			continue;
		/* the API only asks _service._tcp SRV and _port._tcp TLSA names */
		if (e.qname[0] != '_' || strstr(e.qname, ".bench.example") || (skip_slow && strstr(e.qname, "slow.example")))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			ex = realloc(ex, cap * sizeof *ex);
		}
		ex[n++] = e;
	}
	fclose(fp);
	for (i = 0; i < n; i++)
		if (!start_expect(r, &ex[i]))
			tap_ok(0, "%s %s started", ex[i].qname, ex[i].type);
	end = now_ms() + 15000u * scale;
	do {
		xdane_miniloop_run_once(loop, 50);
		for (pending = 0, i = 0; i < n; i++)
			pending += ex[i].calls == 0;
	} while (pending && now_ms() < end);
	for (i = 0; i < n; i++) {
		struct expect *e = &ex[i];
		const xdane_answer *a = e->got;
		char rd[1024] = "";
		int ok;
		if (!a) {
			tap_ok(0, "%s %s answered", e->qname, e->type);
			continue;
		}
		ok = !strcmp(xdane_dns_status_name(a->status), e->status) && e->calls == 1;
		if (!strcmp(e->detail, "records"))
			ok = ok && (strcmp(e->status, "secure") && strcmp(e->status, "insecure") ? a->count == 0 : a->count > 0);
		else
			ok = ok && a->count == 0; /* absence and failures carry no records */
		if (!strcmp(e->detail, "nxdomain") && !strcmp(e->status, "secure"))
			ok = ok && a->rcode == 3;
		if (!strcmp(e->detail, "nodata"))
			ok = ok && a->rcode == 0;
		if (e->rdata[0] && a->count) {
			if (a->qtype == 33)
				format_srv(a, rd, sizeof rd);
			else
				format_tlsa(a, rd, sizeof rd);
			ok = ok && !strcmp(rd, e->rdata);
		}
		if (!tap_ok(ok, "%s%s %s: %s %s", label, e->qname, e->type, e->status, e->detail))
			tap_diag("got %s (%s) rcode %d count %zu calls %d rdata '%s'", xdane_dns_status_name(a->status),
			         a->why ? a->why : "-", a->rcode, a->count, e->calls, rd);
		xdane_answer_unref(a);
	}
	free(ex);
	if (own)
		xdane_resolver_free(r);
}

/*
 * test_key_cache - the same statuses when validation starts at cached,
 * previously validated DNSKEY sets: a pass learns keys, a second pass
 * (answer cache of one entry, so every answer is validated again) must
 * give exactly the same statuses; then the same without the key cache.
 */
static void test_key_cache(void)
{
	xdane_resolver *r;
	xdane_resolver_stats st;

	cfg_cache_max = 1;
	r = new_resolver(2500, NULL);
	if (!tap_ok(r != NULL, "key cache: resolver with a one-entry answer cache"))
		return;
	test_expected(r, "[learn] ", 1);
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.keys_cached > 0, "key cache: validated DNSKEY sets cached (%zu)", st.keys_cached);
	test_expected(r, "[cached keys] ", 1);
	xdane_resolver_get_stats(r, &st);
	tap_diag("key cache: %zu zones cached, %llu retries without cached keys", st.keys_cached,
	         (unsigned long long)st.key_cache_retries);
	xdane_resolver_free(r);
	/* without the key cache every request validates the whole chain: too slow under valgrind */
	cfg_no_key_cache = 1;
	r = scale > 1 ? NULL : new_resolver(2500, NULL);
	if (r) {
		test_expected(r, "[no key cache] ", 1);
		xdane_resolver_get_stats(r, &st);
		tap_ok(st.keys_cached == 0, "key cache disabled: nothing cached");
	}
	xdane_resolver_free(r);
	cfg_cache_max = 0;
	cfg_no_key_cache = 0;
}

/* Counting callback for the tests below. */
struct counter {
	int calls;
	const xdane_answer *last;
};

static void on_count(const xdane_answer *a, void *arg)
{
	struct counter *c = arg;
	c->calls++;
	if (c->last)
		xdane_answer_unref(c->last);
	c->last = xdane_answer_ref(a);
}

static void counter_clear(struct counter *c)
{
	if (c->last)
		xdane_answer_unref(c->last);
	memset(c, 0, sizeof *c);
}

/* lookup_one - one SRV (port 0) or TLSA lookup, run to its answer; the answer (ref) or NULL. */
static const xdane_answer *lookup_one(xdane_resolver *r, unsigned port, const char *name)
{
	struct counter c = { 0, NULL };
	uint64_t end = now_ms() + 10000u * scale;
	int64_t id = port ? xdane_lookup_tlsa(r, port, name, on_count, &c, NULL, 0)
	                  : xdane_lookup_srv(r, name, 0, on_count, &c, NULL, 0);
	while (id > 0 && c.calls == 0 && now_ms() < end)
		xdane_miniloop_run_once(loop, 50);
	return c.last;
}

/* idle - run the loop for ms milliseconds. */
static void idle(unsigned ms)
{
	uint64_t end = now_ms() + ms;
	while (now_ms() < end)
		xdane_miniloop_run_once(loop, 50);
}

/*
 * lookup_fresh - lookup_one, asked again (up to 4 times, a second apart)
 * while the answer has TTL 0: the lab resolver may still hold a copy from
 * an earlier test with under a second left, which is never cached by us.
 */
static const xdane_answer *lookup_fresh(xdane_resolver *r, unsigned port, const char *name)
{
	const xdane_answer *a = NULL;
	int tries;
	for (tries = 0; tries < 4; tries++) {
		a = lookup_one(r, port, name);
		if (!a || a->ttl >= 1)
			break;
		xdane_answer_unref(a);
		a = NULL;
		idle(1100);
	}
	return a;
}

/* offline_case - one lookup with its expected status; checks how the offline path counters moved. */
static void offline_case(xdane_resolver *r, unsigned port, const char *name, int status, size_t count,
                         int secure_delta, int retry_delta, const char *what)
{
	xdane_resolver_stats a, b;
	const xdane_answer *ans;

	xdane_resolver_get_stats(r, &a);
	ans = lookup_one(r, port, name);
	xdane_resolver_get_stats(r, &b);
	if (!tap_ok(ans && ans->status == status && ans->count == count &&
	                (int)(b.offline_secure - a.offline_secure) == secure_delta &&
	                (int)(b.offline_retries - a.offline_retries) == retry_delta,
	            "offline path: %s", what))
		tap_diag("got %s (%s) count %zu, offline secure +%d retries +%d", ans ? xdane_dns_status_name(ans->status) : "nothing",
		         ans && ans->why ? ans->why : "-", ans ? ans->count : 0, (int)(b.offline_secure - a.offline_secure),
		         (int)(b.offline_retries - a.offline_retries));
	if (ans)
		xdane_answer_unref(ans);
}

/*
 * test_offline_path - under a zone whose keys are cached, questions are
 * asked without getdns' chain fetch and validated offline: from that zone's
 * keys, or, for a zone below it, with that zone's DNSKEY and DS fetched. It
 * must give exactly the statuses of the full way: corrupted signatures, a
 * broken DS and expired signatures are refused offline and bogus the full
 * way, a proven absence is secure, CNAMEs and unsigned zones go the full way.
 */
static void test_offline_path(void)
{
	xdane_resolver *r;
	xdane_resolver_stats st;
	uint64_t up;

	cfg_cache_max = 1; /* every answer validated again, none served from the answer cache */
	r = new_resolver(2500, NULL);
	if (!tap_ok(r != NULL, "offline path: resolver"))
		return;
	offline_case(r, 0, "a.example", XDANE_DNS_SECURE, 1, 0, 0, "first SRV, nothing cached: the full way, keys learned");
	offline_case(r, 5269, "xmpp.a.example", XDANE_DNS_SECURE, 1, 1, 0, "TLSA in the learned zone validated offline");
	offline_case(r, 5222, "xmpp.a.example", XDANE_DNS_SECURE, 0, 1, 0, "NXDOMAIN proof validated offline");
	offline_case(r, 0, "a.example", XDANE_DNS_SECURE, 1, 1, 0, "the SRV again: offline");
	xdane_resolver_get_stats(r, &st);
	up = st.upstream_queries;
	offline_case(r, 0, "wrong.a.example", XDANE_DNS_SECURE, 0, 1, 0,
	             "SRV of a name that is no zone: a.example's denial offline, the keys prefetched for it dropped");
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.upstream_queries - up == 3, "offline path: DNSKEY and DS of wrong.a.example asked with its SRV (%d queries)",
	       (int)(st.upstream_queries - up));
	offline_case(r, 0, "badsig.example", XDANE_DNS_SECURE, 1, 1, 0,
	             "SRV of a new zone under example.: offline with its DNSKEY and DS fetched");
	offline_case(r, 5269, "xmpp.badsig.example", XDANE_DNS_BOGUS, 0, 0, 1,
	             "corrupted TLSA signature: refused offline, bogus the full way");
	offline_case(r, 0, "cname.example", XDANE_DNS_SECURE, 1, 0, 0, "cname.example SRV (keys dropped above: the full way)");
	offline_case(r, 5269, "to-insecure.cname.example", XDANE_DNS_INSECURE, 1, 0, 1,
	             "CNAME to an insecure zone: left to the full way");
	offline_case(r, 5269, "to-bogus.cname.example", XDANE_DNS_BOGUS, 0, 0, 1, "CNAME to a bogus zone: left to the full way");
	offline_case(r, 0, "b.example", XDANE_DNS_SECURE, 1, 0, 0, "b.example SRV learns the keys again");
	offline_case(r, 0, "srvinsecure.example", XDANE_DNS_INSECURE, 1, 0, 1, "unsigned zone: only the full way says insecure");
	offline_case(r, 0, "bogus.example", XDANE_DNS_BOGUS, 0, 0, 1, "broken DS: refused offline, bogus the full way");
	offline_case(r, 0, "ta.example", XDANE_DNS_SECURE, 1, 0, 0, "ta.example SRV learns the keys again");
	offline_case(r, 0, "expired.example", XDANE_DNS_BOGUS, 0, 0, 1, "expired signatures: refused offline, bogus the full way");
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.offline_secure == 5 && st.offline_retries == 6, "offline path: 5 answers validated offline, 6 asked again");
	xdane_resolver_free(r);
	cfg_cache_max = 0;
}

/*
 * test_deep_anchor - keys are only learned where getdns validated them. With
 * a configured anchor below the root (example.'s DS) and a root DS that
 * matches no key, getdns validates a.example from example. and never checks
 * the root DNSKEY set it fetched along the way (it is in the validation chain
 * all the same): learning it would make the offline path validate anything
 * under the root against keys that no anchor vouches for, and a name outside
 * example. (bogus: the root is not provable) would turn secure.
 */
static void test_deep_anchor(void)
{
	char path[512];
	const char *saved = anchor;
	FILE *fp, *in;
	char line[1024];
	xdane_resolver *r;

	snprintf(path, sizeof path, "%s/deep-anchor.ds", getenv("XDANE_LAB_DIR"));
	fp = fopen(path, "w");
	snprintf(line, sizeof line, "%s/keys/example.ds", getenv("XDANE_LAB_DIR"));
	in = fopen(line, "r");
	if (!tap_ok(fp && in, "deep anchor: anchor file written")) {
		if (fp)
			fclose(fp);
		if (in)
			fclose(in);
		return;
	}
	/* a root DS that matches no key, then example.'s real DS */
	fprintf(fp, ".\t3600\tIN\tDS\t32257 13 2 0000000000000000000000000000000000000000000000000000000000000000\n");
	while (fgets(line, sizeof line, in))
		fputs(line, fp);
	fclose(in);
	fclose(fp);
	anchor = path;
	cfg_cache_max = 1;
	r = new_resolver(2500, NULL);
	anchor = saved;
	if (!tap_ok(r != NULL, "deep anchor: resolver"))
		return;
	offline_case(r, 5269, "xmpp.nosuch.zz", XDANE_DNS_BOGUS, 0, 0, 0, "outside example.: bogus (the root is not provable)");
	offline_case(r, 0, "a.example", XDANE_DNS_SECURE, 1, 0, 0, "a.example SRV: secure from the example. anchor, keys learned");
	offline_case(r, 5269, "xmpp.nosuch.zz", XDANE_DNS_BOGUS, 0, 0, 0,
	             "outside example. again: still bogus (the unvalidated root keys were not learned)");
	xdane_resolver_free(r);
	cfg_cache_max = 0;
}

/* test_cache - repeats come from the cache until the TTL (2 s in ttl.example) runs out. */
static void test_cache(void)
{
	xdane_resolver *r = new_resolver(2000, NULL);
	struct counter c = { 0, NULL };
	xdane_resolver_stats st;
	uint64_t up;

	if (!tap_ok(r != NULL, "cache: resolver"))
		return;
	c.last = lookup_fresh(r, 0, "ttl.example");
	c.calls = c.last ? 1 : 0;
	tap_ok(c.calls == 1 && c.last->status == XDANE_DNS_SECURE && !c.last->cached, "cache: first answer from upstream");
	tap_ok(c.last && c.last->ttl >= 1 && c.last->ttl <= 2, "cache: TTL of ttl.example is 2 s (got %u)", c.last ? c.last->ttl : 0);
	xdane_resolver_get_stats(r, &st);
	up = st.upstream_queries;
	xdane_lookup_srv(r, "TTL.example.", 0, on_count, &c, NULL, 0);
	tap_ok(c.calls == 1, "cache: a cache hit is not delivered synchronously");
	while (c.calls < 2)
		xdane_miniloop_run_once(loop, 50);
	xdane_resolver_get_stats(r, &st);
	tap_ok(c.last->cached && c.last->status == XDANE_DNS_SECURE && c.last->count == 1, "cache: repeat served from cache");
	tap_ok(st.cache_hits == 1 && st.upstream_queries == up, "cache: no upstream query for the repeat");
	/* wait past the TTL */
	idle(2300);
	xdane_lookup_srv(r, "ttl.example", 0, on_count, &c, NULL, 0);
	while (c.calls < 3)
		xdane_miniloop_run_once(loop, 50);
	xdane_resolver_get_stats(r, &st);
	tap_ok(!c.last->cached && st.upstream_queries == up + 1, "cache: expired entry fetched again after the TTL");
	/* bogus answers are never cached */
	xdane_lookup_tlsa(r, 5269, "xmpp.badsig.example", on_count, &c, NULL, 0);
	while (c.calls < 4)
		xdane_miniloop_run_once(loop, 50);
	xdane_lookup_tlsa(r, 5269, "xmpp.badsig.example", on_count, &c, NULL, 0);
	while (c.calls < 5)
		xdane_miniloop_run_once(loop, 50);
	tap_ok(c.last->status == XDANE_DNS_BOGUS && !c.last->cached, "cache: bogus answer not cached");
	/* secure absence is cached */
	{
		const xdane_answer *first = lookup_fresh(r, 5269, "xmpp.notlsa.example");
		if (first)
			xdane_answer_unref(first);
	}
	xdane_lookup_tlsa(r, 5269, "xmpp.notlsa.example", on_count, &c, NULL, 0);
	while (c.calls < 6)
		xdane_miniloop_run_once(loop, 50);
	tap_ok(c.last->status == XDANE_DNS_SECURE && c.last->count == 0 && c.last->cached, "cache: secure NXDOMAIN cached");
	counter_clear(&c);
	xdane_resolver_free(r);
}

/* test_coalesce - identical concurrent lookups share one upstream request. */
static void test_coalesce(void)
{
	xdane_resolver *r = new_resolver(2000, NULL);
	struct counter c[5];
	xdane_resolver_stats st;
	int i, all;

	memset(c, 0, sizeof c);
	if (!tap_ok(r != NULL, "coalesce: resolver"))
		return;
	for (i = 0; i < 5; i++)
		xdane_lookup_tlsa(r, 5269, "xmpp.b.example", on_count, &c[i], NULL, 0);
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.upstream_queries == 1 && st.coalesced == 4, "coalesce: 5 lookups, 1 upstream request, 4 coalesced");
	do {
		xdane_miniloop_run_once(loop, 50);
		for (all = 1, i = 0; i < 5; i++)
			all &= c[i].calls == 1;
	} while (!all);
	for (all = 1, i = 0; i < 5; i++)
		all &= c[i].last->status == XDANE_DNS_SECURE && c[i].last->count == 1;
	tap_ok(all, "coalesce: every lookup gets the secure answer once");
	for (i = 0; i < 5; i++)
		counter_clear(&c[i]);
	xdane_resolver_free(r);
}

/* test_cancel - a cancelled lookup never calls back; others on the same query still do. */
static void test_cancel(void)
{
	xdane_resolver *r = new_resolver(9000, NULL);
	struct counter a = { 0, NULL }, b = { 0, NULL }, h = { 0, NULL };
	int64_t ida, idh;
	uint64_t end;

	if (!tap_ok(r != NULL, "cancel: resolver"))
		return;
	ida = xdane_lookup_srv(r, "slow.example", 0, on_count, &a, NULL, 0);
	xdane_lookup_srv(r, "slow.example", 0, on_count, &b, NULL, 0);
	xdane_miniloop_run_once(loop, 20);
	tap_ok(xdane_lookup_cancel(r, ida) == 1, "cancel: in-flight lookup cancelled");
	tap_ok(xdane_lookup_cancel(r, ida) == 0, "cancel: second cancel reports unknown");
	/* a cache hit waiting for delivery can be cancelled too */
	xdane_lookup_srv(r, "a.example", 0, on_count, &h, NULL, 0);
	while (h.calls == 0)
		xdane_miniloop_run_once(loop, 50);
	idh = xdane_lookup_srv(r, "a.example", 0, on_count, &h, NULL, 0);
	tap_ok(xdane_lookup_cancel(r, idh) == 1, "cancel: queued cache hit cancelled");
	end = now_ms() + 9000u * scale;
	while (b.calls == 0 && now_ms() < end)
		xdane_miniloop_run_once(loop, 50);
	xdane_miniloop_run_once(loop, 10);
	tap_ok(a.calls == 0, "cancel: cancelled callback never ran");
	tap_ok(h.calls == 1, "cancel: cancelled cache hit never delivered");
	tap_ok(b.calls == 1 && b.last->status == XDANE_DNS_SECURE, "cancel: the other lookup on the slow name still completes (%s)",
	       b.last ? xdane_dns_status_name(b.last->status) : "none");
	tap_ok(xdane_lookup_cancel(r, 424242) == 0, "cancel: unknown id");
	counter_clear(&a);
	counter_clear(&b);
	counter_clear(&h);
	xdane_resolver_free(r);
}

/* test_destroy_in_flight - freeing with lookups in flight: no callback, no registration left. */
static void test_destroy_in_flight(void)
{
	xdane_resolver *r = new_resolver(4500, NULL);
	struct counter c = { 0, NULL };
	char name[64];
	int i, left;

	if (!tap_ok(r != NULL, "destroy: resolver"))
		return;
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "h%d.a.example", i);
		xdane_lookup_tlsa(r, 5269, name, on_count, &c, NULL, 0);
	}
	xdane_lookup_srv(r, "slow.example", 0, on_count, &c, NULL, 0);
	xdane_lookup_srv(r, "dead.example", 0, on_count, &c, NULL, 0);
	xdane_miniloop_run_once(loop, 5);
	xdane_resolver_free(r);
	left = xdane_miniloop_run_once(loop, 0);
	tap_ok(left == 0, "destroy: no host registration left (%d)", left);
	for (i = 0; i < 5; i++)
		xdane_miniloop_run_once(loop, 10);
	tap_ok(c.calls == 0, "destroy: no callback after free (%d)", c.calls);
}

/* wait_upstream - run the loop until the resolver has sent n upstream queries or a lookup answered. */
static void wait_upstream(xdane_resolver *r, uint64_t n, const struct counter *c)
{
	xdane_resolver_stats st;
	uint64_t end = now_ms() + 10000u * scale;
	do {
		xdane_miniloop_run_once(loop, 20);
		xdane_resolver_get_stats(r, &st);
	} while (st.upstream_queries < n && c->calls == 0 && now_ms() < end);
}

/*
 * test_keys_in_flight - slow.example (answers delayed) under a learned
 * example.: its offline SRV question goes out with slow.example's DNSKEY
 * and DS (prefetched). A lookup cancelled then never hears back while its twin
 * gets the secure answer; a resolver freed then leaves nothing behind.
 */
static void test_keys_in_flight(void)
{
	xdane_resolver *r = new_resolver(4500, NULL);
	struct counter c1 = { 0, NULL }, c2 = { 0, NULL };
	xdane_resolver_stats st;
	const xdane_answer *a;
	uint64_t up, end;
	int64_t id;
	int left;

	if (!tap_ok(r != NULL, "keys in flight: resolver"))
		return;
	a = lookup_one(r, 0, "a.example");
	tap_ok(a && a->status == XDANE_DNS_SECURE, "keys in flight: example.'s keys learned");
	if (a)
		xdane_answer_unref(a);
	xdane_resolver_get_stats(r, &st);
	up = st.upstream_queries;
	id = xdane_lookup_srv(r, "slow.example", 0, on_count, &c1, NULL, 0);
	xdane_lookup_srv(r, "slow.example", 0, on_count, &c2, NULL, 0);
	wait_upstream(r, up + 3, &c2);
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.upstream_queries == up + 3 && c2.calls == 0, "keys in flight: DNSKEY and DS asked with the offline SRV");
	tap_ok(xdane_lookup_cancel(r, id) == 1, "keys in flight: one lookup cancelled");
	end = now_ms() + 10000u * scale;
	while (c2.calls == 0 && now_ms() < end)
		xdane_miniloop_run_once(loop, 50);
	xdane_resolver_get_stats(r, &st);
	tap_ok(c1.calls == 0 && c2.calls == 1 && c2.last->status == XDANE_DNS_SECURE && c2.last->count == 1 &&
	       st.offline_secure == 1 && st.offline_retries == 0,
	       "keys in flight: the other lookup gets the answer validated offline");
	counter_clear(&c2);
	xdane_resolver_free(r);
	/* a new resolver, freed while the DNSKEY of slow.example is still on its way */
	r = new_resolver(4500, NULL);
	if (!r)
		return;
	a = lookup_one(r, 0, "a.example");
	if (a)
		xdane_answer_unref(a);
	xdane_resolver_get_stats(r, &st);
	up = st.upstream_queries;
	xdane_lookup_srv(r, "slow.example", 0, on_count, &c1, NULL, 0);
	wait_upstream(r, up + 3, &c1);
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.upstream_queries == up + 3 && c1.calls == 0, "keys in flight: freed while DNSKEY and DS are asked");
	xdane_resolver_free(r);
	left = xdane_miniloop_run_once(loop, 0);
	tap_ok(left == 0, "keys in flight: freed with queries in flight, no host registration left (%d)", left);
	for (left = 0; left < 5; left++)
		xdane_miniloop_run_once(loop, 10);
	tap_ok(c1.calls == 0, "keys in flight: no callback after free (%d)", c1.calls);
}

/* answered_unlearned - run the loop until a's SRV answer is in but not handed out (its keys wait to be learned). */
static int answered_unlearned(xdane_resolver *r, const struct counter *c)
{
	xdane_resolver_stats st;
	uint64_t end = now_ms() + 10000u * scale;
	do {
		xdane_miniloop_run_once(loop, 20);
		xdane_resolver_get_stats(r, &st);
	} while ((st.in_flight || st.queued) && c->calls == 0 && now_ms() < end);
	return c->calls == 0 && st.in_flight == 0 && st.queued == 0 && st.keys_cached == 0;
}

/*
 * test_learning_held - learning keys validates them (signature checks), so
 * it runs in a host callback of its own after the answer's dispatch, and the
 * answer is handed out only then: the TLSA lookup that follows goes the
 * offline way. A lookup cancelled, or the resolver freed, in between.
 */
static void test_learning_held(void)
{
	xdane_resolver *r = new_resolver(4500, NULL);
	struct counter c = { 0, NULL }, c2 = { 0, NULL };
	xdane_resolver_stats st;
	const xdane_answer *a;
	int64_t id;
	int left;

	if (!tap_ok(r != NULL, "learning held: resolver"))
		return;
	xdane_lookup_srv(r, "a.example", 0, on_count, &c, NULL, 0);
	tap_ok(answered_unlearned(r, &c), "learning held: SRV answered, neither learned nor handed out in that dispatch");
	xdane_miniloop_run_once(loop, 20);
	xdane_resolver_get_stats(r, &st);
	tap_ok(c.calls == 1 && c.last->status == XDANE_DNS_SECURE && st.keys_cached > 0,
	       "learning held: the next host callback learns the keys, then hands out the answer (%u keys)", st.keys_cached);
	a = lookup_one(r, 5269, "xmpp.a.example");
	xdane_resolver_get_stats(r, &st);
	tap_ok(a && a->status == XDANE_DNS_SECURE && st.offline_secure == 1, "learning held: the TLSA that follows goes offline");
	if (a)
		xdane_answer_unref(a);
	counter_clear(&c);
	xdane_resolver_free(r);

	r = new_resolver(4500, NULL);
	if (!r)
		return;
	id = xdane_lookup_srv(r, "a.example", 0, on_count, &c, NULL, 0);
	xdane_lookup_srv(r, "a.example", 0, on_count, &c2, NULL, 0);
	answered_unlearned(r, &c);
	tap_ok(xdane_lookup_cancel(r, id) == 1, "learning held: one lookup cancelled while its keys wait");
	idle(100);
	tap_ok(c.calls == 0 && c2.calls == 1 && c2.last->status == XDANE_DNS_SECURE, "learning held: only the other lookup answered");
	counter_clear(&c2);
	xdane_resolver_free(r);

	r = new_resolver(4500, NULL);
	if (!r)
		return;
	xdane_lookup_srv(r, "a.example", 0, on_count, &c, NULL, 0);
	tap_ok(answered_unlearned(r, &c), "learning held: answered again, keys waiting");
	xdane_resolver_free(r);
	left = xdane_miniloop_run_once(loop, 0);
	tap_ok(left == 0, "learning held: freed, no host registration left (%d)", left);
	idle(100);
	tap_ok(c.calls == 0, "learning held: no callback after free (%d)", c.calls);
}

/* Closing from inside a callback. */
struct closer {
	xdane_resolver *r;
	int calls;
};

static void on_close(const xdane_answer *a, void *arg)
{
	struct closer *c = arg;
	(void)a;
	c->calls++;
	xdane_resolver_free(c->r);
	xdane_resolver_free(c->r); /* idempotent while deferred */
}

/* test_free_in_callback - the first callback frees the resolver; the rest never run. */
static void test_free_in_callback(void)
{
	struct closer c;
	int i;

	c.calls = 0;
	c.r = new_resolver(2000, NULL);
	if (!tap_ok(c.r != NULL, "free in callback: resolver"))
		return;
	for (i = 0; i < 3; i++)
		xdane_lookup_srv(c.r, "a.example", 0, on_close, &c, NULL, 0);
	xdane_lookup_srv(c.r, "slow.example", 0, on_close, &c, NULL, 0);
	for (i = 0; i < 40 && c.calls == 0; i++)
		xdane_miniloop_run_once(loop, 50);
	for (i = 0; i < 5; i++)
		xdane_miniloop_run_once(loop, 10);
	tap_ok(c.calls == 1, "free in callback: exactly one callback ran (%d)", c.calls);
	tap_ok(xdane_miniloop_run_once(loop, 0) == 0, "free in callback: no host registration left");
}

/* A host that refuses registrations on demand: lookups must end indeterminate, not hang or pass. */
static int refuse_watch, refuse_timer;
static const xdane_host_ops *real_ops;

static void *refusing_watch(void *host, int fd, int r, int w, xdane_fd_ready_fn f, void *arg)
{
	if (refuse_watch)
		return NULL;
	return real_ops->watch_fd(host, fd, r, w, f, arg);
}

static void *refusing_timer(void *host, uint64_t ms, xdane_timer_fn f, void *arg)
{
	if (refuse_timer)
		return NULL;
	return real_ops->add_timer(host, ms, f, arg);
}

/* refused_lookup - one TLSA lookup on r; 1 if it ended indeterminate within 1 s. */
static int refused_lookup(xdane_resolver *r, const char *what)
{
	struct counter c = { 0, NULL };
	uint64_t start = now_ms();
	int ok;
	xdane_lookup_tlsa(r, 5269, "xmpp.a.example", on_count, &c, NULL, 0);
	while (c.calls == 0 && now_ms() - start < 5000u * scale)
		xdane_miniloop_run_once(loop, 50);
	ok = c.calls == 1 && c.last->status == XDANE_DNS_INDETERMINATE && now_ms() - start < 1000u * scale;
	tap_ok(ok, "refusing host (%s): lookup ends indeterminate at once (%s, %llu ms)", what,
	       c.last && c.last->why ? c.last->why : "-", (unsigned long long)(now_ms() - start));
	counter_clear(&c);
	return ok;
}

/* test_refusing_host - the bridge never loses a refused registration silently. */
static void test_refusing_host(void)
{
	xdane_host_ops ops;
	xdane_resolver *r;
	struct counter c = { 0, NULL };

	real_ops = xdane_miniloop_ops(loop);
	ops = *real_ops;
	ops.watch_fd = refusing_watch;
	ops.add_timer = refusing_timer;
	/* aggregated mode: the one host timer is refused */
	r = new_resolver(3000, &ops);
	if (!tap_ok(r != NULL, "refusing host: resolver"))
		return;
	refuse_timer = 1;
	refused_lookup(r, "timer");
	refuse_timer = 0;
	xdane_lookup_tlsa(r, 5269, "xmpp.a.example", on_count, &c, NULL, 0);
	while (c.calls == 0)
		xdane_miniloop_run_once(loop, 50);
	tap_ok(c.last->status == XDANE_DNS_SECURE, "refusing host: later lookups work again");
	counter_clear(&c);
	xdane_resolver_free(r);
	/* direct mode (the host refused the aggregate watch): every fd watch refused */
	refuse_watch = 1;
	r = new_resolver(3000, &ops);
	if (tap_ok(r != NULL, "refusing host: resolver without any fd watch"))
		refused_lookup(r, "fd watch");
	xdane_resolver_free(r);
	refuse_watch = 0;
}

/* pipe_blind_watch - a host that cannot watch pipes (the resolver's wake pipe); other fds as usual. */
static void *pipe_blind_watch(void *host, int fd, int r, int w, xdane_fd_ready_fn f, void *arg)
{
	struct stat sb;
	if (fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode))
		return NULL;
	return real_ops->watch_fd(host, fd, r, w, f, arg);
}

/* kick_refusing_timer - a host that refuses the resolver's own timers (arg: the resolver); getdns' as usual. */
static void *kick_refused_for;
static void *kick_refusing_timer(void *host, uint64_t ms, xdane_timer_fn f, void *arg)
{
	if (arg == kick_refused_for)
		return NULL;
	return real_ops->add_timer(host, ms, f, arg);
}

/*
 * test_learning_unwoken - a held answer needs a later host callback; if the
 * host refuses it (no wake pipe, the kick timer refused), the answer must
 * still be handed out, not kept forever.
 */
static void test_learning_unwoken(void)
{
	xdane_host_ops ops;
	xdane_resolver *r;
	struct counter c = { 0, NULL };
	uint64_t end;

	real_ops = xdane_miniloop_ops(loop);
	ops = *real_ops;
	ops.watch_fd = pipe_blind_watch;
	ops.add_timer = kick_refusing_timer;
	r = new_resolver(4500, &ops);
	if (!tap_ok(r != NULL, "learning unwoken: resolver without a wake pipe"))
		return;
	kick_refused_for = r;
	xdane_lookup_srv(r, "a.example", 0, on_count, &c, NULL, 0);
	end = now_ms() + 4000u * scale;
	while (c.calls == 0 && now_ms() < end)
		xdane_miniloop_run_once(loop, 20);
	tap_ok(c.calls == 1 && c.last->status == XDANE_DNS_SECURE,
	       "learning unwoken: the held SRV answer is handed out (%d calls, %s)", c.calls,
	       c.last && c.last->why ? c.last->why : "-");
	kick_refused_for = NULL;
	counter_clear(&c);
	xdane_resolver_free(r);
}

/* test_burst - many concurrent distinct lookups all complete (bounded in-flight queue). */
static void test_burst(void)
{
	const char *env = getenv("XDANE_TEST_BURST");
	int n = env ? atoi(env) : 1000, i, secure = 0;
	struct counter *c = calloc((size_t)n, sizeof *c);
	xdane_resolver *r = new_resolver(5000, NULL);
	xdane_resolver_stats st;
	char name[64];
	uint64_t start = now_ms();
	int done = 0;

	if (!tap_ok(r != NULL && c != NULL, "burst: resolver")) {
		free(c);
		xdane_resolver_free(r);
		return;
	}
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof name, "host%d.a.example", i);
		xdane_lookup_tlsa(r, 5269, name, on_count, &c[i], NULL, 0);
	}
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.in_flight <= 64 && st.queued + st.in_flight == (unsigned)n, "burst: at most 64 in flight, rest queued (%u + %u)",
	       st.in_flight, st.queued);
	while (done < n && now_ms() - start < 60000u * scale) {
		xdane_miniloop_run_once(loop, 50);
		for (done = 0, i = 0; i < n; i++)
			done += c[i].calls;
	}
	for (i = 0; i < n; i++)
		secure += c[i].calls == 1 && c[i].last->status == XDANE_DNS_SECURE && c[i].last->rcode == 3;
	tap_ok(secure == n, "burst: %d concurrent lookups all completed as secure NXDOMAIN (%d) in %llu ms", n, secure,
	       (unsigned long long)(now_ms() - start));
	xdane_resolver_get_stats(r, &st);
	tap_ok(st.by_status[XDANE_DNS_SECURE] == (uint64_t)n && st.in_flight == 0 && st.queued == 0, "burst: stats agree");
	for (i = 0; i < n; i++)
		counter_clear(&c[i]);
	free(c);
	xdane_resolver_free(r);
}

/* test_config_errors - bad configuration fails clearly, naming the problem. */
static void test_config_errors(void)
{
	char err[256];
	const char *bad[] = { "127.0.0.1:99999" }, *bad2[] = { "not-an-address" }, *v6[] = { "[::1]:5353" };
	xdane_resolver_config cfg;
	xdane_resolver *r;
	struct counter c = { 0, NULL };

	memset(&cfg, 0, sizeof cfg);
	cfg.upstreams = bad;
	cfg.nupstreams = 1;
	cfg.trust_anchor_file = anchor;
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	tap_ok(!r && strstr(err, "bad upstream") && strstr(err, "99999"), "config: bad port rejected (%s)", err);
	cfg.upstreams = bad2;
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	tap_ok(!r && strstr(err, "not-an-address"), "config: bad address rejected (%s)", err);
	cfg.upstreams = v6;
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	tap_ok(r != NULL, "config: [::1]:5353 accepted");
	xdane_resolver_free(r);
	cfg.trust_anchor_file = "/nonexistent/anchor";
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	tap_ok(!r && strstr(err, "cannot read trust anchor file /nonexistent/anchor"), "config: missing anchor file (%s)", err);
	cfg.trust_anchor_file = "/etc/hostname";
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	tap_ok(!r && strstr(err, "/etc/hostname"), "config: file without DS/DNSKEY rejected (%s)", err);
	/* wrong anchor: everything under the lab root is bogus, never secure or insecure */
	cfg.trust_anchor_file = "/usr/share/dns/root.key";
	cfg.upstreams = &upstream;
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	if (tap_ok(r != NULL, "config: Debian root key accepted (%s)", err)) {
		xdane_lookup_tlsa(r, 5269, "xmpp.a.example", on_count, &c, NULL, 0);
		while (c.calls == 0)
			xdane_miniloop_run_once(loop, 50);
		tap_ok(c.last->status == XDANE_DNS_BOGUS || c.last->status == XDANE_DNS_INDETERMINATE,
		       "config: wrong trust anchor makes lab answers bogus/indeterminate (%s)", xdane_dns_status_name(c.last->status));
		counter_clear(&c);
		xdane_resolver_free(r);
	}
}

/* test_names - invalid names are refused, IDN names looked up by A-label. */
static void test_names(void)
{
	xdane_resolver *r = new_resolver(2000, NULL);
	struct counter c = { 0, NULL };
	char err[256];

	if (!tap_ok(r != NULL, "names: resolver"))
		return;
	tap_ok(xdane_lookup_srv(r, "a..example", 0, on_count, &c, err, sizeof err) == 0 && strstr(err, "empty label"),
	       "names: empty label refused (%s)", err);
	tap_ok(xdane_lookup_srv(r, "a example", 0, on_count, &c, err, sizeof err) == 0, "names: space refused");
	tap_ok(xdane_lookup_srv(r, "", 0, on_count, &c, err, sizeof err) == 0, "names: empty refused");
	tap_ok(xdane_lookup_tlsa(r, 0, "a.example", on_count, &c, err, sizeof err) == 0, "names: port 0 refused");
	tap_ok(xdane_lookup_tlsa(r, 5269, "bücher.a.example", on_count, &c, err, sizeof err) > 0, "names: IDN accepted");
	while (c.calls == 0)
		xdane_miniloop_run_once(loop, 50);
	tap_ok(!strcmp(c.last->qname, "_5269._tcp.xn--bcher-kva.a.example") && c.last->status == XDANE_DNS_SECURE &&
	       c.last->rcode == 3, "names: IDN looked up as A-label (%s)", c.last->qname);
	counter_clear(&c);
	xdane_resolver_free(r);
}

int main(void)
{
	upstream = getenv("XDANE_UPSTREAM");
	if (getenv("XDANE_TEST_TIMEOUT_SCALE") && atoi(getenv("XDANE_TEST_TIMEOUT_SCALE")) > 0)
		scale = (unsigned)atoi(getenv("XDANE_TEST_TIMEOUT_SCALE"));
	anchor = getenv("XDANE_TRUST_ANCHOR");
	if (!upstream || !anchor || !getenv("XDANE_LAB_DIR")) {
		printf("not ok 1 - XDANE_UPSTREAM/XDANE_TRUST_ANCHOR/XDANE_LAB_DIR not set (source tests/lab/env.sh)\n");
		return 1;
	}
	loop = xdane_miniloop_new();
	test_config_errors();
	test_names();
	/* slow runs (valgrind) skip slow.example here: 3 s per answer, and their timeouts are scaled */
	test_expected(NULL, "", scale > 1);
	test_key_cache();
	test_offline_path();
	test_deep_anchor();
	test_cache();
	test_coalesce();
	test_cancel();
	test_destroy_in_flight();
	test_keys_in_flight();
	test_learning_held();
	test_free_in_callback();
	test_refusing_host();
	test_learning_unwoken();
	test_burst();
	tap_ok(xdane_miniloop_run_once(loop, 0) == 0, "loop empty at the end");
	xdane_miniloop_free(loop);
	return tap_done();
}
