/* SPDX-License-Identifier: MIT */
/*
 * resolver.c - DNSSEC-validated SRV/TLSA lookups: getdns 1.6 in stub mode,
 * validating by itself, running in the host's loop through evloop.c.
 *
 * A lookup (what the user asked) waits on a query (one getdns request per
 * qtype + qname): identical concurrent lookups share a query. Queries beyond
 * max_inflight wait in a FIFO, because a burst of hundreds of getdns requests
 * overflows a resolver's receive buffer. Finished lookups go to a done queue
 * that is only drained after getdns has returned, from a host callback: the
 * end of a bridge dispatch, or a zero-delay "kick" timer when the answer came
 * from the cache. User callbacks therefore never run inside getdns nor inside
 * xdane_lookup_*. Anything that could free the resolver while we are on the
 * stack (busy > 0) only marks it closing; the last frame frees it.
 *
 * Under a zone whose keys are cached, a query is asked the offline way
 * (resolver_offline.h): if a zone below signed the answer, the query holds
 * it and asks that zone's DNSKEY and DS as two subrequests (started from
 * pump, outside getdns; for an SRV question, the domain's own, with the
 * question: prefetch_signer); whatever is not provably secure is requeued with
 * getdns' own validation. A secure answer that carries a validation chain is
 * held until its key sets are learned (validated, hence not cheap), in a host
 * callback of its own, for about a millisecond per turn of the loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "xdane_resolver.h"
#include "evloop_bridge.h"
#include "dnscache.h"
#include "resolver_classify.h"
#include "resolver_name.h"
#include "resolver_anchors.h"
#include "resolver_offline.h"

#define DEFAULT_ANCHOR "/usr/share/dns/root.key"
#define DEFAULT_RESOLVCONF "/etc/resolv.conf"
/* getdns requests started per host callback: each costs socket setup and
 * host registrations; more would block the host loop for milliseconds */
#define PUMP_BUDGET 8
#define LEARN_BUDGET_US 1000u /* key learning per host callback (one answer at least) */

struct query;

struct lookup {
	int64_t id;
	xdane_lookup_cb cb;
	void *userarg;
	int cancelled;
	struct query *q;        /* waiting on it; NULL once done */
	struct xdane_ans *ans;  /* set when done (then in the done queue) */
	struct lookup *prev, *next; /* r->lookups: every undelivered lookup */
	struct lookup *wnext;   /* waiters of q */
	struct lookup *dnext;   /* done queue */
};

enum { Q_QUEUED = 1, Q_INFLIGHT = 2, Q_LEARNING = 3 }; /* Q_LEARNING: answered, its keys to learn first */
enum { K_NONE, K_QUEUED, K_FETCHING };

struct query {
	struct xdane_resolver *r;
	int qtype, state;
	int starting;           /* inside getdns_general: the callback only records */
	int retried;            /* already retried without cached keys */
	int offline;            /* asked without getdns validation: validated from fast_zone's keys */
	int full;               /* the offline way failed: ask with getdns' own validation */
	int keys;               /* K_NONE, K_QUEUED (subrequests to start), K_FETCHING */
	int cancelling;         /* being cancelled by us: ignore the CANCEL callback */
	struct xdane_ans *early; /* answer delivered during getdns_general */
	getdns_transaction_t tid;
	char qname[256];
	char fast_zone[256];    /* the cached zone whose keys validate an offline answer */
	char signer[256];       /* K_*: the zone below it that signed the answer */
	getdns_dict *held;      /* K_*: the offline answer, waiting for the signer's DNSKEY and DS */
	struct subreq {
		struct query *q;
		int done;
		getdns_dict *resp; /* NULL if it failed */
		getdns_transaction_t tid;
	} sub[2];               /* K_FETCHING: DNSKEY and DS of signer */
	int sub_starting;       /* inside the getdns_general calls of the subrequests */
	struct query *knext;    /* r->keys_head list (K_QUEUED) */
	getdns_dict *to_learn;  /* Q_LEARNING: the response whose validation chain is learned */
	struct xdane_ans *learned_ans; /* Q_LEARNING: its answer, handed out once learned */
	struct query *lnext;    /* r->learn_head FIFO (Q_LEARNING) */
	struct lookup *waiters;
	struct query *prev, *next; /* r->queries (queued and in flight) */
	struct query *pnext;       /* pending FIFO */
};

struct xdane_resolver {
	getdns_context *ctx;
	getdns_dict *ext, *ext_chain; /* extensions; ext_chain adds the validation chain (key cache) */
	getdns_dict *ext_offline;     /* DO + CD, no getdns validation: the offline path */
	xdane_bridge *bridge;
	xdane_host_ops ops;
	xdane_dnscache *cache;
	xdane_keycache *keys;    /* validated DNSKEY sets reused as anchors; NULL if disabled */
	unsigned started;        /* queries started since the last host callback (stall bound) */
	struct query *queries, *pend_head, *pend_tail;
	struct query *pend_fast_tail; /* last offline-path query at the head of the FIFO, or NULL */
	struct query *keys_head;      /* in flight, waiting to start their signer's DNSKEY/DS subrequests */
	struct query *learn_head, *learn_tail; /* Q_LEARNING, learned by learn_some */
	struct lookup *lookups, *done_head, *done_tail;
	unsigned inflight, queued, max_inflight;
	int64_t next_id;
	void *kick;      /* host timer draining the done queue (fallback) */
	int wake[2];     /* self-pipe watched by the host: wakes the loop at once */
	void *wake_watch; /* host watch on wake[0], NULL if refused */
	int woken;       /* a byte is in the pipe */
	int busy;        /* frames of ours on the stack */
	int delivering;  /* inside deliver() */
	int closing;     /* free requested */
	int destroying;  /* inside really_free() */
	int refused;     /* the host refused a registration since last handled */
	xdane_resolver_stats st;
};

/* Used when even an "out of memory" answer cannot be allocated. */
static struct xdane_ans oom_answer = {
	{ XDANE_DNS_INDETERMINATE, -1, 0, "", "out of memory", 0, 0, 0, NULL, NULL }, 1 << 30, NULL
};

static void after_work(struct xdane_resolver *r, int may_learn);
static int wake_soon(struct xdane_resolver *r);
static void really_free(struct xdane_resolver *r);

/* now_us - monotonic microseconds. */
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* now_ms - monotonic milliseconds. */
static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* seterr - formatted message into err (if any). */
static void seterr(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg ? arg : "");
}

/* ans_or_oom - never hand out NULL. */
static struct xdane_ans *ans_or_oom(struct xdane_ans *a)
{
	if (a)
		return a;
	oom_answer.refs++;
	return &oom_answer;
}

/* push_done - lookup l has its answer: queue it for delivery. */
static void push_done(struct xdane_resolver *r, struct lookup *l, struct xdane_ans *a)
{
	l->q = NULL;
	l->ans = a;
	l->dnext = NULL;
	if (r->done_tail)
		r->done_tail->dnext = l;
	else
		r->done_head = l;
	r->done_tail = l;
}

/* unlink_query - take q off r->queries (it is no longer in the pending FIFO). */
static void unlink_query(struct xdane_resolver *r, struct query *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		r->queries = q->next;
	if (q->next)
		q->next->prev = q->prev;
}

/* unlink_lookup - take l off r->lookups. */
static void unlink_lookup(struct xdane_resolver *r, struct lookup *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		r->lookups = l->next;
	if (l->next)
		l->next->prev = l->prev;
}

/* release_keys - end q's signer key fetch, if any: cancel its subrequests, free what they held. */
static void release_keys(struct xdane_resolver *r, struct query *q)
{
	struct query **pp;
	int i;

	if (q->keys == K_QUEUED) {
		for (pp = &r->keys_head; *pp; pp = &(*pp)->knext)
			if (*pp == q) {
				*pp = q->knext;
				break;
			}
	}
	for (i = 0; i < 2; i++) {
		if (q->keys == K_FETCHING && !q->sub[i].done && !r->destroying) {
			q->sub[i].done = 1; /* its CANCEL callback is ignored */
			r->busy++;
			getdns_cancel_callback(r->ctx, q->sub[i].tid);
			r->busy--;
		}
		getdns_dict_destroy(q->sub[i].resp);
		q->sub[i].resp = NULL;
	}
	getdns_dict_destroy(q->held);
	q->held = NULL;
	q->keys = K_NONE;
}

/* complete_query - q has an answer: cache it, hand it to every waiter, free q. Never calls out. */
static void complete_query(struct xdane_resolver *r, struct query *q, struct xdane_ans *a)
{
	struct lookup *l, *next;

	release_keys(r, q);
	if (q->state == Q_INFLIGHT)
		r->inflight--;
	/* only validated outcomes are cached; bogus and indeterminate are retried */
	if (a->pub.status == XDANE_DNS_SECURE || a->pub.status == XDANE_DNS_INSECURE)
		xdane_dnscache_put(r->cache, a, now_ms());
	for (l = q->waiters; l; l = next) {
		next = l->wnext;
		xdane_answer_ref(&a->pub);
		push_done(r, l, a);
	}
	q->waiters = NULL;
	unlink_query(r, q);
	xdane_answer_unref(&a->pub);
	free(q);
}

/* requeue_front - an in-flight query goes back to the head of the pending FIFO (retry). */
static void requeue_front(struct xdane_resolver *r, struct query *q)
{
	r->inflight--;
	r->queued++;
	q->state = Q_QUEUED;
	q->pnext = r->pend_head;
	r->pend_head = q;
	if (!r->pend_tail)
		r->pend_tail = q;
}

/* requeue_retry - again from the configured anchors only (a cached key may be stale). */
static void requeue_retry(struct xdane_resolver *r, struct query *q)
{
	r->st.key_cache_retries++;
	q->retried = 1;
	requeue_front(r, q);
}

/* requeue_full - an offline answer was not provably secure: again with getdns' own validation. */
static void requeue_full(struct xdane_resolver *r, struct query *q)
{
	r->st.offline_retries++;
	q->offline = 0;
	q->full = 1;
	requeue_front(r, q);
}

/*
 * hold_to_learn - a secure answer that getdns validated itself with its
 * validation chain: its key sets go to the key cache before the answer is
 * handed out (the TLSA lookup that follows then goes the offline way).
 * Learning validates each key set (a few signature checks per zone), so it
 * is not done inside this getdns callback but by learn_some, from a host
 * callback of its own, keeping each loop turn short. Returns 1 if q is held.
 */
static int hold_to_learn(struct query *q, struct xdane_ans *a, getdns_dict *resp)
{
	struct xdane_resolver *r = q->r;
	getdns_list *chain;

	if (!r->keys || q->offline || q->starting || a->pub.status != XDANE_DNS_SECURE || a->pub.count == 0 ||
	    getdns_dict_get_list(resp, "validation_chain", &chain))
		return 0;
	r->inflight--;
	q->state = Q_LEARNING;
	q->to_learn = resp;
	q->learned_ans = a;
	q->lnext = NULL;
	if (r->learn_tail)
		r->learn_tail->lnext = q;
	else
		r->learn_head = q;
	r->learn_tail = q;
	return 1;
}

/* learn_next - outside getdns, in a host callback: learn the first held answer's keys, hand it out. */
static void learn_next(struct xdane_resolver *r)
{
	struct query *q = r->learn_head;

	r->learn_head = q->lnext;
	if (!r->learn_head)
		r->learn_tail = NULL;
	xdane_keycache_learn(r->keys, q->to_learn, q->qtype, q->qname, now_ms());
	getdns_dict_destroy(q->to_learn);
	q->to_learn = NULL;
	complete_query(r, q, q->learned_ans);
}

/*
 * learn_some - held answers, at least one, for up to LEARN_BUDGET_US: a
 * turn of the loop stays short, and a burst of them still drains.
 */
static void learn_some(struct xdane_resolver *r)
{
	uint64_t start = now_us();

	while (r->learn_head) {
		learn_next(r);
		if (now_us() - start >= LEARN_BUDGET_US)
			break;
	}
}

/* finish_keys - the signer's DNSKEY and DS are in: validate the held answer from the cached zone's keys. */
static void finish_keys(struct xdane_resolver *r, struct query *q)
{
	const getdns_list *keys = xdane_keycache_zone_keys(r->keys, q->fast_zone, now_ms());
	getdns_dict *held = q->held;

	if (keys && q->sub[0].resp && q->sub[1].resp &&
	    xdane_offline_with_keys(held, q->sub[0].resp, q->sub[1].resp, keys)) {
		xdane_keycache_store_zone(r->keys, q->signer, q->sub[0].resp, now_ms());
		r->st.offline_secure++;
		q->held = NULL;
		complete_query(r, q, ans_or_oom(xdane_classify(GETDNS_CALLBACK_COMPLETE, held, q->qtype, q->qname)));
		getdns_dict_destroy(held);
		return;
	}
	release_keys(r, q);
	requeue_full(r, q);
}

/* on_sub - getdns callback of a DNSKEY or DS subrequest: record it; the last one finishes the query. */
static void on_sub(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp, void *userarg,
                   getdns_transaction_t tid)
{
	struct subreq *s = userarg;
	struct query *q = s->q;

	(void)ctx;
	(void)tid;
	if (type == GETDNS_CALLBACK_CANCEL || s->done || q->r->destroying) {
		getdns_dict_destroy(resp);
		return;
	}
	s->done = 1;
	if (type == GETDNS_CALLBACK_COMPLETE)
		s->resp = resp;
	else
		getdns_dict_destroy(resp);
	if (!q->sub_starting && q->sub[0].done && q->sub[1].done && q->held)
		finish_keys(q->r, q);
}

/* start_keys - outside getdns: ask the signer's DNSKEY and DS the offline way. */
static void start_keys(struct xdane_resolver *r, struct query *q)
{
	static const uint16_t types[2] = { GETDNS_RRTYPE_DNSKEY, GETDNS_RRTYPE_DS };
	char fqdn[258];
	int i;

	snprintf(fqdn, sizeof fqdn, "%s.", q->signer);
	q->keys = K_FETCHING;
	q->sub_starting = 1;
	r->busy++;
	for (i = 0; i < 2; i++) {
		q->sub[i].q = q;
		q->sub[i].done = 0;
		q->sub[i].resp = NULL;
		r->st.upstream_queries++;
		if (getdns_general(r->ctx, fqdn, types[i], r->ext_offline, &q->sub[i], &q->sub[i].tid, on_sub) !=
		    GETDNS_RETURN_GOOD)
			q->sub[i].done = 1;
	}
	r->busy--;
	q->sub_starting = 0;
	if (q->sub[0].done && q->sub[1].done && q->held)
		finish_keys(r, q);
}

/*
 * prefetch_signer - an SRV question asked the offline way: its domain is
 * most often a zone of its own below the cached one, so that zone's DNSKEY
 * and DS are asked with the question instead of after its answer (one round
 * trip less for a new peer). A wrong guess is dropped when the answer names
 * its signer (offline_answer).
 */
static void prefetch_signer(struct xdane_resolver *r, struct query *q)
{
	const char *domain = strchr(q->qname, '.');

	domain = domain ? strchr(domain + 1, '.') : NULL; /* past "_xmpp-server._tcp." */
	if (q->qtype != GETDNS_RRTYPE_SRV || !domain || !strcmp(q->fast_zone, domain + 1) ||
	    !xdane_zone_covers(q->fast_zone, domain + 1))
		return;
	strcpy(q->signer, domain + 1);
	start_keys(r, q);
}

/*
 * offline_answer - an answer asked the offline way (resolver_offline.h).
 * Returns 1 if it is to be classified as it is (secure-marked or final), 0
 * if it was requeued the full way or is waiting for its signer's keys (resp
 * then taken or freed).
 */
static int offline_answer(struct query *q, getdns_callback_type_t type, getdns_dict *resp)
{
	struct xdane_resolver *r = q->r;
	const getdns_list *keys = xdane_keycache_zone_keys(r->keys, q->fast_zone, now_ms());
	char signer[256];
	int verdict = xdane_offline_check(type, resp, q->qtype, q->qname, q->fast_zone, keys, signer);

	if (q->keys != K_NONE && (verdict != XDANE_OFFLINE_KEYS || strcmp(signer, q->signer)))
		release_keys(r, q); /* prefetched for nothing, or for another zone */
	switch (verdict) {
	case XDANE_OFFLINE_SECURE:
		r->st.offline_secure++;
		return 1;
	case XDANE_OFFLINE_FINAL:
		return 1;
	case XDANE_OFFLINE_KEYS:
		q->held = resp;
		if (q->keys == K_FETCHING) { /* prefetched: done once both are in */
			if (q->sub[0].done && q->sub[1].done)
				finish_keys(r, q);
			return 0;
		}
		strcpy(q->signer, signer);
		q->keys = K_QUEUED;
		q->knext = r->keys_head;
		r->keys_head = q;
		return 0;
	case XDANE_OFFLINE_STALE:
		/* stale after a rollover, or the name moved to a child zone: learned again the full way */
		xdane_keycache_forget_zone(r->keys, q->fast_zone);
		/* fall through */
	default:
		getdns_dict_destroy(resp);
		requeue_full(r, q);
		return 0;
	}
}

/* on_getdns - getdns callback: classify and record, nothing else (we are inside getdns). */
static void on_getdns(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp, void *userarg,
                      getdns_transaction_t tid)
{
	struct query *q = userarg;
	struct xdane_ans *a;

	(void)ctx;
	(void)tid;
	if (type == GETDNS_CALLBACK_CANCEL || q->cancelling || q->r->destroying) {
		getdns_dict_destroy(resp);
		return;
	}
	/* (a synchronous callback inside getdns_general cannot be requeued: an
	 * offline answer then stays unvalidated, hence indeterminate: refused) */
	if (q->offline && !q->starting && !offline_answer(q, type, resp))
		return;
	a = ans_or_oom(xdane_classify((int)type, resp, q->qtype, q->qname));
	if (hold_to_learn(q, a, resp))
		return;
	getdns_dict_destroy(resp);
	if (!q->starting && !q->retried && q->r->keys &&
	    (a->pub.status == XDANE_DNS_BOGUS ||
	     (a->pub.status == XDANE_DNS_INDETERMINATE && a->pub.why && !strcmp(a->pub.why, "validation indeterminate"))) &&
	    xdane_keycache_drop(q->r->keys, q->qname) > 0) {
		/* a cached key may be stale (rollover): ask again from the configured anchors only */
		requeue_retry(q->r, q);
		xdane_answer_unref(&a->pub);
		return;
	}
	if (q->starting) {
		q->early = a;
		return;
	}
	complete_query(q->r, q, a);
}

/* fail_query - end q (in flight or not) as indeterminate with a static reason. */
static void fail_query(struct xdane_resolver *r, struct query *q, const char *why)
{
	complete_query(r, q, ans_or_oom(xdane_ans_new(XDANE_DNS_INDETERMINATE, q->qtype, q->qname, why)));
}

/* start_query - send q to getdns. */
static void start_query(struct xdane_resolver *r, struct query *q)
{
	char fqdn[258];
	getdns_return_t rc;
	getdns_dict *ext;

	snprintf(fqdn, sizeof fqdn, "%s.", q->qname); /* absolute: no search list */
	q->state = Q_INFLIGHT;
	q->starting = 1;
	r->inflight++;
	r->st.upstream_queries++;
	r->busy++;
	/* the validation chain (key cache food) only where its zone keys get reused: SRV answers
	 * (the TLSA at the target usually follows in the same zone); TLSA lookups end a sequence */
	q->offline = r->keys && !q->full && !q->retried &&
	             xdane_keycache_deepest_zone(r->keys, q->qname, now_ms(), q->fast_zone);
	if (q->offline)
		ext = r->ext_offline;
	else if (q->qtype == GETDNS_RRTYPE_SRV && r->ext_chain)
		ext = r->ext_chain;
	else
		ext = r->ext;
	if (q->offline)
		prefetch_signer(r, q);
	rc = getdns_general(r->ctx, fqdn, (uint16_t)q->qtype, ext, q, &q->tid, on_getdns);
	r->busy--;
	q->starting = 0;
	if (q->early)
		complete_query(r, q, q->early);
	else if (rc != GETDNS_RETURN_GOOD)
		fail_query(r, q, "getdns request failed");
}

/* handle_refused - the host refused a registration: every request in flight may be deaf; end them. */
static void handle_refused(struct xdane_resolver *r)
{
	struct query *q, *next;

	r->refused = 0;
	for (q = r->queries; q; q = next) {
		next = q->next;
		if (q->state != Q_INFLIGHT)
			continue;
		q->cancelling = 1;
		r->busy++;
		getdns_cancel_callback(r->ctx, q->tid);
		r->busy--;
		fail_query(r, q, "host event loop refused a registration");
	}
}

/* pump - start queued queries while there is room in flight. */
static void pump(struct xdane_resolver *r)
{
	while (!r->closing && r->keys_head) {
		struct query *q = r->keys_head;
		r->keys_head = q->knext;
		start_keys(r, q);
	}
	if (r->keys && r->pend_head)
		xdane_keycache_apply(r->keys, r->ctx, now_ms()); /* outside getdns: safe to change anchors */
	while (!r->closing && r->inflight < r->max_inflight && r->pend_head) {
		/* the rest after the host has had its turn, unless it refuses that turn */
		if (r->started >= PUMP_BUDGET && wake_soon(r))
			break;
		struct query *q = r->pend_head;
		r->pend_head = q->pnext;
		if (!r->pend_head)
			r->pend_tail = NULL;
		if (r->pend_fast_tail == q)
			r->pend_fast_tail = NULL;
		q->pnext = NULL;
		r->queued--;
		if (!q->waiters) { /* every lookup on it was cancelled */
			unlink_query(r, q);
			free(q);
			continue;
		}
		r->started++;
		start_query(r, q);
		if (r->refused)
			handle_refused(r);
	}
}

/* deliver - run the callbacks of finished lookups, in order; stops when the resolver is closed. */
static void deliver(struct xdane_resolver *r)
{
	struct lookup *l;

	r->delivering++;
	while (!r->closing && (l = r->done_head) != NULL) {
		r->done_head = l->dnext;
		if (!r->done_head)
			r->done_tail = NULL;
		unlink_lookup(r, l);
		if (!l->cancelled) {
			int s = l->ans->pub.status;
			r->st.by_status[s >= 1 && s <= 4 ? s : 0]++;
			l->cb(&l->ans->pub, l->userarg);
		}
		xdane_answer_unref(&l->ans->pub);
		free(l);
	}
	r->delivering--;
}

/*
 * after_work - outside getdns, from a host callback: learn held answers'
 * keys (may_learn: not at the end of a dispatch, which has done its share),
 * fail refused requests, start queued ones, deliver.
 */
static void after_work(struct xdane_resolver *r, int may_learn)
{
	if (r->closing)
		return;
	r->started = 0;
	if (may_learn)
		learn_some(r);
	/* the rest in a later host callback; if the host refuses one, here and
	 * now: nothing else would ever hand those answers out */
	while (r->learn_head && !wake_soon(r))
		learn_next(r);
	if (r->refused)
		handle_refused(r);
	pump(r);
	if (!r->delivering)
		deliver(r);
}

/* maybe_free - a deferred free happens once no frame of ours is on the stack. */
static void maybe_free(struct xdane_resolver *r)
{
	if (r->closing && r->busy == 0 && !r->destroying)
		really_free(r);
}

/* hook_enter / hook_leave - bridge dispatch boundaries. */
static void hook_enter(void *arg)
{
	((struct xdane_resolver *)arg)->busy++;
}

/* hook_leave - end of a dispatch: outside getdns now, do the deferred work; maybe free. */
static void hook_leave(void *arg)
{
	struct xdane_resolver *r = arg;
	after_work(r, 0);
	r->busy--;
	maybe_free(r);
}

/* hook_refused - the host refused a registration: handled by after_work. */
static void hook_refused(void *arg)
{
	((struct xdane_resolver *)arg)->refused = 1;
}

/* kick_fire - zero-delay timer: deliver answers that did not come through getdns. */
static void kick_fire(void *arg)
{
	struct xdane_resolver *r = arg;
	r->kick = NULL;
	r->busy++;
	after_work(r, 1);
	r->busy--;
	maybe_free(r);
}

static int kick_now(struct xdane_resolver *r);

/* ensure_kick - make sure the done queue gets drained by a later host callback. 1 ok, 0 refused. */
static int ensure_kick(struct xdane_resolver *r)
{
	if (r->kick || r->woken || !r->done_head || r->delivering)
		return 1;
	return kick_now(r);
}

/* wake_soon - have after_work run again from a later host callback (more to do). 1 ok, 0 refused. */
static int wake_soon(struct xdane_resolver *r)
{
	if (r->kick || r->woken)
		return 1;
	return kick_now(r);
}

/* kick_now - wake the host through the self-pipe, else a 0 ms timer. 1 ok, 0 refused. */
static int kick_now(struct xdane_resolver *r)
{
	/* a readable pipe wakes the host at once; a 0 ms timer may wait for the
	 * host's minimum timer granularity (1 ms in Prosody's epoll loop) */
	if (r->wake_watch && write(r->wake[1], "k", 1) == 1) {
		r->woken = 1;
		return 1;
	}
	r->kick = r->ops.add_timer(r->ops.host, 0, kick_fire, r);
	return r->kick != NULL;
}

/* wake_ready - the self-pipe is readable: drain it and deliver. */
static void wake_ready(void *arg, int readable, int writable)
{
	struct xdane_resolver *r = arg;
	char buf[64];
	(void)readable;
	(void)writable;
	while (read(r->wake[0], buf, sizeof buf) > 0)
		;
	r->woken = 0;
	r->busy++;
	after_work(r, 1);
	r->busy--;
	maybe_free(r);
}

/* open_wake - non-blocking self-pipe and its host watch; without them the timer kick is used. */
static void open_wake(struct xdane_resolver *r)
{
	int i;
	r->wake[0] = r->wake[1] = -1;
	if (pipe(r->wake) != 0) {
		r->wake[0] = r->wake[1] = -1;
		return;
	}
	for (i = 0; i < 2; i++) {
		fcntl(r->wake[i], F_SETFL, fcntl(r->wake[i], F_GETFL) | O_NONBLOCK);
		fcntl(r->wake[i], F_SETFD, FD_CLOEXEC);
	}
	r->wake_watch = r->ops.watch_fd(r->ops.host, r->wake[0], 1, 0, wake_ready, r);
}

/* parse_upstream - "ADDR", "ADDR:PORT", "[V6]:PORT" or bare IPv6 into a getdns dict. */
static getdns_dict *parse_upstream(const char *s, char *err, size_t errlen)
{
	char host[64];
	const char *colon;
	unsigned long port = 53;
	unsigned char addr[16];
	getdns_bindata data;
	getdns_dict *d;
	int v6 = 0;
	size_t hl;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || (end[1] && end[1] != ':'))
			goto bad;
		hl = (size_t)(end - s - 1);
		colon = end[1] ? end + 1 : NULL;
		s++;
		v6 = 1;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) { /* bare IPv6, no port */
			colon = NULL;
			v6 = 1;
		}
		hl = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (hl == 0 || hl >= sizeof host)
		goto bad;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (colon) {
		char *end;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || end == colon + 1 || port == 0 || port > 65535)
			goto bad;
	}
	if (inet_pton(v6 ? AF_INET6 : AF_INET, host, addr) != 1)
		goto bad;
	d = getdns_dict_create();
	if (!d)
		return NULL;
	data.data = addr;
	data.size = v6 ? 16 : 4;
	if (getdns_dict_util_set_string(d, "address_type", v6 ? "IPv6" : "IPv4") ||
	    getdns_dict_set_bindata(d, "address_data", &data) || getdns_dict_set_int(d, "port", (uint32_t)port)) {
		getdns_dict_destroy(d);
		return NULL;
	}
	return d;
bad:
	seterr(err, errlen, "bad upstream '%s' (want ADDR, ADDR:PORT or [IPv6]:PORT)", s);
	return NULL;
}

/* set_upstreams - explicit upstreams, or the system's resolv.conf (port 53). 1 ok, 0 config error. */
static int set_upstreams(getdns_context *ctx, const xdane_resolver_config *cfg, char *err, size_t errlen)
{
	getdns_list *list;
	size_t i, n = 0;

	if (!cfg || !cfg->upstreams || cfg->nupstreams == 0) {
		if (getdns_context_set_resolvconf(ctx, DEFAULT_RESOLVCONF) != GETDNS_RETURN_GOOD ||
		    getdns_context_get_upstream_recursive_servers(ctx, &list) != GETDNS_RETURN_GOOD) {
			seterr(err, errlen, "cannot read upstream resolvers from %s", DEFAULT_RESOLVCONF);
			return 0;
		}
		getdns_list_get_length(list, &n);
		getdns_list_destroy(list);
		if (n == 0) {
			seterr(err, errlen, "no nameserver in %s", DEFAULT_RESOLVCONF);
			return 0;
		}
		return 1;
	}
	list = getdns_list_create();
	if (!list) {
		seterr(err, errlen, "out of memory", NULL);
		return 0;
	}
	for (i = 0; i < cfg->nupstreams; i++) {
		getdns_dict *d;
		if (!cfg->upstreams[i]) {
			seterr(err, errlen, "bad upstream (null)%s", NULL);
			getdns_list_destroy(list);
			return 0;
		}
		d = parse_upstream(cfg->upstreams[i], err, errlen);
		if (!d || getdns_list_set_dict(list, i, d)) {
			getdns_dict_destroy(d);
			getdns_list_destroy(list);
			return 0;
		}
		getdns_dict_destroy(d);
	}
	if (getdns_context_set_upstream_recursive_servers(ctx, list) != GETDNS_RETURN_GOOD) {
		seterr(err, errlen, "getdns rejected the upstream list%s", NULL);
		getdns_list_destroy(list);
		return 0;
	}
	getdns_list_destroy(list);
	return 1;
}

/* set_anchors - DS/DNSKEY records from a zone-format file; never fetched from the internet. */
static int set_anchors(getdns_context *ctx, const char *file, getdns_list **keep, char *err, size_t errlen)
{
	FILE *fp;
	getdns_list *list = NULL;
	size_t i, n = 0, usable = 0;

	fp = fopen(file, "r");
	if (!fp) {
		if (err && errlen)
			snprintf(err, errlen, "cannot read trust anchor file %s: %s", file, strerror(errno));
		return 0;
	}
	if (getdns_fp2rr_list(fp, &list, NULL, 3600) != GETDNS_RETURN_GOOD || !list) {
		fclose(fp);
		seterr(err, errlen, "trust anchor file %s is not in zone-file format", file);
		getdns_list_destroy(list);
		return 0;
	}
	fclose(fp);
	getdns_list_get_length(list, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		uint32_t type;
		if (!getdns_list_get_dict(list, i, &rr) && !getdns_dict_get_int(rr, "type", &type) &&
		    (type == GETDNS_RRTYPE_DS || type == GETDNS_RRTYPE_DNSKEY))
			usable++;
	}
	if (usable == 0 || getdns_context_set_dnssec_trust_anchors(ctx, list) != GETDNS_RETURN_GOOD) {
		seterr(err, errlen, "no DS or DNSKEY record in trust anchor file %s", file);
		getdns_list_destroy(list);
		return 0;
	}
	*keep = list;
	/* no zero-config DNSSEC: never fetch root anchors over HTTP */
	if (getdns_context_set_trust_anchors_verify_CA(ctx, "") != GETDNS_RETURN_GOOD) {
		seterr(err, errlen, "cannot disable trust anchor fetching%s", NULL);
		return 0;
	}
	return 1;
}

/* offline_extensions - DO and CD set, no getdns validation: we validate the reply ourselves. NULL on OOM. */
static getdns_dict *offline_extensions(void)
{
	getdns_dict *ext = getdns_dict_create(), *opt = getdns_dict_create(), *hdr = getdns_dict_create();
	int ok = ext && opt && hdr && !getdns_dict_set_int(opt, "do_bit", 1) && !getdns_dict_set_int(hdr, "cd", 1) &&
	         !getdns_dict_set_dict(ext, "add_opt_parameters", opt) && !getdns_dict_set_dict(ext, "header", hdr);
	getdns_dict_destroy(opt);
	getdns_dict_destroy(hdr);
	if (!ok) {
		getdns_dict_destroy(ext);
		return NULL;
	}
	return ext;
}

/* make_context - getdns context in stub mode with our loop, upstreams, anchors and timeout. */
static int make_context(struct xdane_resolver *r, const xdane_resolver_config *cfg, char *err, size_t errlen)
{
	getdns_transport_list_t transports[] = { GETDNS_TRANSPORT_UDP, GETDNS_TRANSPORT_TCP };
	unsigned timeout = cfg && cfg->timeout_ms ? cfg->timeout_ms : 5000;
	getdns_list *anchors = NULL;

	if (getdns_context_create(&r->ctx, 0) != GETDNS_RETURN_GOOD) {
		r->ctx = NULL;
		seterr(err, errlen, "cannot create getdns context%s", NULL);
		return 0;
	}
	if (getdns_context_set_eventloop(r->ctx, xdane_bridge_loop(r->bridge)) ||
	    getdns_context_set_resolution_type(r->ctx, GETDNS_RESOLUTION_STUB) ||
	    getdns_context_set_dns_transport_list(r->ctx, 2, transports) || getdns_context_set_timeout(r->ctx, timeout)) {
		seterr(err, errlen, "cannot configure getdns context%s", NULL);
		return 0;
	}
	if (cfg && cfg->appdata_dir && getdns_context_set_appdata_dir(r->ctx, cfg->appdata_dir)) {
		seterr(err, errlen, "bad appdata_dir %s", cfg->appdata_dir);
		return 0;
	}
	if (!set_upstreams(r->ctx, cfg, err, errlen))
		return 0;
	if (!set_anchors(r->ctx, cfg && cfg->trust_anchor_file ? cfg->trust_anchor_file : DEFAULT_ANCHOR, &anchors, err,
	                 errlen)) {
		getdns_list_destroy(anchors);
		return 0;
	}
	if (!(cfg && cfg->no_key_cache)) {
		r->keys = xdane_keycache_new(anchors);
		if (!r->keys) {
			getdns_list_destroy(anchors);
			seterr(err, errlen, "out of memory%s", NULL);
			return 0;
		}
	}
	getdns_list_destroy(anchors);
	r->ext = getdns_dict_create();
	/* both: dnssec_return_status alone hides bogus answers as "no name" */
	r->ext_chain = r->keys ? getdns_dict_create() : NULL;
	r->ext_offline = r->keys ? offline_extensions() : NULL;
	if (!r->ext || (r->keys && !r->ext_offline) ||
	    getdns_dict_set_int(r->ext, "dnssec_return_status", GETDNS_EXTENSION_TRUE) ||
	    getdns_dict_set_int(r->ext, "dnssec_return_all_statuses", GETDNS_EXTENSION_TRUE) ||
	    (r->keys && (!r->ext_chain || getdns_dict_set_int(r->ext_chain, "dnssec_return_status", GETDNS_EXTENSION_TRUE) ||
	                 getdns_dict_set_int(r->ext_chain, "dnssec_return_all_statuses", GETDNS_EXTENSION_TRUE) ||
	                 getdns_dict_set_int(r->ext_chain, "dnssec_return_validation_chain", GETDNS_EXTENSION_TRUE)))) {
		seterr(err, errlen, "out of memory%s", NULL);
		return 0;
	}
	return 1;
}

/* xdane_resolver_new - see xdane_resolver.h */
xdane_resolver *xdane_resolver_new(const xdane_resolver_config *cfg, const xdane_host_ops *ops, char *err,
                                   size_t errlen)
{
	struct xdane_resolver *r;
	xdane_bridge_hooks hooks;

	if (err && errlen)
		err[0] = '\0';
	if (!ops || !ops->watch_fd || !ops->unwatch_fd || !ops->add_timer || !ops->cancel_timer) {
		seterr(err, errlen, "incomplete host loop operations%s", NULL);
		return NULL;
	}
	r = calloc(1, sizeof *r);
	if (!r) {
		seterr(err, errlen, "out of memory%s", NULL);
		return NULL;
	}
	r->wake[0] = r->wake[1] = -1;
	r->ops = *ops;
	r->max_inflight = cfg && cfg->max_inflight ? cfg->max_inflight : 64;
	hooks.arg = r;
	hooks.enter = hook_enter;
	hooks.leave = hook_leave;
	hooks.on_refused = hook_refused;
	hooks.aggregate = 1;
	r->bridge = xdane_bridge_new(ops, &hooks);
	r->cache = xdane_dnscache_new(cfg && cfg->cache_max ? cfg->cache_max : 10000);
	if (!r->bridge || !r->cache) {
		seterr(err, errlen, "out of memory%s", NULL);
		goto fail;
	}
	if (!make_context(r, cfg, err, errlen))
		goto fail;
	open_wake(r);
	return r;
fail:
	r->ops.release = NULL; /* the caller still owns the host */
	really_free(r);
	return NULL;
}

/* really_free - cancel everything without callbacks and release every host registration. */
static void really_free(struct xdane_resolver *r)
{
	struct query *q;
	struct lookup *l;
	xdane_host_ops ops = r->ops;

	r->destroying = 1;
	if (r->kick)
		r->ops.cancel_timer(r->ops.host, r->kick);
	r->kick = NULL;
	if (r->wake_watch)
		r->ops.unwatch_fd(r->ops.host, r->wake_watch);
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	if (r->wake[1] >= 0)
		close(r->wake[1]);
	if (r->ctx)
		getdns_context_destroy(r->ctx); /* fires CANCEL callbacks (ignored) and clears events */
	getdns_dict_destroy(r->ext);
	getdns_dict_destroy(r->ext_chain);
	getdns_dict_destroy(r->ext_offline);
	xdane_bridge_free(r->bridge);
	while ((q = r->queries) != NULL) {
		r->queries = q->next;
		release_keys(r, q);
		if (q->early)
			xdane_answer_unref(&q->early->pub);
		getdns_dict_destroy(q->to_learn);
		if (q->learned_ans)
			xdane_answer_unref(&q->learned_ans->pub);
		free(q);
	}
	while ((l = r->lookups) != NULL) {
		r->lookups = l->next;
		if (l->ans)
			xdane_answer_unref(&l->ans->pub);
		free(l);
	}
	xdane_dnscache_free(r->cache);
	xdane_keycache_free(r->keys);
	free(r);
	if (ops.release)
		ops.release(ops.host);
}

/* xdane_resolver_free - see xdane_resolver.h */
void xdane_resolver_free(xdane_resolver *r)
{
	if (!r || r->closing)
		return;
	r->closing = 1;
	maybe_free(r);
}

/* find_query - a queued or in-flight query for the same question (coalescing). */
static struct query *find_query(struct xdane_resolver *r, int qtype, const char *qname)
{
	struct query *q;
	for (q = r->queries; q; q = q->next)
		if (q->qtype == qtype && !strcmp(q->qname, qname))
			return q;
	return NULL;
}

/*
 * enqueue - a new query joins the pending FIFO. One that can take the
 * offline path (its zone's keys are cached: usually the TLSA lookup that
 * follows an SRV answer) goes ahead of the others: it is one cheap query,
 * it finishes a connection's lookups, and its keys are still cached.
 */
static void enqueue(struct xdane_resolver *r, struct query *q)
{
	char zone[256];

	r->queued++;
	if (r->keys && xdane_keycache_signer_zone(r->keys, q->qname, now_ms(), zone)) {
		struct query *after = r->pend_fast_tail;
		q->pnext = after ? after->pnext : r->pend_head;
		if (after)
			after->pnext = q;
		else
			r->pend_head = q;
		if (!q->pnext)
			r->pend_tail = q;
		r->pend_fast_tail = q;
		return;
	}
	q->pnext = NULL;
	if (r->pend_tail)
		r->pend_tail->pnext = q;
	else
		r->pend_head = q;
	r->pend_tail = q;
}

/* start_lookup - cache, coalesce or queue; the answer always comes from a later host callback. */
static int64_t start_lookup(struct xdane_resolver *r, int qtype, const char *qname, xdane_lookup_cb cb,
                            void *userarg, char *err, size_t errlen)
{
	struct lookup *l;
	const struct xdane_ans *hit;
	uint32_t remaining;
	int64_t id;

	if (r->closing) {
		seterr(err, errlen, "resolver is closed%s", NULL);
		return -1;
	}
	l = calloc(1, sizeof *l);
	if (!l) {
		seterr(err, errlen, "out of memory%s", NULL);
		return -1;
	}
	id = l->id = ++r->next_id;
	l->cb = cb;
	l->userarg = userarg;
	l->next = r->lookups;
	if (r->lookups)
		r->lookups->prev = l;
	r->lookups = l;
	r->st.lookups++;
	r->busy++;
	hit = xdane_dnscache_get(r->cache, qtype, qname, now_ms(), &remaining);
	if (hit) {
		struct xdane_ans *a = xdane_ans_share(hit);
		if (a) {
			a->pub.cached = 1;
			a->pub.ttl = remaining;
			r->st.cache_hits++;
			push_done(r, l, a);
		} else {
			push_done(r, l, ans_or_oom(NULL));
		}
	} else {
		struct query *q = find_query(r, qtype, qname);
		if (q) {
			r->st.coalesced++;
		} else {
			q = calloc(1, sizeof *q);
			if (!q) {
				push_done(r, l, ans_or_oom(NULL));
				goto queued;
			}
			q->r = r;
			q->qtype = qtype;
			q->state = Q_QUEUED;
			strcpy(q->qname, qname);
			q->next = r->queries;
			if (r->queries)
				r->queries->prev = q;
			r->queries = q;
			enqueue(r, q);
		}
		l->q = q;
		l->wnext = q->waiters;
		q->waiters = l;
		pump(r);
	}
queued:
	if (!ensure_kick(r)) {
		/* nothing would ever deliver it: refuse this lookup instead of losing it */
		xdane_lookup_cancel(r, id);
		seterr(err, errlen, "host event loop refused a timer%s", NULL);
		id = -1;
	}
	r->busy--;
	maybe_free(r);
	return id;
}

/* xdane_lookup_srv - see xdane_resolver.h */
int64_t xdane_lookup_srv(xdane_resolver *r, const char *domain, int direct_tls, xdane_lookup_cb cb,
                         void *userarg, char *err, size_t errlen)
{
	char name[256], qname[256];

	if (!r || !cb || !domain) {
		seterr(err, errlen, "invalid argument%s", NULL);
		return -1;
	}
	if (!xdane_name_normalize(domain, name, sizeof name, err, errlen))
		return 0;
	if (snprintf(qname, sizeof qname, "%s._tcp.%s", direct_tls ? "_xmpps-server" : "_xmpp-server", name) >= 254) {
		seterr(err, errlen, "name too long: '%s'", domain);
		return 0;
	}
	return start_lookup(r, GETDNS_RRTYPE_SRV, qname, cb, userarg, err, errlen);
}

/* xdane_lookup_tlsa - see xdane_resolver.h */
int64_t xdane_lookup_tlsa(xdane_resolver *r, unsigned port, const char *host, xdane_lookup_cb cb, void *userarg,
                          char *err, size_t errlen)
{
	char name[256], qname[256];

	if (!r || !cb || !host) {
		seterr(err, errlen, "invalid argument%s", NULL);
		return -1;
	}
	if (port == 0 || port > 65535) {
		seterr(err, errlen, "invalid port for '%s'", host);
		return 0;
	}
	if (!xdane_name_normalize(host, name, sizeof name, err, errlen))
		return 0;
	if (snprintf(qname, sizeof qname, "_%u._tcp.%s", port, name) >= 254) {
		seterr(err, errlen, "name too long: '%s'", host);
		return 0;
	}
	return start_lookup(r, GETDNS_RRTYPE_TLSA, qname, cb, userarg, err, errlen);
}

/* xdane_lookup_cancel - see xdane_resolver.h */
int xdane_lookup_cancel(xdane_resolver *r, int64_t id)
{
	struct lookup *l, **pp;

	if (!r)
		return 0;
	for (l = r->lookups; l; l = l->next)
		if (l->id == id)
			break;
	if (!l || l->cancelled)
		return 0;
	if (l->q) {
		/* leave the query: its answer still fills the cache; a queued one is dropped by pump */
		for (pp = &l->q->waiters; *pp; pp = &(*pp)->wnext)
			if (*pp == l) {
				*pp = l->wnext;
				break;
			}
		l->q = NULL;
		unlink_lookup(r, l);
		free(l);
		return 1;
	}
	l->cancelled = 1; /* in the done queue: deliver() skips and frees it */
	return 1;
}

/* xdane_resolver_get_stats - see xdane_resolver.h */
void xdane_resolver_get_stats(const xdane_resolver *r, xdane_resolver_stats *st)
{
	if (!st)
		return;
	memset(st, 0, sizeof *st);
	if (!r)
		return;
	*st = r->st;
	st->in_flight = r->inflight;
	st->queued = r->queued;
	st->cache_entries = xdane_dnscache_count(r->cache);
	st->keys_cached = xdane_keycache_count(r->keys);
}
