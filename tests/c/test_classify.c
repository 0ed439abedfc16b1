/* SPDX-License-Identifier: MIT */
/*
 * test_classify.c - the getdns reply classification table
 * (getdns-and-openssl.md s2) on replies written as text fixtures
 * (getdns_str2dict), including both downgrade traps: a bogus answer hidden
 * as "no name" and SERVFAIL/REFUSED labelled INSECURE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "resolver_classify.h"
#include "tap.h"

#define TLSA_RR(ttl) \
	"{ \"type\": GETDNS_RRTYPE_TLSA, \"class\": 1, \"ttl\": " #ttl ", \"name\": <bindata for _5269._tcp.x.example.>," \
	" \"rdata\": { \"certificate_usage\": 3, \"selector\": 1, \"matching_type\": 1," \
	" \"certificate_association_data\": <bindata of 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff> } }"
#define CNAME_RR(ttl) \
	"{ \"type\": GETDNS_RRTYPE_CNAME, \"class\": 1, \"ttl\": " #ttl ", \"name\": <bindata for _5269._tcp.c.example.>," \
	" \"rdata\": { \"cname\": <bindata for _5269._tcp.x.example.> } }"
#define OTHER_TLSA_RR \
	"{ \"type\": GETDNS_RRTYPE_TLSA, \"class\": 1, \"ttl\": 300, \"name\": <bindata for _5269._tcp.attacker.example.>," \
	" \"rdata\": { \"certificate_usage\": 3, \"selector\": 1, \"matching_type\": 1," \
	" \"certificate_association_data\": <bindata of 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff> } }"
#define RRSIG_RR "{ \"type\": GETDNS_RRTYPE_RRSIG, \"class\": 1, \"ttl\": 1, \"rdata\": { } }"
#define SOA_RR(ttl, min) \
	"{ \"type\": GETDNS_RRTYPE_SOA, \"class\": 1, \"ttl\": " #ttl ", \"rdata\": { \"minimum\": " #min " } }"
#define REPLY(rcode, ds, answer, authority) \
	"{ \"header\": { \"rcode\": " rcode " }, \"dnssec_status\": " ds ", \"answer\": [ " answer " ], \"authority\": [ " authority " ] }"
#define RESP(status, replies) "{ \"status\": " status ", \"replies_tree\": [ " replies " ] }"

#define C GETDNS_CALLBACK_COMPLETE
#define SEC "GETDNS_DNSSEC_SECURE"
#define INS "GETDNS_DNSSEC_INSECURE"
#define BOG "GETDNS_DNSSEC_BOGUS"
#define IND "GETDNS_DNSSEC_INDETERMINATE"
#define GOOD "GETDNS_RESPSTATUS_GOOD"
#define NONAME "GETDNS_RESPSTATUS_NO_NAME"

struct tcase {
	const char *name;
	int cbtype;
	const char *fixture; /* NULL = no response dict */
	int qtype;
	int status;
	size_t count;
	int rcode;
	const char *why; /* substring, NULL = why must be NULL */
	uint32_t ttl;
};

static const struct tcase cases[] = {
	{ "timeout callback", GETDNS_CALLBACK_TIMEOUT, NULL, 52, XDANE_DNS_INDETERMINATE, 0, -1, "timeout", 0 },
	{ "error callback", GETDNS_CALLBACK_ERROR, NULL, 52, XDANE_DNS_INDETERMINATE, 0, -1, "failed", 0 },
	{ "cancel callback", GETDNS_CALLBACK_CANCEL, NULL, 52, XDANE_DNS_INDETERMINATE, 0, -1, "cancel", 0 },
	{ "complete without response", C, NULL, 52, XDANE_DNS_INDETERMINATE, 0, -1, "failed", 0 },
	{ "status 902 (all timeout)", C, RESP("GETDNS_RESPSTATUS_ALL_TIMEOUT", ""), 52, XDANE_DNS_INDETERMINATE, 0, -1, "timeout", 0 },
	{ "trap 2: SERVFAIL labelled INSECURE", C, RESP(GOOD, REPLY("2", INS, "", "")), 52, XDANE_DNS_INDETERMINATE, 0, 2, "SERVFAIL", 0 },
	{ "trap 2: REFUSED labelled INSECURE", C, RESP(GOOD, REPLY("5", INS, "", "")), 52, XDANE_DNS_INDETERMINATE, 0, 5, "REFUSED", 0 },
	{ "SERVFAIL labelled SECURE", C, RESP(GOOD, REPLY("2", SEC, "", "")), 52, XDANE_DNS_INDETERMINATE, 0, 2, "SERVFAIL", 0 },
	{ "FORMERR", C, RESP(GOOD, REPLY("1", INS, "", "")), 52, XDANE_DNS_INDETERMINATE, 0, 1, "FORMERR", 0 },
	{ "rcode 9 (NOTAUTH)", C, RESP(GOOD, REPLY("9", INS, "", "")), 52, XDANE_DNS_INDETERMINATE, 0, 9, "rcode", 0 },
	{ "trap 1: hidden bogus (status 901, no replies)", C, RESP(NONAME, ""), 52, XDANE_DNS_INDETERMINATE, 0, -1, "no reply", 0 },
	{ "no replies_tree at all", C, "{ \"status\": GETDNS_RESPSTATUS_GOOD }", 52, XDANE_DNS_INDETERMINATE, 0, -1, "no reply", 0 },
	{ "status 904 without replies", C, RESP("GETDNS_RESPSTATUS_ALL_BOGUS_ANSWERS", ""), 52, XDANE_DNS_BOGUS, 0, -1, "validation", 0 },
	{ "status 903 without replies", C, RESP("GETDNS_RESPSTATUS_NO_SECURE_ANSWERS", ""), 52, XDANE_DNS_INSECURE, 0, -1, "unsigned", 0 },
	{ "bogus with records: records dropped", C, RESP(GOOD, REPLY("0", BOG, TLSA_RR(300), "")), 52, XDANE_DNS_BOGUS, 0, 0, "validation failed", 0 },
	{ "bogus NXDOMAIN", C, RESP(NONAME, REPLY("3", BOG, "", SOA_RR(60, 30))), 52, XDANE_DNS_BOGUS, 0, 3, "validation failed", 0 },
	{ "indeterminate dnssec_status", C, RESP(GOOD, REPLY("0", IND, TLSA_RR(300), "")), 52, XDANE_DNS_INDETERMINATE, 0, 0, "indeterminate", 0 },
	{ "not performed (404)", C, RESP(GOOD, REPLY("0", "GETDNS_DNSSEC_NOT_PERFORMED", TLSA_RR(300), "")), 52, XDANE_DNS_INDETERMINATE, 0, 0, "indeterminate", 0 },
	{ "missing dnssec_status", C, RESP(GOOD, "{ \"header\": { \"rcode\": 0 }, \"answer\": [ " TLSA_RR(300) " ] }"), 52, XDANE_DNS_INDETERMINATE, 0, 0, "indeterminate", 0 },
	{ "missing header", C, RESP(GOOD, "{ \"dnssec_status\": " SEC ", \"answer\": [] }"), 52, XDANE_DNS_INDETERMINATE, 0, -1, "malformed", 0 },
	{ "secure TLSA", C, RESP(GOOD, REPLY("0", SEC, TLSA_RR(300) ", " RRSIG_RR, "")), 52, XDANE_DNS_SECURE, 1, 0, NULL, 300 },
	{ "secure NXDOMAIN", C, RESP(NONAME, REPLY("3", SEC, "", SOA_RR(3600, 120))), 52, XDANE_DNS_SECURE, 0, 3, "NXDOMAIN", 120 },
	{ "secure NODATA", C, RESP(NONAME, REPLY("0", SEC, "", SOA_RR(50, 900))), 52, XDANE_DNS_SECURE, 0, 0, "NODATA", 50 },
	{ "secure NODATA without SOA: not cacheable", C, RESP(NONAME, REPLY("0", SEC, "", "")), 52, XDANE_DNS_SECURE, 0, 0, "NODATA", 0 },
	{ "secure CNAME only: absent", C, RESP(GOOD, REPLY("0", SEC, CNAME_RR(100), "")), 52, XDANE_DNS_SECURE, 0, 0, "NODATA", 0 },
	{ "secure CNAME + TLSA: TTL is the chain's minimum", C, RESP(GOOD, REPLY("0", SEC, CNAME_RR(40) ", " TLSA_RR(300), "")), 52, XDANE_DNS_SECURE, 1, 0, NULL, 40 },
	{ "another owner's TLSA in the answer: ignored", C, RESP(GOOD, REPLY("0", SEC, OTHER_TLSA_RR ", " TLSA_RR(300), "")), 52, XDANE_DNS_SECURE, 1, 0, NULL, 300 },
	{ "only another owner's TLSA: absent", C, RESP(GOOD, REPLY("0", SEC, OTHER_TLSA_RR, "")), 52, XDANE_DNS_SECURE, 0, 0, "NODATA", 0 },
	{ "owner in other case: same name", C, RESP(GOOD, REPLY("0", SEC, "{ \"type\": GETDNS_RRTYPE_TLSA, \"class\": 1, \"ttl\": 300, \"name\": <bindata for _5269._TCP.X.Example.>, \"rdata\": { \"certificate_usage\": 3, \"selector\": 1, \"matching_type\": 1, \"certificate_association_data\": <bindata of 0x00> } }", "")), 52, XDANE_DNS_SECURE, 1, 0, NULL, 300 },
	{ "SRV asked, TLSA in answer: not counted", C, RESP(GOOD, REPLY("0", SEC, TLSA_RR(300), "")), 33, XDANE_DNS_SECURE, 0, 0, "NODATA", 0 },
	{ "insecure TLSA keeps records", C, RESP(GOOD, REPLY("0", INS, TLSA_RR(200), "")), 52, XDANE_DNS_INSECURE, 1, 0, "unsigned", 200 },
	{ "insecure NXDOMAIN", C, RESP(NONAME, REPLY("3", INS, "", SOA_RR(60, 60))), 52, XDANE_DNS_INSECURE, 0, 3, "unsigned", 60 },
	{ "secure + bogus replies: bogus", C, RESP(GOOD, REPLY("0", SEC, TLSA_RR(300), "") ", " REPLY("0", BOG, "", "")), 52, XDANE_DNS_BOGUS, 0, 0, "validation", 0 },
	{ "secure + SERVFAIL replies: indeterminate", C, RESP(GOOD, REPLY("0", SEC, TLSA_RR(300), "") ", " REPLY("2", INS, "", "")), 52, XDANE_DNS_INDETERMINATE, 0, 2, "SERVFAIL", 0 },
	{ "secure + insecure replies: insecure", C, RESP(GOOD, REPLY("0", SEC, TLSA_RR(300), "") ", " REPLY("0", INS, "", "")), 52, XDANE_DNS_INSECURE, 1, 0, "unsigned", 300 },
	{ "TTL capped at one day", C, RESP(GOOD, REPLY("0", SEC, TLSA_RR(999999), "")), 52, XDANE_DNS_SECURE, 1, 0, NULL, XDANE_TTL_MAX },
	{ "malformed TLSA rdata", C, RESP(GOOD, REPLY("0", SEC, "{ \"type\": GETDNS_RRTYPE_TLSA, \"ttl\": 5, \"rdata\": { \"selector\": 1 } }", "")), 52, XDANE_DNS_INDETERMINATE, 0, 0, "malformed", 0 },
	{ "malformed SRV rdata", C, RESP(GOOD, REPLY("0", SEC, "{ \"type\": GETDNS_RRTYPE_SRV, \"ttl\": 5, \"rdata\": { \"port\": 1 } }", "")), 33, XDANE_DNS_INDETERMINATE, 0, 0, "malformed", 0 },
};

/* run_case - classify one fixture and compare. */
static void run_case(const struct tcase *t)
{
	getdns_dict *resp = NULL;
	struct xdane_ans *a;
	int ok;

	if (t->fixture && getdns_str2dict(t->fixture, &resp) != GETDNS_RETURN_GOOD) {
		tap_ok(0, "%s: fixture parses", t->name);
		return;
	}
	a = xdane_classify(t->cbtype, resp, t->qtype, "_5269._tcp.x.example");
	getdns_dict_destroy(resp);
	if (!tap_ok(a != NULL, "%s: classified", t->name))
		return;
	ok = a->pub.status == t->status && a->pub.count == t->count && a->pub.rcode == t->rcode && a->pub.ttl == t->ttl &&
	     (t->why ? a->pub.why && strstr(a->pub.why, t->why) != NULL : a->pub.why == NULL);
	/* failures never carry records */
	if (a->pub.status == XDANE_DNS_BOGUS || a->pub.status == XDANE_DNS_INDETERMINATE)
		ok = ok && a->pub.count == 0 && a->pub.tlsa == NULL && a->pub.srv == NULL;
	if (!tap_ok(ok, "%s -> %s", t->name, xdane_dns_status_name(t->status)))
		tap_diag("got %s why=%s rcode=%d count=%zu ttl=%u", xdane_dns_status_name(a->pub.status),
		         a->pub.why ? a->pub.why : "(null)", a->pub.rcode, a->pub.count, a->pub.ttl);
	xdane_answer_unref(&a->pub);
}

/* test_tlsa_fields - the record content of a secure TLSA answer. */
static void test_tlsa_fields(void)
{
	getdns_dict *resp = NULL;
	struct xdane_ans *a;
	static const unsigned char want[32] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa,
		0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
		0xcc, 0xdd, 0xee, 0xff };

	getdns_str2dict(RESP(GOOD, REPLY("0", SEC, CNAME_RR(40) ", " TLSA_RR(300), "")), &resp);
	a = xdane_classify(C, resp, 52, "_5269._tcp.c.example");
	getdns_dict_destroy(resp);
	tap_ok(a && a->pub.count == 1 && a->pub.tlsa[0].usage == 3 && a->pub.tlsa[0].selector == 1 &&
	       a->pub.tlsa[0].mtype == 1 && a->pub.tlsa[0].len == 32 && !memcmp(a->pub.tlsa[0].data, want, 32) &&
	       !strcmp(a->pub.qname, "_5269._tcp.c.example") && a->pub.qtype == 52,
	       "TLSA through CNAME: usage/selector/mtype/data and qname");
	if (a)
		xdane_answer_unref(&a->pub);
}

#define SRV_RR(p, w, port, target) \
	"{ \"type\": GETDNS_RRTYPE_SRV, \"class\": 1, \"ttl\": 600, \"name\": <bindata for _xmpp-server._tcp.example.>," \
	" \"rdata\": { \"priority\": " #p ", \"weight\": " #w \
	", \"port\": " #port ", \"target\": <bindata for " target "> } }"

/* test_srv - SRV fields, priority order, target "." kept as "no service". */
static void test_srv(void)
{
	getdns_dict *resp = NULL;
	struct xdane_ans *a;

	getdns_str2dict(RESP(GOOD, REPLY("0", SEC, SRV_RR(20, 0, 5270, "c.example.") ", " SRV_RR(0, 5, 5269, "a.example.") ", "
	                                 SRV_RR(10, 0, 5271, "b.example."), "")), &resp);
	a = xdane_classify(C, resp, 33, "_xmpp-server._tcp.example");
	getdns_dict_destroy(resp);
	tap_ok(a && a->pub.status == XDANE_DNS_SECURE && a->pub.count == 3 && !strcmp(a->pub.srv[0].target, "a.example") &&
	       a->pub.srv[0].port == 5269 && a->pub.srv[0].weight == 5 && !strcmp(a->pub.srv[1].target, "b.example") &&
	       !strcmp(a->pub.srv[2].target, "c.example") && a->pub.ttl == 600,
	       "SRV: fields decoded, sorted by priority, no trailing dot");
	if (a)
		xdane_answer_unref(&a->pub);
	getdns_str2dict(RESP(GOOD, REPLY("0", SEC, SRV_RR(0, 0, 0, "."), "")), &resp);
	a = xdane_classify(C, resp, 33, "_xmpp-server._tcp.example");
	getdns_dict_destroy(resp);
	tap_ok(a && a->pub.count == 1 && !strcmp(a->pub.srv[0].target, ".") && a->pub.srv[0].port == 0,
	       "SRV: target \".\" is kept as \".\" (no service)");
	if (a)
		xdane_answer_unref(&a->pub);
}

/* test_srv_weights - RFC 2782: within a priority, selection proportional to weight, weight 0 rarely first. */
static void test_srv_weights(void)
{
	int i, heavy_first = 0, ordered = 1;
	for (i = 0; i < 2000; i++) {
		xdane_srv s[4];
		memset(s, 0, sizeof s);
		s[0].priority = 1; s[0].weight = 0; strcpy(s[0].target, "zero");
		s[1].priority = 1; s[1].weight = 100; strcpy(s[1].target, "heavy");
		s[2].priority = 0; s[2].weight = 1; strcpy(s[2].target, "first");
		s[3].priority = 2; s[3].weight = 7; strcpy(s[3].target, "last");
		xdane_srv_order(s, 4);
		ordered &= !strcmp(s[0].target, "first") && !strcmp(s[3].target, "last");
		heavy_first += !strcmp(s[1].target, "heavy");
	}
	tap_ok(ordered, "SRV order: priorities ascending");
	tap_ok(heavy_first > 1900 && heavy_first < 2000, "SRV order: weight 100 beats weight 0 about 100:1 (%d/2000)", heavy_first);
}

int main(void)
{
	size_t i;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i]);
	test_tlsa_fields();
	test_srv();
	test_srv_weights();
	return tap_done();
}
