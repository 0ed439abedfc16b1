/* SPDX-License-Identifier: MIT */
/*
 * dns_walk.h - resolve a domain's XMPP targets and their TLSA the RFC 7673
 * way, for the CLI (`lookup` prints the walk, `check` connects to it).
 *
 * Steps: dns_walk_init(), dns_opt() for each option, dns_walk_open(), dns_walk_srv(), then
 * dns_walk_verdict() on the SRV answer; for WALK_TARGETS dns_walk_tlsa()
 * looks up every target's TLSA at once; dns_walk_close() frees everything.
 * Functions that return an exit status print their message on stderr as
 * "xmpp-dane CMD: ..." first.
 */
#ifndef XDANE_CLI_DNS_WALK_H
#define XDANE_CLI_DNS_WALK_H

#include <stddef.h>
#include "xdane.h"

#define DNS_MAX_UPSTREAMS 8
#define DNS_MAX_TARGETS 32

/* the DNS options both commands take */
struct dns_opts {
	const char *ups[DNS_MAX_UPSTREAMS]; /* --upstream, repeatable */
	size_t nups;
	const char *anchor; /* --trust-anchor, NULL: the resolver's default */
	double timeout;     /* --timeout seconds, default 5 */
	int direct;         /* --direct-tls */
	unsigned port;      /* --port, 0 until dns_walk_open: 5269, 5223 with --direct-tls */
};

struct dns_target {
	const char *host;         /* SRV target, or the domain itself in the no-SRV fallback */
	unsigned port;
	int started;              /* TLSA lookup started (else err says why not) */
	const xdane_answer *tlsa; /* NULL if not started or the event loop failed */
	char err[300];
};

struct dns_walk {
	const char *cmd; /* for messages: "lookup", "check" */
	struct dns_opts opt;
	xdane_miniloop *loop;
	xdane_resolver *r;
	const xdane_answer *srv;
	int fallback; /* no SRV (securely proven): the domain itself on opt.port */
	size_t ntargets;
	struct dns_target t[DNS_MAX_TARGETS];
};

/* what the SRV answer allows (RFC 7673 s3) */
enum dns_verdict {
	WALK_FAILED,     /* bogus or indeterminate: do not connect, no fallback */
	WALK_INSECURE,   /* targets not authenticated: no TLSA lookups, DANE does not apply */
	WALK_NO_SERVICE, /* single target ".": no XMPP s2s service */
	WALK_TARGETS     /* secure: look up the targets' TLSA (or the no-SRV fallback) */
};

/* dns_walk_init - zero w, default options; cmd names the command in messages. */
void dns_walk_init(struct dns_walk *w, const char *cmd);

/*
 * dns_opt - the DNS option at argv[*i] into *o. Returns 1 taken (*i advanced
 * past its value), 0 not a DNS option or its value missing, -1 bad value
 * (message printed for cmd).
 */
int dns_opt(int argc, char **argv, size_t *i, struct dns_opts *o, const char *cmd);

/* dns_walk_open - event loop and resolver from w->opt. Returns 0, or exit status 2/3. */
int dns_walk_open(struct dns_walk *w);

/* dns_walk_srv - look up the domain's SRV and wait for it (w->srv). Returns 0, or exit status 2/3. */
int dns_walk_srv(struct dns_walk *w, const char *domain);

/* dns_walk_verdict - RFC 7673 s3 on w->srv. */
enum dns_verdict dns_walk_verdict(const struct dns_walk *w);

/* dns_walk_tlsa - the targets of a WALK_TARGETS answer (targets "." skipped) and their TLSA, all at once. */
void dns_walk_tlsa(struct dns_walk *w, const char *domain);

/* dns_walk_close - free the answers, resolver and loop; safe after dns_walk_init at any step. */
void dns_walk_close(struct dns_walk *w);

#endif
