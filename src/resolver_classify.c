/* SPDX-License-Identifier: MIT */
/*
 * resolver_classify.c - getdns reply -> status + records.
 *
 * The two downgrade traps of getdns 1.6 are handled here: a hidden bogus
 * answer (we always request dnssec_return_all_statuses, so replies are
 * present) and SERVFAIL/REFUSED labelled INSECURE (the rcode is checked
 * before any dnssec_status). A third one, NSEC3 denials that getdns accepts
 * across a zone cut, is caught for secure absences (resolver_denial.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <getdns/getdns_extra.h>
#include "resolver_classify.h"
#include "resolver_name.h"
#include "resolver_denial.h"

/* rcode_why - static text for an rcode that makes a reply indeterminate. */
static const char *rcode_why(uint32_t rcode)
{
	switch (rcode) {
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	default: return "unexpected rcode";
	}
}

/* min_ttl - fold one TTL into the running minimum. */
static void min_ttl(uint32_t *ttl, uint32_t v)
{
	if (v < *ttl)
		*ttl = v;
}

/* negative_ttl - RFC 2308: min(SOA TTL, SOA MINIMUM) from the authority section; 0 if none. */
static uint32_t negative_ttl(const getdns_dict *reply)
{
	getdns_list *auth;
	size_t i, n;
	uint32_t ttl = UINT32_MAX;

	if (getdns_dict_get_list(reply, "authority", &auth) || getdns_list_get_length(auth, &n))
		return 0;
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		uint32_t type, t, minimum;
		if (getdns_list_get_dict(auth, i, &rr) || getdns_dict_get_int(rr, "type", &type) || type != GETDNS_RRTYPE_SOA)
			continue;
		if (!getdns_dict_get_int(rr, "ttl", &t))
			min_ttl(&ttl, t);
		if (!getdns_dict_get_int(rr, "/rdata/minimum", &minimum))
			min_ttl(&ttl, minimum);
	}
	return ttl == UINT32_MAX ? 0 : ttl;
}

/* rng - xorshift for SRV weights; not for secrets. */
static uint32_t rng(void)
{
	static uint32_t s;
	if (!s)
		s = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ 0x9e3779b9u;
	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

/* cmp_priority - qsort by priority, weight 0 first (RFC 2782 selection setup). */
static int cmp_priority(const void *a, const void *b)
{
	const xdane_srv *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (x->weight != 0) - (y->weight != 0);
}

/* xdane_srv_order - see resolver_classify.h */
void xdane_srv_order(xdane_srv *srv, size_t n)
{
	size_t s = 0, e, i;

	qsort(srv, n, sizeof *srv, cmp_priority);
	for (; s < n; s = e) {
		for (e = s + 1; e < n && srv[e].priority == srv[s].priority; e++)
			;
		/* RFC 2782: pick by running sum of weights among the not yet ordered */
		for (i = s; i + 1 < e; i++) {
			uint64_t sum = 0, r, run = 0;
			size_t j;
			for (j = i; j < e; j++)
				sum += srv[j].weight;
			r = sum ? rng() % (sum + 1) : 0;
			for (j = i; j < e; j++) {
				run += srv[j].weight;
				if (run >= r)
					break;
			}
			if (j < e && j != i) {
				xdane_srv tmp = srv[j];
				memmove(&srv[i + 1], &srv[i], (j - i) * sizeof *srv);
				srv[i] = tmp;
			}
		}
	}
}

/* get_srv - decode one SRV RR; 1 ok, 0 malformed. */
static int get_srv(const getdns_dict *rr, xdane_srv *out)
{
	uint32_t prio, weight, port;
	getdns_bindata *target;
	char *fqdn = NULL;
	size_t len;

	if (getdns_dict_get_int(rr, "/rdata/priority", &prio) || getdns_dict_get_int(rr, "/rdata/weight", &weight) ||
	    getdns_dict_get_int(rr, "/rdata/port", &port) || getdns_dict_get_bindata(rr, "/rdata/target", &target) ||
	    prio > 65535 || weight > 65535 || port > 65535)
		return 0;
	if (getdns_convert_dns_name_to_fqdn(target, &fqdn) || !fqdn)
		return 0;
	len = strlen(fqdn);
	if (len > 1 && fqdn[len - 1] == '.')
		fqdn[--len] = '\0';
	if (len == 0 || len >= sizeof out->target) {
		free(fqdn);
		return 0;
	}
	out->priority = (uint16_t)prio;
	out->weight = (uint16_t)weight;
	out->port = (uint16_t)port;
	memcpy(out->target, fqdn, len + 1);
	free(fqdn);
	return 1;
}

/* get_tlsa - decode one TLSA RR; 1 ok, 0 malformed, <0 OOM. */
static int get_tlsa(const getdns_dict *rr, xdane_tlsa *out)
{
	uint32_t u, s, m;
	getdns_bindata *data;

	if (getdns_dict_get_int(rr, "/rdata/certificate_usage", &u) || getdns_dict_get_int(rr, "/rdata/selector", &s) ||
	    getdns_dict_get_int(rr, "/rdata/matching_type", &m) ||
	    getdns_dict_get_bindata(rr, "/rdata/certificate_association_data", &data) || u > 255 || s > 255 || m > 255)
		return 0;
	out->usage = (uint8_t)u;
	out->selector = (uint8_t)s;
	out->mtype = (uint8_t)m;
	out->len = data->size;
	out->data = NULL;
	if (data->size) {
		out->data = malloc(data->size);
		if (!out->data)
			return -1;
		memcpy(out->data, data->data, data->size);
	}
	return 1;
}

/* owner_is - the RR's owner name is name (no trailing dot, any case); -1 if it has no readable owner. */
static int owner_is(const getdns_dict *rr, const char *name)
{
	getdns_bindata *wire;
	char owner[256];

	if (getdns_dict_get_bindata(rr, "name", &wire) || !xdane_wire_name(wire, owner, sizeof owner))
		return -1;
	return !strcasecmp(owner, name);
}

/*
 * canonical_name - follow the answer's CNAME chain from qname (at most 16
 * hops) into out (256 bytes): the owner the records of the question must
 * have. Returns 1 ok, 0 malformed.
 */
static int canonical_name(const getdns_list *answer, size_t n, const char *qname, char *out)
{
	int hops;

	if (strlen(qname) >= 256)
		return 0;
	strcpy(out, qname);
	for (hops = 0; hops < 16; hops++) {
		size_t i;
		for (i = 0; i < n; i++) {
			getdns_dict *rr;
			getdns_bindata *target;
			uint32_t type;
			if (getdns_list_get_dict(answer, i, &rr) || getdns_dict_get_int(rr, "type", &type))
				return 0;
			if (type != GETDNS_RRTYPE_CNAME || owner_is(rr, out) != 1)
				continue;
			if (getdns_dict_get_bindata(rr, "/rdata/cname", &target) || !xdane_wire_name(target, out, 256))
				return 0;
			break;
		}
		if (i == n)
			return 1;
	}
	return 1;
}

/*
 * collect - records of qtype owned by the question's name (after the
 * answer's CNAME chain) from one reply's answer section, and the smallest
 * TTL of the answer (CNAMEs included). Other owners' records are ignored: a
 * validly signed TLSA set of another name slipped into the answer must never
 * count as this name's. Returns 1 ok, 0 malformed, <0 OOM; *recs is NULL when
 * there are none.
 */
static int collect(const getdns_dict *reply, int qtype, const char *qname, struct xdane_recs **recs, uint32_t *ttl)
{
	getdns_list *answer;
	size_t i, n, k = 0;
	struct xdane_recs *r;
	char owner[256];

	*recs = NULL;
	if (getdns_dict_get_list(reply, "answer", &answer) || getdns_list_get_length(answer, &n) ||
	    !canonical_name(answer, n, qname, owner))
		return 0;
	r = calloc(1, sizeof *r);
	if (!r)
		return -1;
	if (n && qtype == GETDNS_RRTYPE_SRV)
		r->srv = calloc(n, sizeof *r->srv);
	else if (n)
		r->tlsa = calloc(n, sizeof *r->tlsa);
	if (n && !r->srv && !r->tlsa) {
		free(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		uint32_t type, t;
		int ok;
		if (getdns_list_get_dict(answer, i, &rr) || getdns_dict_get_int(rr, "type", &type))
			goto malformed;
		if (type == GETDNS_RRTYPE_RRSIG)
			continue;
		if (!getdns_dict_get_int(rr, "ttl", &t))
			min_ttl(ttl, t);
		if (type != (uint32_t)qtype)
			continue; /* CNAMEs leading to the records */
		ok = owner_is(rr, owner);
		if (ok < 0)
			goto malformed;
		if (!ok)
			continue;
		ok = qtype == GETDNS_RRTYPE_SRV ? get_srv(rr, &r->srv[k]) : get_tlsa(rr, &r->tlsa[k]);
		if (ok < 0) {
			r->count = k;
			xdane_recs_free(r);
			return -1;
		}
		if (ok == 0)
			goto malformed;
		k++;
	}
	r->count = k;
	if (k == 0) {
		xdane_recs_free(r);
		return 1;
	}
	if (qtype == GETDNS_RRTYPE_SRV)
		xdane_srv_order(r->srv, k);
	*recs = r;
	return 1;
malformed:
	r->count = k;
	xdane_recs_free(r);
	return 0;
}

/*
 * denial_crosses_cut - a reply's denial of the question's name (after its
 * CNAMEs) rests on an NSEC3 closest encloser at a delegation or DNAME,
 * which getdns 1.6 takes as proof (resolver_denial.h).
 */
static int denial_crosses_cut(const getdns_list *replies, size_t n, const char *qname)
{
	size_t i;

	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		getdns_list *answer;
		size_t m = 0;
		char name[256];
		if (getdns_list_get_dict(replies, i, &reply) || getdns_dict_get_list(reply, "answer", &answer) ||
		    getdns_list_get_length(answer, &m) || !canonical_name(answer, m, qname, name) ||
		    xdane_denial_crosses_cut(reply, name))
			return 1;
	}
	return 0;
}

/* fail - answer with a status, why and rcode, no records. */
static struct xdane_ans *fail(int status, int qtype, const char *qname, const char *why, int rcode)
{
	struct xdane_ans *a = xdane_ans_new(status, qtype, qname, why);
	if (a)
		a->pub.rcode = rcode;
	return a;
}

/* xdane_classify - see resolver_classify.h */
struct xdane_ans *xdane_classify(int cbtype, const getdns_dict *resp, int qtype, const char *qname)
{
	getdns_list *replies;
	size_t i, n = 0;
	uint32_t status = 0, rcode = 0, last_rcode = 0;
	int all_secure = 1, any_bogus = 0, any_indet = 0, have_status;
	struct xdane_ans *a;
	struct xdane_recs *recs = NULL;
	uint32_t ttl = UINT32_MAX;

	if (cbtype == GETDNS_CALLBACK_TIMEOUT)
		return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "timeout", -1);
	if (cbtype == GETDNS_CALLBACK_CANCEL)
		return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "cancelled", -1);
	if (cbtype != GETDNS_CALLBACK_COMPLETE || !resp)
		return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "request failed", -1);
	have_status = getdns_dict_get_int(resp, "status", &status) == GETDNS_RETURN_GOOD;
	if (have_status && status == GETDNS_RESPSTATUS_ALL_TIMEOUT)
		return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "timeout", -1);
	if (getdns_dict_get_list(resp, "replies_tree", &replies) || getdns_list_get_length(replies, &n) || n == 0) {
		/* no reply to look at: only the explicit DNSSEC verdicts say anything */
		if (have_status && status == GETDNS_RESPSTATUS_ALL_BOGUS_ANSWERS)
			return fail(XDANE_DNS_BOGUS, qtype, qname, "validation failed", -1);
		if (have_status && status == GETDNS_RESPSTATUS_NO_SECURE_ANSWERS)
			return fail(XDANE_DNS_INSECURE, qtype, qname, "unsigned", -1);
		return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "no reply", -1);
	}
	/* rcode first: getdns labels SERVFAIL and REFUSED replies INSECURE */
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		if (getdns_list_get_dict(replies, i, &reply) || getdns_dict_get_int(reply, "/header/rcode", &rcode))
			return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "malformed reply", -1);
		if (rcode != GETDNS_RCODE_NOERROR && rcode != GETDNS_RCODE_NXDOMAIN)
			return fail(XDANE_DNS_INDETERMINATE, qtype, qname, rcode_why(rcode), (int)rcode);
	}
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		uint32_t ds;
		getdns_list_get_dict(replies, i, &reply);
		if (getdns_dict_get_int(reply, "dnssec_status", &ds)) {
			any_indet = 1; /* validation not performed: never trust as insecure */
			continue;
		}
		if (ds == GETDNS_DNSSEC_BOGUS)
			any_bogus = 1;
		else if (ds != GETDNS_DNSSEC_SECURE && ds != GETDNS_DNSSEC_INSECURE)
			any_indet = 1; /* INDETERMINATE, NOT_PERFORMED, unknown */
		if (ds != GETDNS_DNSSEC_SECURE)
			all_secure = 0;
	}
	getdns_dict_get_int(resp, "/replies_tree/0/header/rcode", &last_rcode);
	if (any_bogus)
		return fail(XDANE_DNS_BOGUS, qtype, qname, "validation failed", (int)last_rcode);
	if (any_indet)
		return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "validation indeterminate", (int)last_rcode);

	a = xdane_ans_new(all_secure ? XDANE_DNS_SECURE : XDANE_DNS_INSECURE, qtype, qname, all_secure ? NULL : "unsigned");
	if (!a)
		return NULL;
	a->pub.rcode = (int)last_rcode;
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		struct xdane_recs *r;
		int rc;
		getdns_list_get_dict(replies, i, &reply);
		rc = collect(reply, qtype, qname, &r, &ttl);
		if (rc < 0) {
			xdane_recs_free(recs);
			xdane_answer_unref(&a->pub);
			return NULL;
		}
		if (rc == 0) {
			xdane_recs_free(recs);
			xdane_answer_unref(&a->pub);
			return fail(XDANE_DNS_INDETERMINATE, qtype, qname, "malformed record", (int)last_rcode);
		}
		if (r && !recs)
			recs = r; /* SRV/TLSA queries have a single reply; keep the first set */
		else
			xdane_recs_free(r);
	}
	if (recs) {
		xdane_ans_set_records(a, recs);
	} else {
		/* proven absence (if secure) or unsigned absence: negative TTL */
		ttl = UINT32_MAX;
		for (i = 0; i < n; i++) {
			getdns_dict *reply;
			getdns_list_get_dict(replies, i, &reply);
			min_ttl(&ttl, negative_ttl(reply));
		}
		if (a->pub.status == XDANE_DNS_SECURE && denial_crosses_cut(replies, n, qname)) {
			xdane_answer_unref(&a->pub);
			return fail(XDANE_DNS_BOGUS, qtype, qname, "validation failed", (int)last_rcode);
		}
		if (a->pub.status == XDANE_DNS_SECURE)
			a->pub.why = a->pub.rcode == GETDNS_RCODE_NXDOMAIN ? "NXDOMAIN" : "NODATA";
		else
			a->pub.why = "unsigned";
	}
	if (ttl == UINT32_MAX)
		ttl = 0;
	a->pub.ttl = ttl > XDANE_TTL_MAX ? XDANE_TTL_MAX : ttl;
	return a;
}
