/* SPDX-License-Identifier: MIT */
/*
 * dns_walk.c - resolve a domain's XMPP targets and their TLSA the RFC 7673
 * way, for the CLI commands `lookup` and `check` (see dns_walk.h).
 *
 * RFC 7673 s3: only a secure SRV RRset authenticates its targets, so an
 * insecure SRV means no TLSA lookups at all; a secure proof that there is no
 * SRV falls back to the domain itself (RFC 6120 s3.2.2); a single target "."
 * means no service; a bogus or indeterminate SRV aborts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dns_walk.h"

/* on_answer - keep the answer in the slot (a const xdane_answer *). */
static void on_answer(const xdane_answer *a, void *arg)
{
	*(const xdane_answer **)arg = xdane_answer_ref(a);
}

/* all_answered - the SRV (if asked) and every started TLSA lookup have answers. */
static int all_answered(const struct dns_walk *w, int want_srv)
{
	size_t i;
	if (want_srv)
		return w->srv != NULL;
	for (i = 0; i < w->ntargets; i++)
		if (w->t[i].started && !w->t[i].tlsa)
			return 0;
	return 1;
}

/* wait_for - run the loop until the answers are in or the loop fails. */
static void wait_for(struct dns_walk *w, int want_srv)
{
	while (!all_answered(w, want_srv))
		if (xdane_miniloop_run_once(w->loop, 1000) < 0)
			return;
}

/* dns_walk_init - see dns_walk.h */
void dns_walk_init(struct dns_walk *w, const char *cmd)
{
	memset(w, 0, sizeof *w);
	w->cmd = cmd;
	w->opt.timeout = 5;
}

/* dns_opt - see dns_walk.h */
int dns_opt(int argc, char **argv, size_t *i, struct dns_opts *o, const char *cmd)
{
	const char *name = argv[*i];
	char *end;

	if (!strcmp(name, "--direct-tls")) {
		o->direct = 1;
		return 1;
	}
	if (*i + 1 >= (size_t)argc)
		return 0;
	if (!strcmp(name, "--port")) {
		unsigned long p = strtoul(argv[++*i], &end, 10);
		if (*end || p == 0 || p > 65535) {
			fprintf(stderr, "xmpp-dane %s: bad --port '%s'\n", cmd, argv[*i]);
			return -1;
		}
		o->port = (unsigned)p;
	} else if (!strcmp(name, "--upstream")) {
		if (o->nups == DNS_MAX_UPSTREAMS) {
			fprintf(stderr, "xmpp-dane %s: too many --upstream\n", cmd);
			return -1;
		}
		o->ups[o->nups++] = argv[++*i];
	} else if (!strcmp(name, "--trust-anchor")) {
		o->anchor = argv[++*i];
	} else if (!strcmp(name, "--timeout")) {
		o->timeout = strtod(argv[++*i], &end);
		if (*end || !(o->timeout > 0) || o->timeout > 3600) {
			fprintf(stderr, "xmpp-dane %s: bad --timeout '%s'\n", cmd, argv[*i]);
			return -1;
		}
	} else {
		return 0;
	}
	return 1;
}

/* dns_walk_open - see dns_walk.h */
int dns_walk_open(struct dns_walk *w)
{
	xdane_resolver_config cfg;
	char err[300];

	if (!w->opt.port)
		w->opt.port = w->opt.direct ? 5223 : 5269;
	memset(&cfg, 0, sizeof cfg);
	cfg.upstreams = w->opt.nups ? w->opt.ups : NULL;
	cfg.nupstreams = w->opt.nups;
	cfg.trust_anchor_file = w->opt.anchor;
	cfg.timeout_ms = (unsigned)(w->opt.timeout * 1000 + 0.5);
	w->loop = xdane_miniloop_new();
	if (!w->loop) {
		fprintf(stderr, "xmpp-dane %s: out of memory\n", w->cmd);
		return 3;
	}
	w->r = xdane_resolver_new(&cfg, xdane_miniloop_ops(w->loop), err, sizeof err);
	if (!w->r) {
		fprintf(stderr, "xmpp-dane %s: %s\n", w->cmd, err);
		return 2;
	}
	return 0;
}

/* dns_walk_srv - see dns_walk.h */
int dns_walk_srv(struct dns_walk *w, const char *domain)
{
	char err[300];

	if (xdane_lookup_srv(w->r, domain, w->opt.direct, on_answer, &w->srv, err, sizeof err) <= 0) {
		fprintf(stderr, "xmpp-dane %s: %s\n", w->cmd, err);
		return 2;
	}
	wait_for(w, 1);
	if (!w->srv) {
		fprintf(stderr, "xmpp-dane %s: event loop failed\n", w->cmd);
		return 3;
	}
	return 0;
}

/* dns_walk_verdict - see dns_walk.h */
enum dns_verdict dns_walk_verdict(const struct dns_walk *w)
{
	const xdane_answer *a = w->srv;

	if (a->status == XDANE_DNS_BOGUS || a->status == XDANE_DNS_INDETERMINATE)
		return WALK_FAILED;
	if (a->status == XDANE_DNS_INSECURE)
		return WALK_INSECURE;
	if (a->count == 1 && !strcmp(a->srv[0].target, "."))
		return WALK_NO_SERVICE;
	return WALK_TARGETS;
}

/* dns_walk_tlsa - see dns_walk.h */
void dns_walk_tlsa(struct dns_walk *w, const char *domain)
{
	const xdane_answer *a = w->srv;
	size_t i;

	if (a->count == 0) {
		w->fallback = 1;
		w->t[0].host = domain;
		w->t[0].port = w->opt.port;
		w->ntargets = 1;
	}
	for (i = 0; i < a->count && w->ntargets < DNS_MAX_TARGETS; i++) {
		if (!strcmp(a->srv[i].target, "."))
			continue;
		w->t[w->ntargets].host = a->srv[i].target;
		w->t[w->ntargets++].port = a->srv[i].port;
	}
	for (i = 0; i < w->ntargets; i++) {
		struct dns_target *t = &w->t[i];
		t->started = xdane_lookup_tlsa(w->r, t->port, t->host, on_answer, &t->tlsa, t->err, sizeof t->err) > 0;
	}
	wait_for(w, 0);
}

/* dns_walk_close - see dns_walk.h */
void dns_walk_close(struct dns_walk *w)
{
	size_t i;

	for (i = 0; i < w->ntargets; i++)
		xdane_answer_unref(w->t[i].tlsa);
	xdane_answer_unref(w->srv);
	xdane_resolver_free(w->r);
	xdane_miniloop_free(w->loop);
}
