/* SPDX-License-Identifier: MIT */
/* cmd_verify.c - xmpp-dane verify: a PEM chain against TLSA records, offline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xdane.h"
#include "cli.h"

#define MAX_ITEMS 64

/* help - the verify interface. */
static void help(FILE *out)
{
	fprintf(out,
	        "usage: xmpp-dane verify --chain FILE [--trust FILE] [--uses LIST]\n"
	        "                        [--role server|client]\n"
	        "                        --name NAME [--name NAME]... --tlsa \"U S M HEX\" [--tlsa ...]\n"
	        "\n"
	        "  --chain FILE   PEM certificates as the peer sent them, leaf first (other text ignored)\n"
	        "  --trust FILE   PEM CA bundle for the PKIX usages (default: the system store)\n"
	        "  --uses LIST    enabled usages: DANE-EE,DANE-TA,PKIX-EE,PKIX-TA (alias PKIX-CA);\n"
	        "                 default DANE-EE,DANE-TA\n"
	        "  --role R       server: the peer is the server we connect to (default);\n"
	        "                 client: an incoming s2s connection\n"
	        "  --name NAME    reference identity: the XMPP domain and/or the SRV target\n"
	        "  --tlsa REC     a TLSA record in presentation form, e.g. \"3 1 1 ab12...\";\n"
	        "                 a zone line (\"<owner> IN TLSA 3 1 1 ab12...\") is accepted too\n"
	        "\n"
	        "First line: authenticated usage=<USAGE> depth=<N> record=\"<U S M HEX>\"\n"
	        "        or: rejected: <reason>\n"
	        "Exit: 0 authenticated, 1 rejected (also: no usable records), 2 usage error.\n");
}

/*
 * record_text - the "U S M HEX" part of a --tlsa value. Operators paste what
 * `xmpp-dane tlsa` or their zone file shows ("_25._tcp.x. IN TLSA 3 1 1 ..."),
 * so everything up to a standalone TLSA token is skipped.
 */
static const char *record_text(const char *val)
{
	const char *p = val, *hit = NULL;
	while ((p = strstr(p, "TLSA")) != NULL) {
		int starts = p == val || p[-1] == ' ' || p[-1] == '\t';
		int ends = p[4] == ' ' || p[4] == '\t';
		if (starts && ends)
			hit = p + 4;
		p += 4;
	}
	return hit ? hit : val;
}

/* print_unusable - say why each record is unusable (digest length, usage not enabled, ...). */
static void print_unusable(const xdane_tlsa *recs, size_t n, unsigned uses)
{
	size_t k;
	for (k = 0; k < n; k++) {
		const char *why = NULL;
		if (xdane_tlsa_usable(&recs[k], uses, &why) <= 0)
			printf("record %zu (%u %u %u) unusable: %s\n", k + 1, recs[k].usage, recs[k].selector,
			       recs[k].mtype, why ? why : "unknown");
	}
}

int cmd_verify(int argc, char **argv)
{
	const char *chain_file = NULL, *trust = NULL, *uses_s = NULL, *role_s = NULL, *val;
	const char *names[MAX_ITEMS];
	xdane_tlsa recs[MAX_ITEMS];
	size_t nnames = 0, nrecs = 0, pemlen = 0, k;
	struct x509_st **chain = NULL;
	xdane_verifier *v = NULL;
	xdane_verify_request req;
	xdane_result res;
	unsigned uses = XDANE_USES_DEFAULT;
	char err[256], *pem = NULL, *text;
	int i, n = 0, rc, status = 2;

	for (i = 1; i < argc; i++) {
		int r;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help(stdout);
			status = 0;
			goto out;
		}
		if ((r = cli_opt(argc, argv, &i, "--chain", &val, "verify")) != 0) {
			if (r < 0)
				goto out;
			chain_file = val;
		} else if ((r = cli_opt(argc, argv, &i, "--trust", &val, "verify")) != 0) {
			if (r < 0)
				goto out;
			trust = val;
		} else if ((r = cli_opt(argc, argv, &i, "--uses", &val, "verify")) != 0) {
			if (r < 0)
				goto out;
			uses_s = val;
		} else if ((r = cli_opt(argc, argv, &i, "--role", &val, "verify")) != 0) {
			if (r < 0)
				goto out;
			role_s = val;
		} else if ((r = cli_opt(argc, argv, &i, "--name", &val, "verify")) != 0) {
			if (r < 0)
				goto out;
			if (nnames == MAX_ITEMS) {
				fprintf(stderr, "xmpp-dane verify: too many --name options\n");
				goto out;
			}
			if (*val == '\0') {
				fprintf(stderr, "xmpp-dane verify: --name must not be empty\n");
				goto out;
			}
			names[nnames++] = val;
		} else if ((r = cli_opt(argc, argv, &i, "--tlsa", &val, "verify")) != 0) {
			if (r < 0)
				goto out;
			if (nrecs == MAX_ITEMS) {
				fprintf(stderr, "xmpp-dane verify: too many --tlsa options\n");
				goto out;
			}
			rc = xdane_tlsa_parse(record_text(val), &recs[nrecs], err, sizeof err);
			if (rc <= 0) {
				fprintf(stderr, "xmpp-dane verify: %s\n", rc < 0 ? "out of memory" : err);
				goto out;
			}
			nrecs++;
		} else {
			fprintf(stderr, "xmpp-dane verify: unknown option '%s' (see --help)\n", argv[i]);
			goto out;
		}
	}
	if (chain_file == NULL || nnames == 0 || nrecs == 0) {
		fprintf(stderr, "xmpp-dane verify: --chain, --name and --tlsa are required (see --help)\n");
		goto out;
	}
	if (uses_s != NULL && xdane_uses_parse(uses_s, &uses, err, sizeof err) <= 0) {
		fprintf(stderr, "xmpp-dane verify: --uses: %s\n", err);
		goto out;
	}
	if (role_s != NULL && strcmp(role_s, "server") && strcmp(role_s, "client")) {
		fprintf(stderr, "xmpp-dane verify: --role: want server or client\n");
		goto out;
	}
	pem = cli_read_file(chain_file, &pemlen, "verify");
	if (pem == NULL)
		goto out;
	n = xdane_chain_from_pem(pem, pemlen, &chain);
	if (n <= 0) {
		fprintf(stderr, "xmpp-dane verify: %s: %s\n", chain_file,
		        n < 0 ? "out of memory" : "no certificate, or a PEM block that does not decode");
		n = 0;
		goto out;
	}
	v = xdane_verifier_new(trust, err, sizeof err);
	if (v == NULL) {
		fprintf(stderr, "xmpp-dane verify: --trust: %s\n", err);
		goto out;
	}
	memset(&req, 0, sizeof req);
	req.records = recs;
	req.nrecords = nrecs;
	req.uses = uses;
	req.chain = chain;
	req.chain_len = (size_t)n;
	req.names = names;
	req.nnames = nnames;
	req.role = role_s && !strcmp(role_s, "client") ? XDANE_ROLE_CLIENT : XDANE_ROLE_SERVER;
	rc = xdane_verify(v, &req, &res);
	if (rc < 0) {
		fprintf(stderr, "xmpp-dane verify: internal error: %s\n", res.detail);
		goto out;
	}
	if (rc > 0) {
		text = xdane_tlsa_format(&recs[res.record]);
		printf("authenticated usage=%s depth=%d record=\"%s\"\n", xdane_usage_name(res.usage),
		       res.depth, text ? text : "?");
		free(text);
		status = 0;
	} else {
		printf("rejected: %s\n", xdane_reason_text(res.reason));
		status = 1;
	}
	printf("detail: %s\n", res.detail);
	printf("usable records: %d of %zu\n", res.usable, nrecs);
	print_unusable(recs, nrecs, uses);
out:
	for (k = 0; k < nrecs; k++)
		xdane_tlsa_clear(&recs[k]);
	xdane_chain_free(chain, (size_t)n);
	xdane_verifier_free(v);
	free(pem);
	return status;
}
