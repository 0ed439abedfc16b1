/* SPDX-License-Identifier: MIT */
/*
 * cmd_lookup.c - xmpp-dane lookup: SRV targets of an XMPP domain and the
 * TLSA records of each, with the DNSSEC status of every answer.
 *
 * RFC 7673 s3: only a secure SRV RRset authenticates its targets, so an
 * insecure SRV means no TLSA lookups at all; a secure proof that there is no
 * SRV falls back to the domain itself on port 5269 (RFC 6120 s3.2.2); a
 * single target "." means no service; a bogus or indeterminate SRV aborts.
 * Exit: 0 usable secure TLSA found (DANE applies), 1 DANE does not apply,
 * 3 a bogus or indeterminate answer and no usable secure TLSA, 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xdane.h"
#include "cli.h"

#define MAX_TARGETS 32

struct slot {
	const xdane_answer *a; /* referenced answer, NULL while pending */
};

/* on_answer - keep the answer for printing. */
static void on_answer(const xdane_answer *a, void *arg)
{
	((struct slot *)arg)->a = xdane_answer_ref(a);
}

/* usage - help text. */
static int usage(FILE *out, int rc)
{
	fprintf(out,
	        "usage: xmpp-dane lookup DOMAIN [--port N] [--upstream ADDR[:PORT]] [--trust-anchor FILE]\n"
	        "                        [--timeout S] [--direct-tls]\n"
	        "  Looks up _xmpp-server._tcp.DOMAIN SRV (_xmpps-server with --direct-tls) and the\n"
	        "  TLSA records of every target, validating DNSSEC from the trust anchor.\n"
	        "  --port N           port for the no-SRV fallback (default 5269, 5223 with --direct-tls)\n"
	        "  --upstream A[:P]   recursive resolver (repeatable; default: /etc/resolv.conf, port 53)\n"
	        "  --trust-anchor F   DS/DNSKEY records, zone-file format (default /usr/share/dns/root.key)\n"
	        "  --timeout S        per-lookup timeout in seconds (default 5)\n"
	        "exit: 0 usable secure TLSA found, 1 DANE does not apply, 3 bogus/indeterminate, 2 usage\n");
	return rc;
}

/* wait_for - run the loop until every slot has an answer. */
static void wait_for(xdane_miniloop *loop, struct slot *s, size_t n)
{
	size_t i;
	for (;;) {
		for (i = 0; i < n && s[i].a; i++)
			;
		if (i == n)
			return;
		if (xdane_miniloop_run_once(loop, 1000) < 0)
			return;
	}
}

/* print_status - "secure", or "bogus (validation failed)", plus TTL. */
static void print_status(const char *kind, const xdane_answer *a)
{
	printf("%s %s: %s", kind, a->qname, xdane_dns_status_name(a->status));
	if (a->status == XDANE_DNS_SECURE && a->count == 0)
		printf(" (no records: %s)", a->rcode == 3 ? "NXDOMAIN" : "NODATA");
	else if (a->why)
		printf(" (%s)", a->why);
	if (a->status == XDANE_DNS_SECURE || a->status == XDANE_DNS_INSECURE)
		printf(", ttl %u%s", a->ttl, a->cached ? ", cached" : "");
	printf("\n");
}

/* print_tlsa - the records of a TLSA answer; returns how many are usable if secure. */
static int print_tlsa(const xdane_answer *a)
{
	size_t i;
	int usable = 0;
	for (i = 0; i < a->count; i++) {
		const char *why = NULL;
		char *text = xdane_tlsa_format(&a->tlsa[i]);
		int ok = xdane_tlsa_usable(&a->tlsa[i], XDANE_USES_ALL, &why) > 0;
		printf("  %s%s%s%s\n", text ? text : "(out of memory)", ok ? "" : "  [unusable: ", ok ? "" : why ? why : "?",
		       ok ? "" : "]");
		free(text);
		usable += ok;
	}
	return a->status == XDANE_DNS_SECURE ? usable : 0;
}

int cmd_lookup(int argc, char **argv)
{
	const char *domain = NULL, *anchor = NULL, *ups[8];
	size_t nups = 0, ntargets = 0, i;
	unsigned port = 0;
	int direct = 0, rc, failures = 0, dane_targets = 0;
	double timeout = 5;
	xdane_resolver_config cfg;
	xdane_miniloop *loop;
	xdane_resolver *r;
	struct slot srv = { NULL }, tlsa[MAX_TARGETS];
	char err[300];
	const char *host[MAX_TARGETS];
	unsigned hport[MAX_TARGETS];

	for (i = 1; i < (size_t)argc; i++) {
		const char *o = argv[i];
		int has_arg = i + 1 < (size_t)argc;
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return usage(stdout, 0);
		if (!strcmp(o, "--direct-tls")) {
			direct = 1;
		} else if (!strcmp(o, "--port") && has_arg) {
			char *end;
			unsigned long p = strtoul(argv[++i], &end, 10);
			if (*end || p == 0 || p > 65535) {
				fprintf(stderr, "xmpp-dane lookup: bad --port '%s'\n", argv[i]);
				return 2;
			}
			port = (unsigned)p;
		} else if (!strcmp(o, "--upstream") && has_arg) {
			if (nups == sizeof ups / sizeof ups[0]) {
				fprintf(stderr, "xmpp-dane lookup: too many --upstream\n");
				return 2;
			}
			ups[nups++] = argv[++i];
		} else if (!strcmp(o, "--trust-anchor") && has_arg) {
			anchor = argv[++i];
		} else if (!strcmp(o, "--timeout") && has_arg) {
			char *end;
			timeout = strtod(argv[++i], &end);
			if (*end || !(timeout > 0) || timeout > 3600) {
				fprintf(stderr, "xmpp-dane lookup: bad --timeout '%s'\n", argv[i]);
				return 2;
			}
		} else if (o[0] == '-' && o[1]) {
			fprintf(stderr, "xmpp-dane lookup: unknown or incomplete option '%s'\n", o);
			return usage(stderr, 2);
		} else if (!domain) {
			domain = o;
		} else {
			fprintf(stderr, "xmpp-dane lookup: one DOMAIN only ('%s')\n", o);
			return usage(stderr, 2);
		}
	}
	if (!domain)
		return usage(stderr, 2);
	if (!port)
		port = direct ? 5223 : 5269;

	memset(&cfg, 0, sizeof cfg);
	cfg.upstreams = nups ? ups : NULL;
	cfg.nupstreams = nups;
	cfg.trust_anchor_file = anchor;
	cfg.timeout_ms = (unsigned)(timeout * 1000 + 0.5);
	loop = xdane_miniloop_new();
	if (!loop) {
		fprintf(stderr, "xmpp-dane lookup: out of memory\n");
		return 3;
	}
	r = xdane_resolver_new(&cfg, xdane_miniloop_ops(loop), err, sizeof err);
	if (!r) {
		fprintf(stderr, "xmpp-dane lookup: %s\n", err);
		xdane_miniloop_free(loop);
		return 2;
	}
	if (xdane_lookup_srv(r, domain, direct, on_answer, &srv, err, sizeof err) <= 0) {
		fprintf(stderr, "xmpp-dane lookup: %s\n", err);
		rc = 2;
		goto out;
	}
	wait_for(loop, &srv, 1);
	if (!srv.a) {
		fprintf(stderr, "xmpp-dane lookup: event loop failed\n");
		rc = 3;
		goto out;
	}
	print_status("SRV", srv.a);
	for (i = 0; i < srv.a->count; i++)
		printf("  %u %u %u %s\n", srv.a->srv[i].priority, srv.a->srv[i].weight, srv.a->srv[i].port, srv.a->srv[i].target);

	/* RFC 7673 s3: what the SRV answer allows */
	if (srv.a->status == XDANE_DNS_BOGUS || srv.a->status == XDANE_DNS_INDETERMINATE) {
		printf("result: SRV lookup %s: do not connect (no fallback to the domain's own records)\n",
		       xdane_dns_status_name(srv.a->status));
		rc = 3;
		goto out;
	}
	if (srv.a->status == XDANE_DNS_INSECURE) {
		printf("result: SRV records are insecure: targets are not authenticated, no TLSA lookups; DANE does not apply\n");
		rc = 1;
		goto out;
	}
	if (srv.a->count == 1 && !strcmp(srv.a->srv[0].target, ".")) {
		printf("result: target \".\": the domain offers no XMPP server-to-server service\n");
		rc = 1;
		goto out;
	}
	if (srv.a->count == 0) {
		printf("no SRV records (securely proven): fallback to %s port %u\n", domain, port);
		host[0] = domain;
		hport[0] = port;
		ntargets = 1;
	} else {
		for (i = 0; i < srv.a->count && ntargets < MAX_TARGETS; i++) {
			if (!strcmp(srv.a->srv[i].target, "."))
				continue;
			host[ntargets] = srv.a->srv[i].target;
			hport[ntargets++] = srv.a->srv[i].port;
		}
	}
	/* every target's TLSA at once */
	for (i = 0; i < ntargets; i++) {
		tlsa[i].a = NULL;
		if (xdane_lookup_tlsa(r, hport[i], host[i], on_answer, &tlsa[i], err, sizeof err) <= 0) {
			printf("TLSA _%u._tcp.%s: not looked up (%s)\n", hport[i], host[i], err);
			tlsa[i].a = xdane_answer_ref(srv.a); /* placeholder: counted as a failure below */
			failures++;
			continue;
		}
	}
	wait_for(loop, tlsa, ntargets);
	for (i = 0; i < ntargets; i++) {
		const xdane_answer *a = tlsa[i].a;
		int usable;
		if (!a || a == srv.a)
			continue;
		print_status("TLSA", a);
		usable = print_tlsa(a);
		if (a->status == XDANE_DNS_BOGUS || a->status == XDANE_DNS_INDETERMINATE) {
			printf("  -> target %s:%u: must not be used (TLSA %s)\n", host[i], hport[i], xdane_dns_status_name(a->status));
			failures++;
		} else if (usable > 0) {
			printf("  -> target %s:%u: DANE applies, %d usable record%s\n", host[i], hport[i], usable, usable > 1 ? "s" : "");
			dane_targets++;
		} else if (a->status == XDANE_DNS_SECURE && a->count > 0) {
			printf("  -> target %s:%u: secure TLSA but none usable: TLS required, normal authentication\n", host[i], hport[i]);
		} else {
			printf("  -> target %s:%u: DANE does not apply (%s)\n", host[i], hport[i],
			       a->status == XDANE_DNS_INSECURE ? "insecure" : "no TLSA");
		}
	}
	if (dane_targets) {
		printf("result: DANE applies: usable secure TLSA for %d of %zu target%s\n", dane_targets, ntargets,
		       ntargets > 1 ? "s" : "");
		rc = 0;
	} else if (failures) {
		printf("result: bogus or indeterminate TLSA answers and no usable secure TLSA\n");
		rc = 3;
	} else {
		printf("result: DANE does not apply\n");
		rc = 1;
	}
	for (i = 0; i < ntargets; i++)
		xdane_answer_unref(tlsa[i].a);
out:
	xdane_answer_unref(srv.a);
	xdane_resolver_free(r);
	xdane_miniloop_free(loop);
	return rc;
}
