/* SPDX-License-Identifier: MIT */
/*
 * evloop_bridge.h - the getdns_eventloop vmt over xdane_host_ops (private).
 *
 * getdns hands its fd and timer registrations to the bridge, which forwards
 * them to the host. After each outermost host callback has run getdns, the
 * bridge calls the owner's leave hook: that is where completed
 * lookups are delivered, outside getdns. A registration the host refuses is
 * reported through on_refused (getdns ignores schedule's return value).
 */
#ifndef XDANE_EVLOOP_BRIDGE_H
#define XDANE_EVLOOP_BRIDGE_H

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "xdane_evloop.h"

typedef struct xdane_bridge_hooks {
	void *arg;
	void (*enter)(void *arg);      /* an outermost host callback starts */
	void (*leave)(void *arg);      /* ...and ends: the last thing it does (may free the bridge) */
	void (*on_refused)(void *arg); /* the host returned a NULL handle */
	int aggregate;                 /* 1: own epoll set + timer heap, one host watch and timer (Linux) */
} xdane_bridge_hooks;

typedef struct xdane_bridge xdane_bridge;

/* xdane_bridge_new - a bridge over ops (copied); NULL when out of memory. */
xdane_bridge *xdane_bridge_new(const xdane_host_ops *ops, const xdane_bridge_hooks *hooks);

/* xdane_bridge_loop - the getdns_eventloop to give getdns_context_set_eventloop. */
getdns_eventloop *xdane_bridge_loop(xdane_bridge *b);

/* xdane_bridge_free - release every registration still held, then free. */
void xdane_bridge_free(xdane_bridge *b);

/* xdane_bridge_live - number of events currently scheduled (tests, leaks). */
unsigned xdane_bridge_live(const xdane_bridge *b);

/* xdane_bridge_aggregated - 1 if running in aggregated mode. */
int xdane_bridge_aggregated(const xdane_bridge *b);

/* xdane_bridge_refused - registrations the host refused since creation. */
unsigned xdane_bridge_refused(const xdane_bridge *b);

#endif
