/* SPDX-License-Identifier: MIT */
/* resolver_answer.c - reference-counted answers shared by lookups and the cache. */
#include <stdlib.h>
#include <string.h>
#include "resolver_answer.h"

/* xdane_ans_new - see resolver_answer.h */
struct xdane_ans *xdane_ans_new(int status, int qtype, const char *qname, const char *why)
{
	struct xdane_ans *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->refs = 1;
	a->pub.status = status;
	a->pub.rcode = -1;
	a->pub.qtype = qtype;
	a->pub.why = why;
	if (qname) {
		strncpy(a->pub.qname, qname, sizeof a->pub.qname - 1);
	}
	return a;
}

/* xdane_ans_share - see resolver_answer.h */
struct xdane_ans *xdane_ans_share(const struct xdane_ans *src)
{
	struct xdane_ans *a = malloc(sizeof *a);
	if (!a)
		return NULL;
	*a = *src;
	a->refs = 1;
	if (a->recs)
		a->recs->refs++;
	return a;
}

/* xdane_ans_set_records - see resolver_answer.h */
void xdane_ans_set_records(struct xdane_ans *a, struct xdane_recs *recs)
{
	a->recs = recs;
	recs->refs = 1;
	a->pub.count = recs->count;
	a->pub.srv = recs->srv;
	a->pub.tlsa = recs->tlsa;
}

/* xdane_recs_free - see resolver_answer.h */
void xdane_recs_free(struct xdane_recs *recs)
{
	size_t i;
	if (!recs)
		return;
	if (recs->tlsa)
		for (i = 0; i < recs->count; i++)
			free(recs->tlsa[i].data);
	free(recs->tlsa);
	free(recs->srv);
	free(recs);
}

/* xdane_answer_ref - keep an answer past its callback. */
const xdane_answer *xdane_answer_ref(const xdane_answer *pub)
{
	struct xdane_ans *a = (struct xdane_ans *)pub;
	if (a)
		a->refs++;
	return pub;
}

/* xdane_answer_unref - drop one reference; frees the answer (and its records) at zero. */
void xdane_answer_unref(const xdane_answer *pub)
{
	struct xdane_ans *a = (struct xdane_ans *)pub;
	if (!a || --a->refs > 0)
		return;
	if (a->recs && --a->recs->refs <= 0)
		xdane_recs_free(a->recs);
	free(a);
}

/* xdane_dns_status_name - printable status. */
const char *xdane_dns_status_name(int status)
{
	switch (status) {
	case XDANE_DNS_SECURE: return "secure";
	case XDANE_DNS_INSECURE: return "insecure";
	case XDANE_DNS_BOGUS: return "bogus";
	case XDANE_DNS_INDETERMINATE: return "indeterminate";
	default: return "unknown";
	}
}
