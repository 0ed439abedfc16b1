/* SPDX-License-Identifier: MIT */
/*
 * resolver_answer.h - reference-counted answers (private).
 *
 * struct xdane_ans starts with the public xdane_answer, so the pointer the
 * user gets is the same object. Records live in a separately counted body,
 * so a cache hit only allocates a small header with its own ttl/cached.
 */
#ifndef XDANE_RESOLVER_ANSWER_H
#define XDANE_RESOLVER_ANSWER_H

#include "xdane_resolver.h"

struct xdane_recs {
	int refs;
	size_t count;
	xdane_srv *srv;
	xdane_tlsa *tlsa;
};

struct xdane_ans {
	xdane_answer pub; /* first member */
	int refs;
	struct xdane_recs *recs; /* NULL when count == 0 */
};

/* xdane_ans_new - empty answer (rcode -1, no records) for qtype/qname; NULL on OOM. */
struct xdane_ans *xdane_ans_new(int status, int qtype, const char *qname, const char *why);

/* xdane_ans_share - new header over the same records (cache hits); NULL on OOM. */
struct xdane_ans *xdane_ans_share(const struct xdane_ans *a);

/* xdane_ans_set_records - give a (count > 0) body to a; takes ownership of recs. */
void xdane_ans_set_records(struct xdane_ans *a, struct xdane_recs *recs);

/* xdane_recs_free - free a records body (refs ignored); NULL is a no-op. */
void xdane_recs_free(struct xdane_recs *recs);

#endif
