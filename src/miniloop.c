/* SPDX-License-Identifier: MIT */
/*
 * miniloop.c - a small poll(2) loop implementing xdane_host_ops, for the
 * CLI, tests and benchmarks.
 *
 * Watches and timers are heap objects in arrays; removal only marks them
 * dead and the arrays are compacted after a dispatch round, so callbacks may
 * unwatch or cancel anything, themselves included. A dead entry never gets
 * another callback.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include "xdane_evloop.h"

struct mwatch {
	int fd, want_read, want_write, dead;
	xdane_fd_ready_fn ready;
	void *arg;
};

struct mtimer {
	uint64_t due_us;
	xdane_timer_fn fire;
	void *arg;
	int dead;
};

struct xdane_miniloop {
	xdane_host_ops ops;
	struct mwatch **w;
	size_t nw, capw;
	struct mtimer **t;
	size_t nt, capt;
	struct pollfd *pfd;
	size_t cappfd;
	int running;
	uint64_t max_dispatch_us;
};

/* now_us - monotonic clock in microseconds. */
static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* grow - make room for one more pointer in an array. */
static int grow(void ***arr, size_t n, size_t *cap)
{
	void **p;
	size_t ncap;
	if (n < *cap)
		return 1;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * sizeof *p);
	if (!p)
		return 0;
	*arr = p;
	*cap = ncap;
	return 1;
}

/* ml_watch - xdane_host_ops.watch_fd */
static void *ml_watch(void *host, int fd, int want_read, int want_write, xdane_fd_ready_fn ready, void *arg)
{
	struct xdane_miniloop *l = host;
	struct mwatch *w;
	if (fd < 0 || !ready || !grow((void ***)&l->w, l->nw, &l->capw))
		return NULL;
	w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->fd = fd;
	w->want_read = want_read;
	w->want_write = want_write;
	w->ready = ready;
	w->arg = arg;
	l->w[l->nw++] = w;
	return w;
}

/* ml_unwatch - xdane_host_ops.unwatch_fd: mark dead, freed at compaction. */
static void ml_unwatch(void *host, void *handle)
{
	(void)host;
	if (handle)
		((struct mwatch *)handle)->dead = 1;
}

/* ml_add_timer - xdane_host_ops.add_timer */
static void *ml_add_timer(void *host, uint64_t ms, xdane_timer_fn fire, void *arg)
{
	struct xdane_miniloop *l = host;
	struct mtimer *t;
	if (!fire || ms > UINT64_C(1) << 40 || !grow((void ***)&l->t, l->nt, &l->capt))
		return NULL;
	t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->due_us = now_us() + ms * 1000u;
	t->fire = fire;
	t->arg = arg;
	l->t[l->nt++] = t;
	return t;
}

/* ml_cancel_timer - xdane_host_ops.cancel_timer */
static void ml_cancel_timer(void *host, void *handle)
{
	(void)host;
	if (handle)
		((struct mtimer *)handle)->dead = 1;
}

/* xdane_miniloop_new - see xdane_evloop.h */
xdane_miniloop *xdane_miniloop_new(void)
{
	struct xdane_miniloop *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->ops.host = l;
	l->ops.watch_fd = ml_watch;
	l->ops.unwatch_fd = ml_unwatch;
	l->ops.add_timer = ml_add_timer;
	l->ops.cancel_timer = ml_cancel_timer;
	return l;
}

/* xdane_miniloop_free - see xdane_evloop.h */
void xdane_miniloop_free(xdane_miniloop *l)
{
	size_t i;
	if (!l)
		return;
	for (i = 0; i < l->nw; i++)
		free(l->w[i]);
	for (i = 0; i < l->nt; i++)
		free(l->t[i]);
	free(l->w);
	free(l->t);
	free(l->pfd);
	free(l);
}

/* xdane_miniloop_ops - see xdane_evloop.h */
const xdane_host_ops *xdane_miniloop_ops(xdane_miniloop *l)
{
	return &l->ops;
}

/* compact - free dead watches and timers; returns how many remain. */
static int compact(struct xdane_miniloop *l)
{
	size_t i, j;
	for (i = j = 0; i < l->nw; i++) {
		if (l->w[i]->dead)
			free(l->w[i]);
		else
			l->w[j++] = l->w[i];
	}
	l->nw = j;
	for (i = j = 0; i < l->nt; i++) {
		if (l->t[i]->dead)
			free(l->t[i]);
		else
			l->t[j++] = l->t[i];
	}
	l->nt = j;
	return (int)(l->nw + l->nt);
}

/* note_dispatch - keep the longest single callback time. */
static void note_dispatch(struct xdane_miniloop *l, uint64_t start)
{
	uint64_t d = now_us() - start;
	if (d > l->max_dispatch_us)
		l->max_dispatch_us = d;
}

/* xdane_miniloop_run_once - see xdane_evloop.h */
int xdane_miniloop_run_once(xdane_miniloop *l, int max_wait_ms)
{
	size_t i, n, nt;
	uint64_t now, next = UINT64_MAX;
	int wait = max_wait_ms, rc;

	if (!l || l->running)
		return -1;
	l->running = 1;
	compact(l);
	if (l->nw > l->cappfd) {
		struct pollfd *p = realloc(l->pfd, l->nw * sizeof *p);
		if (!p) {
			l->running = 0;
			return -1;
		}
		l->pfd = p;
		l->cappfd = l->nw;
	}
	n = l->nw;
	for (i = 0; i < n; i++) {
		l->pfd[i].fd = l->w[i]->fd;
		l->pfd[i].events = (short)((l->w[i]->want_read ? POLLIN : 0) | (l->w[i]->want_write ? POLLOUT : 0));
		l->pfd[i].revents = 0;
	}
	now = now_us();
	for (i = 0; i < l->nt; i++)
		if (l->t[i]->due_us < next)
			next = l->t[i]->due_us;
	if (next != UINT64_MAX) {
		uint64_t until = next > now ? (next - now + 999) / 1000 : 0;
		if (wait < 0 || until < (uint64_t)wait)
			wait = (int)(until > 1000000 ? 1000000 : until);
	}
	if (wait < 0 && n == 0) { /* nothing could ever wake us */
		l->running = 0;
		return 0;
	}
	rc = poll(l->pfd, (nfds_t)n, wait);
	if (rc < 0 && errno != EINTR) {
		l->running = 0;
		return -1;
	}
	/* timers due now; timers added by callbacks wait for the next round */
	now = now_us();
	nt = l->nt;
	for (i = 0; i < nt; i++) {
		struct mtimer *t = l->t[i];
		if (!t->dead && t->due_us <= now) {
			uint64_t start = now_us();
			t->dead = 1; /* one-shot; freed at compaction, so cancel from inside is harmless */
			t->fire(t->arg);
			note_dispatch(l, start);
		}
	}
	for (i = 0; rc > 0 && i < n; i++) {
		struct mwatch *w = l->w[i];
		short re = l->pfd[i].revents;
		if (!re || w->dead)
			continue;
		{
			uint64_t start = now_us();
			int err = (re & (POLLERR | POLLHUP | POLLNVAL)) != 0;
			/* an error is reported as readiness so the owner reads it and sees the error */
			w->ready(w->arg, (re & POLLIN) || (err && w->want_read),
			         (re & POLLOUT) || (err && w->want_write && !w->want_read));
			note_dispatch(l, start);
		}
	}
	rc = compact(l);
	l->running = 0;
	return rc;
}

/* xdane_miniloop_max_dispatch_us - see xdane_evloop.h */
uint64_t xdane_miniloop_max_dispatch_us(const xdane_miniloop *l)
{
	return l->max_dispatch_us;
}
