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
#include "dns_walk.h"

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

/* print_srv - the SRV answer and its records. */
static void print_srv(const xdane_answer *a)
{
	size_t i;
	print_status("SRV", a);
	for (i = 0; i < a->count; i++)
		printf("  %u %u %u %s\n", a->srv[i].priority, a->srv[i].weight, a->srv[i].port, a->srv[i].target);
}

/*
 * warn_full_cert - F15: "3 0 x" pins the whole certificate, which changes at
 * every renewal (ACME clients renew every 60-90 days, often with the same
 * key); "3 1 x" survives renewals that keep the key.
 */
static void warn_full_cert(const xdane_answer *a)
{
	size_t i;
	if (a->status != XDANE_DNS_SECURE)
		return;
	for (i = 0; i < a->count; i++)
		if (a->tlsa[i].usage == XDANE_USAGE_DANE_EE && a->tlsa[i].selector == XDANE_SELECTOR_CERT) {
			printf("  warning: 3 0 x records pin the whole certificate and break at its next renewal "
			       "(automatic renewal included); publish 3 1 1 (the key) instead or alongside\n");
			return;
		}
}

/* print_targets - every target's TLSA and what it means; returns the exit status. */
static int print_targets(const struct dns_walk *w)
{
	size_t i;
	int failures = 0, dane_targets = 0;

	for (i = 0; i < w->ntargets; i++)
		if (!w->t[i].started) {
			printf("TLSA _%u._tcp.%s: not looked up (%s)\n", w->t[i].port, w->t[i].host, w->t[i].err);
			failures++;
		}
	for (i = 0; i < w->ntargets; i++) {
		const xdane_answer *a = w->t[i].tlsa;
		const char *host = w->t[i].host;
		unsigned port = w->t[i].port;
		int usable;
		if (!a)
			continue;
		print_status("TLSA", a);
		usable = print_tlsa(a);
		warn_full_cert(a);
		if (a->status == XDANE_DNS_BOGUS || a->status == XDANE_DNS_INDETERMINATE) {
			printf("  -> target %s:%u: must not be used (TLSA %s)\n", host, port, xdane_dns_status_name(a->status));
			failures++;
		} else if (usable > 0) {
			printf("  -> target %s:%u: DANE applies, %d usable record%s\n", host, port, usable, usable > 1 ? "s" : "");
			dane_targets++;
		} else if (a->status == XDANE_DNS_SECURE && a->count > 0) {
			printf("  -> target %s:%u: secure TLSA but none usable: TLS required, normal authentication\n", host, port);
		} else {
			printf("  -> target %s:%u: DANE does not apply (%s)\n", host, port,
			       a->status == XDANE_DNS_INSECURE ? "insecure" : "no TLSA");
		}
	}
	if (dane_targets) {
		printf("result: DANE applies: usable secure TLSA for %d of %zu target%s\n", dane_targets, w->ntargets,
		       w->ntargets > 1 ? "s" : "");
		return 0;
	}
	if (failures) {
		printf("result: bogus or indeterminate TLSA answers and no usable secure TLSA\n");
		return 3;
	}
	printf("result: DANE does not apply\n");
	return 1;
}

int cmd_lookup(int argc, char **argv)
{
	const char *domain = NULL;
	struct dns_walk w;
	size_t i;
	int rc;

	dns_walk_init(&w, "lookup");
	for (i = 1; i < (size_t)argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return usage(stdout, 0);
		rc = dns_opt(argc, argv, &i, &w.opt, "lookup");
		if (rc < 0)
			return 2;
		if (rc > 0)
			continue;
		if (o[0] == '-' && o[1]) {
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
	rc = dns_walk_open(&w);
	if (!rc)
		rc = dns_walk_srv(&w, domain);
	if (rc)
		goto out;
	print_srv(w.srv);
	switch (dns_walk_verdict(&w)) {
	case WALK_FAILED:
		printf("result: SRV lookup %s: do not connect (no fallback to the domain's own records)\n",
		       xdane_dns_status_name(w.srv->status));
		rc = 3;
		break;
	case WALK_INSECURE:
		printf("result: SRV records are insecure: targets are not authenticated, no TLSA lookups; DANE does not apply\n");
		rc = 1;
		break;
	case WALK_NO_SERVICE:
		printf("result: target \".\": the domain offers no XMPP server-to-server service\n");
		rc = 1;
		break;
	case WALK_TARGETS:
		if (w.srv->count == 0)
			printf("no SRV records (securely proven): fallback to %s port %u\n", domain, w.opt.port);
		dns_walk_tlsa(&w, domain);
		rc = print_targets(&w);
		break;
	}
out:
	dns_walk_close(&w);
	return rc;
}
