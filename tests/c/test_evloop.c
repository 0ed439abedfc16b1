/* SPDX-License-Identifier: MIT */
/*
 * test_evloop.c - the getdns_eventloop bridge (src/evloop.c) against a fake
 * host that records every registration, and the poll(2) miniloop.
 * Contract checked (getdns-and-openssl.md s3): what schedule hands to the
 * host, (uint64_t)-1 never reaching a timer, refusals reported, clear from
 * inside callbacks, no stale second callback, hooks around dispatches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evloop_bridge.h"
#include "tap.h"

/* ---- fake host ---- */

struct reg {
	int kind; /* 1 watch, 2 timer */
	int fd, r, w, live;
	uint64_t ms;
	xdane_fd_ready_fn ready;
	xdane_timer_fn fire;
	void *arg;
};

static struct reg regs[64];
static int nregs, refuse_watch, refuse_timer, unwatches, cancels;
static int enters, leaves, refusals;

static void *f_watch(void *host, int fd, int r, int w, xdane_fd_ready_fn ready, void *arg)
{
	struct reg *g;
	(void)host;
	if (refuse_watch || nregs == 64)
		return NULL;
	g = &regs[nregs++];
	memset(g, 0, sizeof *g);
	g->kind = 1;
	g->fd = fd;
	g->r = r;
	g->w = w;
	g->ready = ready;
	g->arg = arg;
	g->live = 1;
	return g;
}

static void f_unwatch(void *host, void *h)
{
	(void)host;
	((struct reg *)h)->live = 0;
	unwatches++;
}

static void *f_timer(void *host, uint64_t ms, xdane_timer_fn fire, void *arg)
{
	struct reg *g;
	(void)host;
	if (refuse_timer || nregs == 64)
		return NULL;
	g = &regs[nregs++];
	memset(g, 0, sizeof *g);
	g->kind = 2;
	g->ms = ms;
	g->fire = fire;
	g->arg = arg;
	g->live = 1;
	return g;
}

static void f_cancel(void *host, void *h)
{
	(void)host;
	((struct reg *)h)->live = 0;
	cancels++;
}

static void h_enter(void *a) { (void)a; enters++; }
static void h_leave(void *a) { (void)a; leaves++; }
static void h_refused(void *a) { (void)a; refusals++; }

static int live_regs(void)
{
	int i, n = 0;
	for (i = 0; i < nregs; i++)
		n += regs[i].live;
	return n;
}

static void reset(void)
{
	nregs = refuse_watch = refuse_timer = unwatches = cancels = enters = leaves = refusals = 0;
}

/* ---- fake getdns events ---- */

static getdns_eventloop *gl;
static int reads, writes, timeouts;
static getdns_eventloop_event ev1, ev2;
static int action; /* what the write callback does */

static void cb_read(void *arg) { (void)arg; reads++; }
static void cb_timeout(void *arg) { (void)arg; timeouts++; }

/* cb_write - optionally clear (and reschedule) its own event. */
static void cb_write(void *arg)
{
	getdns_eventloop_event *ev = arg;
	writes++;
	if (action >= 1)
		gl->vmt->clear(gl, ev);
	if (action == 2)
		gl->vmt->schedule(gl, 7, 100, ev);
}

/* cb_timeout_clear - a timeout callback that clears its own event (as getdns does). */
static void cb_timeout_clear(void *arg)
{
	getdns_eventloop_event *ev = arg;
	timeouts++;
	gl->vmt->clear(gl, ev);
}

static void set_event(getdns_eventloop_event *ev, int r, int w, int t)
{
	memset(ev, 0, sizeof *ev);
	ev->userarg = ev;
	ev->read_cb = r ? cb_read : NULL;
	ev->write_cb = w ? cb_write : NULL;
	ev->timeout_cb = t ? cb_timeout : NULL;
}

static void test_bridge(void)
{
	xdane_host_ops ops = { NULL, f_watch, f_unwatch, f_timer, f_cancel, NULL };
	xdane_bridge_hooks hooks = { NULL, h_enter, h_leave, h_refused, 0 };
	xdane_bridge *b = xdane_bridge_new(&ops, &hooks);
	struct reg *w, *t;

	gl = xdane_bridge_loop(b);
	reset();
	/* fd + read + timeout */
	set_event(&ev1, 1, 0, 1);
	gl->vmt->schedule(gl, 5, 2000, &ev1);
	w = &regs[0];
	t = &regs[1];
	tap_ok(nregs == 2 && w->kind == 1 && w->fd == 5 && w->r && !w->w && t->kind == 2 && t->ms == 2000 && ev1.ev,
	       "schedule fd+read+timeout: one read watch and one 2000 ms timer, ev->ev set");
	gl->vmt->clear(gl, &ev1);
	tap_ok(!ev1.ev && unwatches == 1 && cancels == 1 && live_regs() == 0, "clear: both released, ev->ev = NULL");
	tap_ok(xdane_bridge_live(b) == 0, "clear: bridge holds nothing");

	/* forever: (uint64_t)-1 never reaches a timer */
	reset();
	set_event(&ev1, 1, 0, 1);
	gl->vmt->schedule(gl, 5, (uint64_t)-1, &ev1);
	tap_ok(nregs == 1 && regs[0].kind == 1, "timeout (uint64_t)-1: no host timer");
	gl->vmt->clear(gl, &ev1);

	/* fd = -1 with a timeout only; fd >= 0 without read/write = pure timer */
	reset();
	set_event(&ev1, 0, 0, 1);
	gl->vmt->schedule(gl, -1, 0, &ev1);
	set_event(&ev2, 0, 0, 1);
	gl->vmt->schedule(gl, 9, 30, &ev2);
	tap_ok(nregs == 2 && regs[0].kind == 2 && regs[0].ms == 0 && regs[1].kind == 2 && regs[1].ms == 30,
	       "timer-only events: fd -1, and fd without callbacks, become pure timers");
	/* firing: the timeout callback runs, the fired timer is never cancelled */
	regs[0].live = 0;
	regs[0].fire(regs[0].arg);
	tap_ok(timeouts == 1 && enters == 1 && leaves == 1, "timer fire: timeout_cb once, enter/leave hooks once");
	gl->vmt->clear(gl, &ev1);
	tap_ok(cancels == 0, "clear after fire: the fired timer is not cancelled again");
	gl->vmt->clear(gl, &ev2);
	tap_ok(cancels == 1 && live_regs() == 0, "clear of the pending timer cancels it");

	/* write callback clears its own event: the read callback must not run */
	reset();
	reads = writes = 0;
	action = 1;
	set_event(&ev1, 1, 1, 0);
	gl->vmt->schedule(gl, 6, (uint64_t)-1, &ev1);
	regs[0].ready(regs[0].arg, 1, 1);
	tap_ok(writes == 1 && reads == 0 && !ev1.ev, "write clears the event: no stale read callback");
	/* write clears and reschedules the same event: the new handle gets no stale readiness */
	reset();
	reads = writes = 0;
	action = 2;
	set_event(&ev1, 1, 1, 0);
	gl->vmt->schedule(gl, 6, (uint64_t)-1, &ev1);
	regs[0].ready(regs[0].arg, 1, 1);
	tap_ok(writes == 1 && reads == 0 && ev1.ev != NULL && regs[1].live && regs[1].fd == 7,
	       "write reschedules the event: new registration, stale read not delivered");
	gl->vmt->clear(gl, &ev1);
	action = 0;

	/* a timeout callback clearing its own event (freed after the dispatch; ASan checks) */
	reset();
	timeouts = 0;
	memset(&ev1, 0, sizeof ev1);
	ev1.userarg = &ev1;
	ev1.timeout_cb = cb_timeout_clear;
	gl->vmt->schedule(gl, -1, 10, &ev1);
	regs[0].fire(regs[0].arg);
	tap_ok(timeouts == 1 && !ev1.ev && xdane_bridge_live(b) == 0, "timeout callback clears its own event");

	/* refusals are reported, never silent; the event stays clearable */
	reset();
	refuse_watch = 1;
	set_event(&ev1, 1, 0, 1);
	tap_ok(gl->vmt->schedule(gl, 5, 1000, &ev1) != GETDNS_RETURN_GOOD && refusals == 1 && ev1.ev != NULL,
	       "refused watch: on_refused hook, error returned, ev->ev still set");
	gl->vmt->clear(gl, &ev1);
	tap_ok(!ev1.ev && live_regs() == 0, "refused event cleared: the accepted timer released too");
	refuse_watch = 0;
	refuse_timer = 1;
	set_event(&ev1, 0, 0, 1);
	gl->vmt->schedule(gl, -1, 5, &ev1);
	tap_ok(refusals == 2 && xdane_bridge_refused(b) == 2, "refused timer reported");
	gl->vmt->clear(gl, &ev1);
	refuse_timer = 0;

	/* free releases whatever is still registered */
	reset();
	set_event(&ev1, 1, 0, 1);
	gl->vmt->schedule(gl, 5, 1000, &ev1);
	xdane_bridge_free(b);
	tap_ok(live_regs() == 0 && !ev1.ev, "bridge free: remaining registrations released");
}

/* ---- miniloop ---- */

static xdane_miniloop *ml;
static const xdane_host_ops *mops;
static int order[8], norder;
static void *self_timer;

static void t_fire(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

static void t_cancel_self(void *arg)
{
	(void)arg;
	mops->cancel_timer(mops->host, self_timer); /* allowed from inside its own callback */
	order[norder++] = 9;
}

static void *self_watch;
static int readies;

static void fd_ready_unwatch(void *arg, int r, int w)
{
	(void)arg;
	(void)w;
	readies += r;
	mops->unwatch_fd(mops->host, self_watch);
}

static void test_miniloop(void)
{
	int p[2], n;
	void *t3;

	ml = xdane_miniloop_new();
	mops = xdane_miniloop_ops(ml);
	tap_ok(xdane_miniloop_run_once(ml, -1) == 0, "miniloop: empty loop returns at once");
	mops->add_timer(mops->host, 30, t_fire, (void *)(intptr_t)3);
	mops->add_timer(mops->host, 0, t_fire, (void *)(intptr_t)1);
	mops->add_timer(mops->host, 10, t_fire, (void *)(intptr_t)2);
	t3 = mops->add_timer(mops->host, 20, t_fire, (void *)(intptr_t)4);
	mops->cancel_timer(mops->host, t3);
	self_timer = mops->add_timer(mops->host, 5, t_cancel_self, NULL);
	while ((n = xdane_miniloop_run_once(ml, -1)) > 0)
		;
	tap_ok(n == 0 && norder == 4 && order[0] == 1 && order[1] == 9 && order[2] == 2 && order[3] == 3,
	       "miniloop: timers fire in due order, cancelled one never, self-cancel harmless");
	if (pipe(p) == 0) {
		self_watch = mops->watch_fd(mops->host, p[0], 1, 0, fd_ready_unwatch, NULL);
		tap_ok(xdane_miniloop_run_once(ml, 0) == 1 && readies == 0, "miniloop: idle fd, no callback");
		if (write(p[1], "x", 1) != 1)
			tap_diag("write failed");
		n = xdane_miniloop_run_once(ml, 100);
		tap_ok(readies == 1 && n == 0, "miniloop: readable fd delivered once, unwatch from inside its callback");
		n = xdane_miniloop_run_once(ml, 0);
		tap_ok(readies == 1 && n == 0, "miniloop: no callback after unwatch although still readable");
		close(p[0]);
		close(p[1]);
	}
	tap_ok(mops->watch_fd(mops->host, -1, 1, 0, fd_ready_unwatch, NULL) == NULL, "miniloop: refuses fd -1");
	tap_ok(xdane_miniloop_max_dispatch_us(ml) < 1000000, "miniloop: dispatch time recorded");
	xdane_miniloop_free(ml);
}

/* ---- aggregated mode over the real miniloop ---- */

static int agg_reads, agg_timeouts;
static getdns_eventloop_event aev[3];

static void agg_read(void *arg)
{
	getdns_eventloop_event *ev = arg;
	agg_reads++;
	gl->vmt->clear(gl, ev); /* clear from inside its own callback */
	gl->vmt->clear(gl, &aev[1]); /* and another event of the same batch */
}

static void agg_timeout(void *arg)
{
	(void)arg;
	agg_timeouts++;
}

static void test_aggregated(void)
{
	xdane_miniloop *m = xdane_miniloop_new();
	xdane_bridge_hooks hooks = { NULL, h_enter, h_leave, h_refused, 1 };
	xdane_bridge *b = xdane_bridge_new(xdane_miniloop_ops(m), &hooks);
	int p1[2], p2[2], i, n;

	gl = xdane_bridge_loop(b);
	reset();
	tap_ok(xdane_bridge_aggregated(b) && xdane_miniloop_run_once(m, 0) == 1,
	       "aggregated: one host watch (the epoll fd), nothing else");
	if (pipe(p1) || pipe(p2)) {
		tap_ok(0, "pipes");
		return;
	}
	for (i = 0; i < 2; i++) {
		memset(&aev[i], 0, sizeof aev[i]);
		aev[i].userarg = &aev[i];
		aev[i].read_cb = agg_read;
		aev[i].timeout_cb = agg_timeout;
	}
	gl->vmt->schedule(gl, p1[0], 5000, &aev[0]);
	gl->vmt->schedule(gl, p2[0], 6000, &aev[1]);
	memset(&aev[2], 0, sizeof aev[2]);
	aev[2].userarg = &aev[2];
	aev[2].timeout_cb = agg_timeout;
	gl->vmt->schedule(gl, -1, 20, &aev[2]);
	tap_ok(xdane_miniloop_run_once(m, 0) == 2, "aggregated: three events, still one watch + one host timer");
	if (write(p1[1], "x", 1) != 1 || write(p2[1], "x", 1) != 1)
		tap_diag("write failed");
	xdane_miniloop_run_once(m, 100);
	tap_ok(agg_reads == 1 && !aev[0].ev && !aev[1].ev, "aggregated: first ready event clears both, the second never runs");
	for (n = 0; n < 20 && agg_timeouts == 0; n++)
		xdane_miniloop_run_once(m, 50);
	tap_ok(agg_timeouts == 1 && aev[2].ev != NULL, "aggregated: the 20 ms timeout fired once (event still scheduled)");
	gl->vmt->clear(gl, &aev[2]);
	tap_ok(xdane_miniloop_run_once(m, 0) == 1 && xdane_bridge_live(b) == 0, "aggregated: host timer gone with the last timeout");
	/* (uint64_t)-1 never becomes a timer */
	gl->vmt->schedule(gl, p1[0], (uint64_t)-1, &aev[0]);
	tap_ok(xdane_miniloop_run_once(m, 0) == 1, "aggregated: no timer for (uint64_t)-1");
	gl->vmt->clear(gl, &aev[0]);
	tap_ok(enters == leaves && enters >= 2 && refusals == 0, "aggregated: enter/leave balanced, no refusal");
	xdane_bridge_free(b);
	tap_ok(xdane_miniloop_run_once(m, 0) == 0, "aggregated: free releases the host watch");
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	xdane_miniloop_free(m);
}

int main(void)
{
	test_bridge();
	test_miniloop();
	test_aggregated();
	return tap_done();
}
