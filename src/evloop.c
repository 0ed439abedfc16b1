/* SPDX-License-Identifier: MIT */
/*
 * evloop.c - getdns_eventloop vmt over the host's xdane_host_ops.
 *
 * Each scheduled getdns event gets a handle (ev->ev) holding the host's fd
 * watch and/or timer. clear may run from inside any callback, including the
 * event's own: a handle being dispatched is only marked dead and freed when
 * its dispatch returns, and the second callback of a dispatch (read after
 * write) runs only if the handle is still alive (getdns-and-openssl.md s3).
 */
#include <stdlib.h>
#include "evloop_bridge.h"

struct handle {
	getdns_eventloop_event *ev;
	struct xdane_bridge *b;
	void *watch, *timer;  /* host handles, NULL when none */
	int dead;             /* cleared while being dispatched */
	struct handle *prev, *next;
};

struct xdane_bridge {
	getdns_eventloop loop; /* first: getdns passes &loop back to us */
	getdns_eventloop_vmt vmt;
	xdane_host_ops ops;
	xdane_bridge_hooks hooks;
	struct handle *live;   /* every scheduled handle */
	struct handle *current; /* handle whose callback is running */
	unsigned nlive, refused, depth;
};

/* unlink - take h off the live list. */
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

/* release_host - drop the host registrations of h. */
static void release_host(struct xdane_bridge *b, struct handle *h)
{
	if (h->watch)
		b->ops.unwatch_fd(b->ops.host, h->watch);
	if (h->timer)
		b->ops.cancel_timer(b->ops.host, h->timer);
	h->watch = h->timer = NULL;
}

/* start_dispatch - a host callback enters getdns through h. */
static struct handle *start_dispatch(struct xdane_bridge *b, struct handle *h)
{
	struct handle *saved = b->current;
	b->current = h;
	if (b->depth++ == 0 && b->hooks.enter)
		b->hooks.enter(b->hooks.arg);
	return saved;
}

/* finish_dispatch - end of a host callback: free a handle cleared meanwhile, run the hook. */
static void finish_dispatch(struct xdane_bridge *b, struct handle *h, struct handle *saved)
{
	b->current = saved;
	if (h->dead)
		free(h);
	if (--b->depth == 0 && b->hooks.leave)
		b->hooks.leave(b->hooks.arg); /* may free b: nothing after this */
}

/* fd_ready - host callback for a watched fd: write first, then read if still scheduled. */
static void fd_ready(void *arg, int readable, int writable)
{
	struct handle *h = arg, *saved;
	struct xdane_bridge *b = h->b;
	getdns_eventloop_event *ev = h->ev;

	if (h->dead)
		return;
	saved = start_dispatch(b, h);
	if (writable && ev->write_cb)
		ev->write_cb(ev->userarg);
	/* re-check: the write callback may have cleared (and rescheduled) the event */
	if (readable && !h->dead && ev->ev == h && ev->read_cb)
		ev->read_cb(ev->userarg);
	finish_dispatch(b, h, saved);
}

/* timer_fire - host callback for the one-shot timeout of an event. */
static void timer_fire(void *arg)
{
	struct handle *h = arg, *saved;
	struct xdane_bridge *b = h->b;
	getdns_eventloop_event *ev = h->ev;

	if (h->dead)
		return;
	h->timer = NULL; /* fired: nothing to cancel any more */
	saved = start_dispatch(b, h);
	if (ev->timeout_cb)
		ev->timeout_cb(ev->userarg);
	finish_dispatch(b, h, saved);
}

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
		b->refused++;
		if (b->hooks.on_refused)
			b->hooks.on_refused(b->hooks.arg);
		return GETDNS_RETURN_MEMORY_ERROR;
	}
	h->ev = ev;
	h->b = b;
	want_read = ev->read_cb != NULL;
	want_write = ev->write_cb != NULL;
	if (fd >= 0 && (want_read || want_write)) {
		h->watch = b->ops.watch_fd(b->ops.host, fd, want_read, want_write, fd_ready, h);
		refused |= h->watch == NULL;
	}
	/* (uint64_t)-1 means "no timeout" and must never reach a host timer */
	if (ev->timeout_cb && timeout != (uint64_t)-1) {
		h->timer = b->ops.add_timer(b->ops.host, timeout, timer_fire, h);
		refused |= h->timer == NULL;
	}
	/* the event stays "scheduled" even when refused, so getdns clears it normally */
	ev->ev = h;
	h->next = b->live;
	if (b->live)
		b->live->prev = h;
	b->live = h;
	b->nlive++;
	if (refused) {
		b->refused++;
		if (b->hooks.on_refused)
			b->hooks.on_refused(b->hooks.arg);
		return GETDNS_RETURN_GENERIC_ERROR;
	}
	return GETDNS_RETURN_GOOD;
}

/* bridge_clear - stop the host registrations and forget the event; ev->ev = NULL. */
static getdns_return_t bridge_clear(getdns_eventloop *loop, getdns_eventloop_event *ev)
{
	struct xdane_bridge *b = (struct xdane_bridge *)loop;
	struct handle *h;

	if (!ev || !ev->ev)
		return GETDNS_RETURN_GOOD;
	h = ev->ev;
	ev->ev = NULL;
	release_host(b, h);
	unlink_handle(b, h);
	if (h == b->current || h->dead) {
		h->dead = 1; /* freed when its dispatch returns */
		return GETDNS_RETURN_GOOD;
	}
	free(h);
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
	if (hooks)
		b->hooks = *hooks;
	return b;
}

getdns_eventloop *xdane_bridge_loop(xdane_bridge *b)
{
	return &b->loop;
}

void xdane_bridge_free(xdane_bridge *b)
{
	struct handle *h;

	if (!b)
		return;
	while ((h = b->live) != NULL) {
		h->ev->ev = NULL;
		release_host(b, h);
		unlink_handle(b, h);
		if (h == b->current)
			h->dead = 1;
		else
			free(h);
	}
	free(b);
}

unsigned xdane_bridge_live(const xdane_bridge *b)
{
	return b->nlive;
}

unsigned xdane_bridge_refused(const xdane_bridge *b)
{
	return b->refused;
}
