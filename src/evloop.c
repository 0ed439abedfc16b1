/* SPDX-License-Identifier: MIT */
/*
 * evloop.c - getdns_eventloop vmt over the host's xdane_host_ops.
 *
 * Two ways to hand getdns' events to the host:
 *  - direct: every fd event becomes a host fd watch and every timeout a host
 *    timer (what the contract in getdns-and-openssl.md s3 describes);
 *  - aggregated (hooks.aggregate, Linux): the bridge keeps its own epoll set
 *    and timer heap and the host sees one fd watch (the epoll fd) and at
 *    most one timer. A host registration costs tens of microseconds in a Lua
 *    host (Prosody's watchfd builds an object per fd); getdns opens a socket
 *    per upstream query, so this is where the loop's time would go. An fd
 *    the epoll set refuses (EEXIST: shared) falls back to a direct watch.
 *
 * Each scheduled event has a handle (ev->ev). clear may run from inside any
 * callback, including the event's own: while a dispatch is running, cleared
 * handles are only marked dead and freed when the outermost dispatch
 * returns, and the second callback of an fd event (read after write) runs
 * only if the handle is still the event's. (uint64_t)-1 never reaches a
 * timer. A registration the host refuses is reported through on_refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include "evloop_bridge.h"

struct handle {
	getdns_eventloop_event *ev;
	struct xdane_bridge *b;
	void *watch, *timer;  /* direct host handles, NULL when none */
	int fd;               /* registered in our epoll set, -1 if not */
	uint64_t due_ms;      /* aggregated timeout */
	size_t heap_idx;      /* position + 1 in the timer heap, 0 = none */
	int dead;             /* cleared during a dispatch: freed at its end */
	struct handle *prev, *next; /* live list */
	struct handle *grave;       /* dead handles awaiting free */
};

struct xdane_bridge {
	getdns_eventloop loop; /* first: getdns passes &loop back to us */
	getdns_eventloop_vmt vmt;
	xdane_host_ops ops;
	xdane_bridge_hooks hooks;
	struct handle *live;   /* every scheduled handle */
	struct handle *graveyard;
	unsigned nlive, refused, depth;
	/* aggregated mode */
	int epfd;              /* -1 in direct mode */
	void *ep_watch;        /* host watch on epfd */
	struct handle **owner; /* fd -> handle registered in epfd */
	size_t nowner;
	struct handle **heap;  /* timeouts, earliest first */
	size_t nheap, capheap;
	void *htimer;          /* the one host timer */
	uint64_t htimer_due;
};

/* Longest stretch of getdns work per host callback in aggregated mode: the
 * host loop (Prosody) must not stall; pending work continues next turn. */
#define DISPATCH_BUDGET_US 1000u

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
	return now_us() / 1000u;
}

/* report_refused - count and tell the owner. */
static void report_refused(struct xdane_bridge *b)
{
	b->refused++;
	if (b->hooks.on_refused)
		b->hooks.on_refused(b->hooks.arg);
}

/* ---- timer heap (aggregated mode) ---- */

/* heap_set - place h at index i and remember where it is. */
static void heap_set(struct xdane_bridge *b, size_t i, struct handle *h)
{
	b->heap[i] = h;
	h->heap_idx = i + 1;
}

/* heap_up - restore heap order upwards from i. */
static void heap_up(struct xdane_bridge *b, size_t i)
{
	struct handle *h = b->heap[i];
	while (i > 0 && b->heap[(i - 1) / 2]->due_ms > h->due_ms) {
		heap_set(b, i, b->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(b, i, h);
}

/* heap_down - restore heap order downwards from i. */
static void heap_down(struct xdane_bridge *b, size_t i)
{
	struct handle *h = b->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= b->nheap)
			break;
		if (c + 1 < b->nheap && b->heap[c + 1]->due_ms < b->heap[c]->due_ms)
			c++;
		if (b->heap[c]->due_ms >= h->due_ms)
			break;
		heap_set(b, i, b->heap[c]);
		i = c;
	}
	heap_set(b, i, h);
}

/* heap_push - add h; 1 ok, 0 out of memory. */
static int heap_push(struct xdane_bridge *b, struct handle *h)
{
	if (b->nheap == b->capheap) {
		size_t cap = b->capheap ? b->capheap * 2 : 64;
		struct handle **p = realloc(b->heap, cap * sizeof *p);
		if (!p)
			return 0;
		b->heap = p;
		b->capheap = cap;
	}
	heap_set(b, b->nheap++, h);
	heap_up(b, b->nheap - 1);
	return 1;
}

/* heap_remove - take h out of the heap. */
static void heap_remove(struct xdane_bridge *b, struct handle *h)
{
	size_t i = h->heap_idx - 1;
	struct handle *last = b->heap[--b->nheap];
	h->heap_idx = 0;
	if (last == h)
		return;
	heap_set(b, i, last);
	heap_up(b, i);
	heap_down(b, last->heap_idx - 1);
}

static void agg_timer_fire(void *arg);

/* rearm - the host timer fires no later than the earliest timeout (lazily: an early fire just re-arms). */
static void rearm(struct xdane_bridge *b)
{
	uint64_t top, now;

	if (b->nheap == 0) {
		if (b->htimer)
			b->ops.cancel_timer(b->ops.host, b->htimer);
		b->htimer = NULL;
		return;
	}
	top = b->heap[0]->due_ms;
	if (b->htimer && b->htimer_due <= top)
		return;
	if (b->htimer)
		b->ops.cancel_timer(b->ops.host, b->htimer);
	now = now_ms();
	b->htimer = b->ops.add_timer(b->ops.host, top > now ? top - now : 0, agg_timer_fire, b);
	b->htimer_due = top;
	if (!b->htimer)
		report_refused(b);
}

/* ---- handles ---- */

/* unlink_handle - take h off the live list. */
static void unlink_handle(struct xdane_bridge *b, struct handle *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		b->live = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	b->nlive--;
}

/* release - drop every registration of h (host, epoll set, heap). */
static void release(struct xdane_bridge *b, struct handle *h)
{
	if (h->watch)
		b->ops.unwatch_fd(b->ops.host, h->watch);
	if (h->timer)
		b->ops.cancel_timer(b->ops.host, h->timer);
	h->watch = h->timer = NULL;
#ifdef __linux__
	if (h->fd >= 0 && (size_t)h->fd < b->nowner && b->owner[h->fd] == h) {
		epoll_ctl(b->epfd, EPOLL_CTL_DEL, h->fd, NULL); /* may already be gone with a closed fd */
		b->owner[h->fd] = NULL;
	}
#endif
	h->fd = -1;
	if (h->heap_idx)
		heap_remove(b, h);
}

/* bury - free h now, or at the end of the running dispatch. */
static void bury(struct xdane_bridge *b, struct handle *h)
{
	if (b->depth > 0) {
		h->dead = 1;
		h->grave = b->graveyard;
		b->graveyard = h;
	} else {
		free(h);
	}
}

/* start_dispatch - a host callback enters getdns. */
static void start_dispatch(struct xdane_bridge *b)
{
	if (b->depth++ == 0 && b->hooks.enter)
		b->hooks.enter(b->hooks.arg);
}

/* finish_dispatch - free what was cleared meanwhile, then the leave hook (which may free b). */
static void finish_dispatch(struct xdane_bridge *b)
{
	if (--b->depth > 0)
		return;
	while (b->graveyard) {
		struct handle *h = b->graveyard;
		b->graveyard = h->grave;
		free(h);
	}
	if (b->hooks.leave)
		b->hooks.leave(b->hooks.arg); /* may free b: nothing after this */
}

/* deliver_fd - write first, then read if the event still belongs to h. */
static void deliver_fd(struct handle *h, int readable, int writable)
{
	getdns_eventloop_event *ev = h->ev;
	if (writable && ev->write_cb)
		ev->write_cb(ev->userarg);
	/* re-check: the write callback may have cleared (and rescheduled) the event */
	if (readable && !h->dead && ev->ev == h && ev->read_cb)
		ev->read_cb(ev->userarg);
}

/* fd_ready - host callback for a direct fd watch. */
static void fd_ready(void *arg, int readable, int writable)
{
	struct handle *h = arg;
	struct xdane_bridge *b = h->b;

	if (h->dead)
		return;
	start_dispatch(b);
	deliver_fd(h, readable, writable);
	finish_dispatch(b);
}

/* timer_fire - host callback for the direct one-shot timeout of an event. */
static void timer_fire(void *arg)
{
	struct handle *h = arg;
	struct xdane_bridge *b = h->b;

	if (h->dead)
		return;
	h->timer = NULL; /* fired: nothing to cancel any more */
	start_dispatch(b);
	if (h->ev->timeout_cb)
		h->ev->timeout_cb(h->ev->userarg);
	finish_dispatch(b);
}

/* agg_timer_fire - the host timer: run every due timeout, then re-arm. */
static void agg_timer_fire(void *arg)
{
	struct xdane_bridge *b = arg;
	uint64_t now = now_ms(), start = now_us();

	b->htimer = NULL;
	start_dispatch(b);
	/* bounded in time: callbacks may schedule 0 ms timeouts again; the rest on the next fire */
	while (b->nheap && b->heap[0]->due_ms <= now && now_us() - start < DISPATCH_BUDGET_US) {
		struct handle *h = b->heap[0];
		heap_remove(b, h);
		if (!h->dead && h->ev->timeout_cb)
			h->ev->timeout_cb(h->ev->userarg);
	}
	rearm(b);
	finish_dispatch(b);
}

#ifdef __linux__
/* ep_ready - host callback for our epoll fd: dispatch ready events for at
 * most DISPATCH_BUDGET_MS (each may verify signatures); epoll is
 * level-triggered, so the rest is reported again on the host's next turn. */
static void ep_ready(void *arg, int readable, int writable)
{
	struct xdane_bridge *b = arg;
	struct epoll_event evs[64];
	uint64_t start;
	int i, n;

	(void)readable;
	(void)writable;
	start_dispatch(b);
	n = epoll_wait(b->epfd, evs, 64, 0);
	start = now_us();
	for (i = 0; i < n && now_us() - start < DISPATCH_BUDGET_US; i++) {
		struct handle *h = evs[i].data.ptr;
		uint32_t e = evs[i].events;
		int err = (e & (EPOLLERR | EPOLLHUP)) != 0;
		if (h->dead)
			continue; /* cleared by an earlier callback of this batch */
		deliver_fd(h, (e & EPOLLIN) || (err && h->ev->read_cb), (e & EPOLLOUT) || (err && !h->ev->read_cb));
	}
	finish_dispatch(b);
}

/* ep_add - put fd in our epoll set for h; 1 ok, 0 not possible (caller falls back to a host watch). */
static int ep_add(struct xdane_bridge *b, struct handle *h, int fd, int r, int w)
{
	struct epoll_event e;

	if ((size_t)fd >= b->nowner) {
		size_t n = (size_t)fd + 64, i;
		struct handle **p = realloc(b->owner, n * sizeof *p);
		if (!p)
			return 0;
		for (i = b->nowner; i < n; i++)
			p[i] = NULL;
		b->owner = p;
		b->nowner = n;
	}
	e.events = (r ? EPOLLIN : 0) | (w ? EPOLLOUT : 0);
	e.data.ptr = h;
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &e) != 0)
		return 0;
	if (b->owner[fd])
		b->owner[fd]->fd = -1; /* its fd was closed without a clear: the number is ours now */
	b->owner[fd] = h;
	h->fd = fd;
	return 1;
}
#endif

/* bridge_schedule - hand one getdns event to the host; a refusal is reported, never silent. */
static getdns_return_t bridge_schedule(getdns_eventloop *loop, int fd, uint64_t timeout,
                                       getdns_eventloop_event *ev)
{
	struct xdane_bridge *b = (struct xdane_bridge *)loop;
	struct handle *h;
	int want_read, want_write, refused = 0;

	if (!ev)
		return GETDNS_RETURN_INVALID_PARAMETER;
	h = calloc(1, sizeof *h);
	if (!h) {
		report_refused(b);
		return GETDNS_RETURN_MEMORY_ERROR;
	}
	h->ev = ev;
	h->b = b;
	h->fd = -1;
	want_read = ev->read_cb != NULL;
	want_write = ev->write_cb != NULL;
	if (fd >= 0 && (want_read || want_write)) {
		int added = 0;
#ifdef __linux__
		added = b->epfd >= 0 && ep_add(b, h, fd, want_read, want_write);
#endif
		if (!added) {
			h->watch = b->ops.watch_fd(b->ops.host, fd, want_read, want_write, fd_ready, h);
			refused |= h->watch == NULL;
		}
	}
	/* the event stays "scheduled" even when refused, so getdns clears it normally */
	ev->ev = h;
	h->next = b->live;
	if (b->live)
		b->live->prev = h;
	b->live = h;
	b->nlive++;
	/* (uint64_t)-1 means "no timeout" and must never reach a timer */
	if (ev->timeout_cb && timeout != (uint64_t)-1) {
		if (b->epfd >= 0) {
			h->due_ms = now_ms() + timeout;
			if (heap_push(b, h)) {
				unsigned before = b->refused;
				rearm(b);
				refused |= b->refused != before;
				if (refused && b->refused != before)
					return GETDNS_RETURN_GENERIC_ERROR; /* already reported by rearm */
			} else {
				refused = 1;
			}
		} else {
			h->timer = b->ops.add_timer(b->ops.host, timeout, timer_fire, h);
			refused |= h->timer == NULL;
		}
	}
	if (refused) {
		report_refused(b);
		return GETDNS_RETURN_GENERIC_ERROR;
	}
	return GETDNS_RETURN_GOOD;
}

/* bridge_clear - stop the registrations and forget the event; ev->ev = NULL. */
static getdns_return_t bridge_clear(getdns_eventloop *loop, getdns_eventloop_event *ev)
{
	struct xdane_bridge *b = (struct xdane_bridge *)loop;
	struct handle *h;

	if (!ev || !ev->ev)
		return GETDNS_RETURN_GOOD;
	h = ev->ev;
	ev->ev = NULL;
	release(b, h);
	unlink_handle(b, h);
	bury(b, h);
	return GETDNS_RETURN_GOOD;
}

/* bridge_cleanup - getdns is done with the loop; the owner frees the bridge. */
static void bridge_cleanup(getdns_eventloop *loop)
{
	(void)loop;
}

/* bridge_run - the host owns the loop: getdns never drives it. */
static void bridge_run(getdns_eventloop *loop)
{
	(void)loop;
}

/* bridge_run_once - likewise a no-op. */
static void bridge_run_once(getdns_eventloop *loop, int blocking)
{
	(void)loop;
	(void)blocking;
}

/* xdane_bridge_new - see evloop_bridge.h */
xdane_bridge *xdane_bridge_new(const xdane_host_ops *ops, const xdane_bridge_hooks *hooks)
{
	struct xdane_bridge *b;

	if (!ops || !ops->watch_fd || !ops->unwatch_fd || !ops->add_timer || !ops->cancel_timer)
		return NULL;
	b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->vmt.cleanup = bridge_cleanup;
	b->vmt.schedule = bridge_schedule;
	b->vmt.clear = bridge_clear;
	b->vmt.run = bridge_run;
	b->vmt.run_once = bridge_run_once;
	b->loop.vmt = &b->vmt;
	b->ops = *ops;
	b->epfd = -1;
	if (hooks)
		b->hooks = *hooks;
#ifdef __linux__
	if (hooks && hooks->aggregate) {
		b->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (b->epfd >= 0) {
			b->ep_watch = ops->watch_fd(ops->host, b->epfd, 1, 0, ep_ready, b);
			if (!b->ep_watch) { /* the host would not watch it: direct mode */
				close(b->epfd);
				b->epfd = -1;
			}
		}
	}
#endif
	return b;
}

/* xdane_bridge_loop - see evloop_bridge.h */
getdns_eventloop *xdane_bridge_loop(xdane_bridge *b)
{
	return &b->loop;
}

/* xdane_bridge_free - see evloop_bridge.h */
void xdane_bridge_free(xdane_bridge *b)
{
	struct handle *h;

	if (!b)
		return;
	while ((h = b->live) != NULL) {
		h->ev->ev = NULL;
		release(b, h);
		unlink_handle(b, h);
		free(h);
	}
	while ((h = b->graveyard) != NULL) {
		b->graveyard = h->grave;
		free(h);
	}
	if (b->htimer)
		b->ops.cancel_timer(b->ops.host, b->htimer);
	if (b->ep_watch)
		b->ops.unwatch_fd(b->ops.host, b->ep_watch);
	if (b->epfd >= 0)
		close(b->epfd);
	free(b->owner);
	free(b->heap);
	free(b);
}

/* xdane_bridge_live - see evloop_bridge.h */
unsigned xdane_bridge_live(const xdane_bridge *b)
{
	return b->nlive;
}

/* xdane_bridge_refused - see evloop_bridge.h */
unsigned xdane_bridge_refused(const xdane_bridge *b)
{
	return b->refused;
}

/* xdane_bridge_aggregated - see evloop_bridge.h */
int xdane_bridge_aggregated(const xdane_bridge *b)
{
	return b->epfd >= 0;
}
