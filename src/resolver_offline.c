/* SPDX-License-Identifier: MIT */
/* resolver_offline.c - validating replies that getdns did not validate (see the header). */
#include <string.h>
#include <strings.h>
#include <time.h>
#include <getdns/getdns_extra.h>
#include "resolver_offline.h"
#include "resolver_anchors.h"
#include "resolver_name.h"

/* has_alias - the reply has a CNAME or DNAME in its answer (left to getdns). */
static int has_alias(const getdns_dict *reply)
{
	getdns_list *answer;
	size_t j, m;

	if (getdns_dict_get_list(reply, "answer", &answer) || getdns_list_get_length(answer, &m))
		return 1;
	for (j = 0; j < m; j++) {
		uint32_t type;
		getdns_dict *rr;
		if (getdns_list_get_dict(answer, j, &rr) || getdns_dict_get_int(rr, "type", &type) ||
		    type == GETDNS_RRTYPE_CNAME || type == GETDNS_RRTYPE_DNAME)
			return 1;
	}
	return 0;
}

/* asks_ours - the reply's question is ours (getdns_validate_dnssec2 proves absence for the reply's own question). */
static int asks_ours(const getdns_dict *reply, int qtype, const char *qname)
{
	getdns_bindata *wire;
	uint32_t t;
	char name[256];

	return !getdns_dict_get_int(reply, "/question/qtype", &t) && t == (uint32_t)qtype &&
	       !getdns_dict_get_bindata(reply, "/question/qname", &wire) && xdane_wire_name(wire, name, sizeof name) &&
	       !strcasecmp(name, qname);
}

/* section_signer - fold the signer names of the RRSIGs of one section into signer; 0 on two different ones. */
static int section_signer(const getdns_dict *reply, const char *section, char *signer)
{
	getdns_list *rrs;
	size_t i, n = 0;

	if (getdns_dict_get_list(reply, section, &rrs))
		return 1;
	getdns_list_get_length(rrs, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		getdns_bindata *sn;
		uint32_t type;
		char s[256];
		if (getdns_list_get_dict(rrs, i, &rr) || getdns_dict_get_int(rr, "type", &type))
			return 0;
		if (type != GETDNS_RRTYPE_RRSIG)
			continue;
		if (getdns_dict_get_bindata(rr, "/rdata/signers_name", &sn) || !xdane_wire_name(sn, s, sizeof s))
			return 0;
		if (*signer == '\001')
			strcpy(signer, s);
		else if (strcmp(signer, s))
			return 0;
	}
	return 1;
}

/* reply_signer - the one zone that signed the answer and authority sections of every reply; 0 if none or several. */
static int reply_signer(const getdns_list *replies, size_t n, char *signer)
{
	size_t i;

	strcpy(signer, "\001"); /* not a name: none seen yet */
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		if (getdns_list_get_dict(replies, i, &reply) || !section_signer(reply, "answer", signer) ||
		    !section_signer(reply, "authority", signer))
			return 0;
	}
	return *signer != '\001';
}

/* mark_secure - every reply gets dnssec_status SECURE (what xdane_classify reads); 1 ok. */
static int mark_secure(const getdns_list *replies, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		if (getdns_list_get_dict(replies, i, &reply) ||
		    getdns_dict_set_int(reply, "dnssec_status", GETDNS_DNSSEC_SECURE))
			return 0;
	}
	return 1;
}

/* xdane_offline_check - see resolver_offline.h */
int xdane_offline_check(getdns_callback_type_t type, getdns_dict *resp, int qtype, const char *qname,
                        const char *zone, const getdns_list *zone_keys, char *signer)
{
	getdns_list *replies;
	size_t i, n = 0;
	char s[256];

	if (type != GETDNS_CALLBACK_COMPLETE || !resp || getdns_dict_get_list(resp, "replies_tree", &replies) ||
	    getdns_list_get_length(replies, &n) || n == 0)
		return XDANE_OFFLINE_FINAL;
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		uint32_t rcode;
		if (getdns_list_get_dict(replies, i, &reply) || getdns_dict_get_int(reply, "/header/rcode", &rcode))
			return XDANE_OFFLINE_FINAL; /* malformed: xdane_classify says indeterminate */
		if (rcode != GETDNS_RCODE_NOERROR && rcode != GETDNS_RCODE_NXDOMAIN)
			return XDANE_OFFLINE_FINAL; /* the full way would ask the same upstream */
		if (has_alias(reply) || !asks_ours(reply, qtype, qname))
			return XDANE_OFFLINE_FULL;
	}
	if (!zone_keys || !reply_signer(replies, n, s))
		return XDANE_OFFLINE_FULL; /* unsigned: only getdns proves a zone insecure */
	if (!strcmp(s, zone)) {
		if (getdns_validate_dnssec2(replies, NULL, zone_keys, time(NULL), 0) != GETDNS_DNSSEC_SECURE)
			return XDANE_OFFLINE_STALE;
		return mark_secure(replies, n) ? XDANE_OFFLINE_SECURE : XDANE_OFFLINE_FULL;
	}
	if (strcmp(s, zone) && xdane_zone_covers(zone, s) && xdane_zone_covers(s, qname)) {
		strcpy(signer, s);
		return XDANE_OFFLINE_KEYS;
	}
	return XDANE_OFFLINE_FULL;
}

/* append_answers - every RR of the answer sections of resp to list; 1 ok. */
static int append_answers(getdns_list *list, size_t *k, const getdns_dict *resp)
{
	getdns_list *replies;
	size_t i, n = 0;

	if (!resp || getdns_dict_get_list(resp, "replies_tree", &replies) || getdns_list_get_length(replies, &n) || !n)
		return 0;
	for (i = 0; i < n; i++) {
		getdns_dict *reply;
		getdns_list *answer;
		size_t j, m = 0;
		if (getdns_list_get_dict(replies, i, &reply) || getdns_dict_get_list(reply, "answer", &answer))
			return 0;
		getdns_list_get_length(answer, &m);
		for (j = 0; j < m; j++) {
			getdns_dict *rr;
			if (getdns_list_get_dict(answer, j, &rr) || getdns_list_set_dict(list, (*k)++, rr))
				return 0;
		}
	}
	return 1;
}

/* xdane_offline_with_keys - see resolver_offline.h */
int xdane_offline_with_keys(getdns_dict *resp, const getdns_dict *dnskey_resp, const getdns_dict *ds_resp,
                            const getdns_list *zone_keys)
{
	getdns_list *replies, *support = getdns_list_create();
	size_t n = 0, k = 0;
	int ok;

	ok = support && zone_keys && append_answers(support, &k, dnskey_resp) && append_answers(support, &k, ds_resp) &&
	     !getdns_dict_get_list(resp, "replies_tree", &replies) && !getdns_list_get_length(replies, &n) && n &&
	     getdns_validate_dnssec2(replies, support, zone_keys, time(NULL), 0) == GETDNS_DNSSEC_SECURE &&
	     mark_secure(replies, n);
	getdns_list_destroy(support);
	return ok;
}
