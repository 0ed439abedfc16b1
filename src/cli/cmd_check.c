/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - xmpp-dane check: a live server against its TLSA records.
 *
 * For every SRV target with secure TLSA records (the same RFC 7673 steps as
 * `lookup`): connect, STARTTLS for s2s (direct TLS with --direct-tls), take
 * the certificate chain the server presents and verify it against the
 * records with the verifier (DANE-EE and DANE-TA; reference names: the
 * service domain and the SRV target). Addresses come from the system
 * resolver (getaddrinfo), or from --connect for tests.
 * Exit: 0 at least one target authenticated and none presented a
 * non-matching chain, 1 a mismatch, no target reachable or DANE does not
 * apply, 3 bogus/indeterminate DNS, 2 usage.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "xdane.h"
#include "cli.h"
#include "dns_walk.h"

/* usage - help text. */
static int usage(FILE *out, int rc)
{
	fprintf(out,
	        "usage: xmpp-dane check DOMAIN [--upstream ADDR[:PORT]] [--trust-anchor FILE] [--timeout S]\n"
	        "                       [--direct-tls] [--port N] [--connect ADDR[:PORT]] [--ca-file FILE]\n"
	        "  Looks up SRV and TLSA like `lookup`, connects to every target with secure TLSA\n"
	        "  (STARTTLS, or direct TLS), and verifies the presented chain against the records.\n"
	        "  --connect A[:P]  connect there instead of the target's addresses (testing)\n"
	        "exit: 0 authenticated, 1 mismatch/unreachable/DANE does not apply, 3 bogus/indeterminate DNS, 2 usage\n");
	return rc;
}

/* tcp_connect - connect to host:port (or the override) with a timeout; fd or -1. */
static int tcp_connect(const char *host, unsigned port, const char *override, int timeout_ms, char *why, size_t wlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	char h[256], p[16];
	int fd = -1;

	snprintf(h, sizeof h, "%s", host);
	snprintf(p, sizeof p, "%u", port);
	if (override) {
		const char *colon = strrchr(override, ':');
		if (colon && override[0] != '[' && strchr(override, ':') == colon) {
			snprintf(h, sizeof h, "%.*s", (int)(colon - override), override);
			snprintf(p, sizeof p, "%s", colon + 1);
		} else {
			snprintf(h, sizeof h, "%s", override);
		}
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(h, p, &hints, &res) != 0) {
		snprintf(why, wlen, "cannot resolve address of %s", h);
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct timeval tv;
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(why, wlen, "connect %s port %s: %s", h, p, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* read_until - read into buf until needle (or an error element) shows up; 1 found, 0 not. */
static int read_until(int fd, char *buf, size_t len, const char *needle)
{
	size_t n = 0;
	buf[0] = '\0';
	while (n + 1 < len) {
		ssize_t r = read(fd, buf + n, len - n - 1);
		if (r <= 0)
			return 0;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, needle))
			return 1;
		if (strstr(buf, "</stream:stream>") || strstr(buf, "<failure"))
			return 0;
	}
	return 0;
}

/* starttls - XMPP s2s stream up to <proceed/> (RFC 6120 s5.4). 1 ok, 0 failed (why set). */
static int starttls(int fd, const char *domain, char *why, size_t wlen)
{
	char buf[8192], hdr[600];
	int n = snprintf(hdr, sizeof hdr,
	                 "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
	                 "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
	                 "to='%s' version='1.0'>", domain);
	if (write(fd, hdr, (size_t)n) != n) {
		snprintf(why, wlen, "cannot send the stream header");
		return 0;
	}
	if (!read_until(fd, buf, sizeof buf, "</stream:features>") || !strstr(buf, "urn:ietf:params:xml:ns:xmpp-tls")) {
		snprintf(why, wlen, "server offers no STARTTLS");
		return 0;
	}
	n = (int)strlen("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	if (write(fd, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", (size_t)n) != n ||
	    !read_until(fd, buf, sizeof buf, "<proceed")) {
		snprintf(why, wlen, "STARTTLS refused");
		return 0;
	}
	return 1;
}

/* check_target - connect, TLS, verify; 1 authenticated, 0 not, -1 could not check. */
static int check_target(const xdane_verifier *v, const char *domain, const char *target, unsigned port,
                        const xdane_answer *tlsa, int direct, const char *override, int timeout_ms)
{
	char why[300] = "";
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	STACK_OF(X509) *sk;
	X509 **chain = NULL;
	const char *names[2];
	xdane_verify_request req;
	xdane_result res;
	int fd, i, n, rc = -1;

	fd = tcp_connect(target, port, override, timeout_ms, why, sizeof why);
	if (fd < 0)
		goto out;
	if (!direct && !starttls(fd, domain, why, sizeof why))
		goto out;
	ctx = SSL_CTX_new(TLS_client_method());
	ssl = ctx ? SSL_new(ctx) : NULL;
	if (!ssl) {
		snprintf(why, sizeof why, "out of memory");
		goto out;
	}
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL); /* we verify the chain ourselves, against TLSA */
	SSL_set_tlsext_host_name(ssl, domain);      /* XMPP: SNI is the service domain */
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1) {
		snprintf(why, sizeof why, "TLS handshake failed");
		goto out;
	}
	sk = SSL_get_peer_cert_chain(ssl); /* client side: leaf first, as sent */
	n = sk ? sk_X509_num(sk) : 0;
	if (n <= 0) {
		snprintf(why, sizeof why, "no certificate presented");
		goto out;
	}
	chain = calloc((size_t)n, sizeof *chain);
	if (!chain)
		goto out;
	for (i = 0; i < n; i++)
		chain[i] = sk_X509_value(sk, i);
	names[0] = domain;
	names[1] = target;
	memset(&req, 0, sizeof req);
	req.records = tlsa->tlsa;
	req.nrecords = tlsa->count;
	req.uses = XDANE_USES_DEFAULT;
	req.chain = chain;
	req.chain_len = (size_t)n;
	req.names = names;
	req.nnames = strcasecmp(domain, target) ? 2 : 1;
	req.role = XDANE_ROLE_SERVER;
	memset(&res, 0, sizeof res);
	rc = xdane_verify(v, &req, &res);
	if (rc > 0) {
		printf("  -> %s:%u: authenticated by %s record #%d at depth %d (%s)\n", target, port,
		       xdane_usage_name(res.usage), res.record + 1, res.depth, res.detail);
		rc = 1;
	} else if (rc == 0) {
		printf("  -> %s:%u: NOT authenticated: %s (%s)\n", target, port, xdane_reason_text(res.reason), res.detail);
		rc = res.reason == XDANE_REASON_NO_USABLE ? -1 : 0;
	} else {
		snprintf(why, sizeof why, "verifier error: %s", res.detail);
		rc = -1;
	}
out:
	if (rc == -1 && why[0])
		printf("  -> %s:%u: not checked: %s\n", target, port, why);
	free(chain);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* check_targets - print every target's TLSA and check those with secure records; returns the exit status. */
static int check_targets(const struct dns_walk *w, const xdane_verifier *v, const char *domain, const char *override)
{
	size_t i;
	int ok = 0, bad = 0, dnsfail = 0;

	for (i = 0; i < w->ntargets; i++) {
		const xdane_answer *a = w->t[i].tlsa;
		const char *host = w->t[i].host;
		unsigned port = w->t[i].port;
		int c;
		if (!a || a->status == XDANE_DNS_BOGUS || a->status == XDANE_DNS_INDETERMINATE) {
			printf("TLSA _%u._tcp.%s: %s: target not used\n", port, host,
			       !a ? "not looked up" : xdane_dns_status_name(a->status));
			dnsfail++;
			continue;
		}
		printf("TLSA %s: %s, %zu record%s\n", a->qname, xdane_dns_status_name(a->status), a->count,
		       a->count == 1 ? "" : "s");
		if (a->status != XDANE_DNS_SECURE || a->count == 0) {
			printf("  -> %s:%u: DANE does not apply\n", host, port);
			continue;
		}
		c = check_target(v, domain, host, port, a, w->opt.direct, override, (int)(w->opt.timeout * 1000));
		ok += c > 0;
		bad += c == 0;
	}
	if (bad) {
		printf("result: %d target%s presented a chain that does not match its TLSA records\n", bad, bad > 1 ? "s" : "");
		return 1;
	}
	if (ok) {
		printf("result: authenticated by DANE (%d target%s)\n", ok, ok > 1 ? "s" : "");
		return 0;
	}
	printf("result: no target could be authenticated by DANE\n");
	return dnsfail ? 3 : 1;
}

int cmd_check(int argc, char **argv)
{
	const char *domain = NULL, *override = NULL, *cafile = "";
	struct dns_walk w;
	xdane_verifier *v = NULL;
	char err[300];
	size_t i;
	int rc;

	dns_walk_init(&w, "check");
	for (i = 1; i < (size_t)argc; i++) {
		const char *o = argv[i];
		int has = i + 1 < (size_t)argc;
		if (!strcmp(o, "--help") || !strcmp(o, "-h"))
			return usage(stdout, 0);
		rc = dns_opt(argc, argv, &i, &w.opt, "check");
		if (rc < 0)
			return usage(stderr, 2);
		if (rc > 0)
			continue;
		if (!strcmp(o, "--connect") && has)
			override = argv[++i];
		else if (!strcmp(o, "--ca-file") && has)
			cafile = argv[++i];
		else if (o[0] == '-' || domain) {
			fprintf(stderr, "xmpp-dane check: unexpected '%s'\n", o);
			return usage(stderr, 2);
		} else
			domain = o;
	}
	if (!domain)
		return usage(stderr, 2);
	rc = dns_walk_open(&w);
	if (rc)
		goto done;
	v = xdane_verifier_new(cafile, err, sizeof err);
	if (!v) {
		fprintf(stderr, "xmpp-dane check: %s\n", err);
		rc = 2;
		goto done;
	}
	rc = dns_walk_srv(&w, domain);
	if (rc)
		goto done;
	printf("SRV %s: %s%s%s\n", w.srv->qname, xdane_dns_status_name(w.srv->status), w.srv->why ? " " : "",
	       w.srv->why ? w.srv->why : "");
	switch (dns_walk_verdict(&w)) {
	case WALK_FAILED:
		printf("result: SRV lookup failed: do not connect\n");
		rc = 3;
		break;
	case WALK_INSECURE:
	case WALK_NO_SERVICE:
		printf("result: DANE does not apply (%s)\n", w.srv->status == XDANE_DNS_INSECURE ? "insecure SRV" : "no service");
		rc = 1;
		break;
	case WALK_TARGETS:
		dns_walk_tlsa(&w, domain);
		rc = check_targets(&w, v, domain, override);
		break;
	}
done:
	xdane_verifier_free(v);
	dns_walk_close(&w);
	return rc;
}
