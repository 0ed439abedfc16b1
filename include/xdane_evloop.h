/* SPDX-License-Identifier: MIT */
/*
 * xdane_evloop.h - the host event loop the resolver runs in
 *
 * getdns never gets a loop of its own: its fd and timer registrations are
 * handed to the host through these operations (in Prosody: server.watchfd and
 * timers; in the CLI and C tests: xdane_miniloop). A registration that the
 * host refuses (NULL handle) is reported by the resolver, never lost: the
 * affected query completes as indeterminate.
 */
#ifndef XDANE_EVLOOP_H
#define XDANE_EVLOOP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called by the host when a watched fd is ready or a timer fires. */
typedef void (*xdane_fd_ready_fn)(void *arg, int readable, int writable);
typedef void (*xdane_timer_fn)(void *arg);

typedef struct xdane_host_ops {
	void *host;
	/* Start watching fd (level-triggered, persistent) with the given
	 * interest; returns a non-NULL handle or NULL on failure. */
	void *(*watch_fd)(void *host, int fd, int want_read, int want_write,
	                  xdane_fd_ready_fn ready, void *arg);
	/* Stop watching; the handle is invalid afterwards. May be called
	 * from inside that watch's own ready callback. */
	void (*unwatch_fd)(void *host, void *handle);
	/* One-shot timer in milliseconds; returns a handle or NULL. */
	void *(*add_timer)(void *host, uint64_t ms, xdane_timer_fn fire, void *arg);
	/* Cancel a timer that has not fired; also valid from inside its callback. */
	void (*cancel_timer)(void *host, void *handle);
	/* Optional (NULL = none): the resolver holds no registration any
	 * more and never calls these operations again (end of its free). */
	void (*release)(void *host);
} xdane_host_ops;

/*
 * xdane_miniloop - a small poll(2) loop implementing xdane_host_ops, for the
 * CLI, tests and benchmarks.
 */
typedef struct xdane_miniloop xdane_miniloop;
xdane_miniloop *xdane_miniloop_new(void);
void xdane_miniloop_free(xdane_miniloop *loop);
const xdane_host_ops *xdane_miniloop_ops(xdane_miniloop *loop);
/* Run one iteration, waiting at most max_wait_ms (-1 = until something is due).
 * Returns the number of watches + timers still registered. */
int xdane_miniloop_run_once(xdane_miniloop *loop, int max_wait_ms);
/* Longest time (microseconds) a single callback dispatch took; for benchmarks. */
uint64_t xdane_miniloop_max_dispatch_us(const xdane_miniloop *loop);

#ifdef __cplusplus
}
#endif
#endif
