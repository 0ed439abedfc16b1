/* SPDX-License-Identifier: MIT */
/*
 * test_nsec3_denial.c - a parent's NSEC3 records must not prove that a name
 * in a child zone does not exist (getdns 1.6 says SECURE; see
 * src/resolver_denial.h).
 *
 *   test_nsec3_denial SIGNED_ZONE
 *   test_nsec3_denial SIGNED_ZONE proven|unproven
 *   test_nsec3_denial SIGNED_ROOT_ZONE root
 *
 * The second form checks only xdane_denial_crosses_cut on a real absence
 * in z.test: "unproven" for a zone signed with more NSEC3 iterations than
 * are hashed (getdns itself already says insecure there). The third: the
 * same attack with the root zone's NSEC3 records (owners of one label),
 * delegating child and plain.
 *
 * SIGNED_ZONE: z.test signed with NSEC3 without opt-out (the suite makes it
 * with ldns-signzone), delegating child.z.test (with a DS) and
 * plain.z.test (without). The attacker answers a TLSA question below
 * either delegation with NXDOMAIN and z.test's own, validly signed NSEC3
 * records. Checked on both paths: the offline one (xdane_offline_check
 * against z.test's keys) and getdns' own (its validator's verdict as the
 * reply's dnssec_status, then xdane_classify).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "resolver_offline.h"
#include "resolver_classify.h"
#include "resolver_name.h"
#include "resolver_denial.h"
#include "tap.h"
#include "zonefile.h"

static getdns_list *zone_rrs, *keys, *authority;

/* pick - the RRs of zone_rrs of the given types (RRSIGs over them included). */
static getdns_list *pick(uint32_t t1, uint32_t t2)
{
	getdns_list *out = getdns_list_create();
	size_t i, n = 0, k = 0;

	getdns_list_get_length(zone_rrs, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		uint32_t t, c = 0;
		if (getdns_list_get_dict(zone_rrs, i, &rr) || getdns_dict_get_int(rr, "type", &t))
			continue;
		if (t == GETDNS_RRTYPE_RRSIG)
			getdns_dict_get_int(rr, "/rdata/type_covered", &c);
		if (t == t1 || t == t2 || c == t1 || c == t2)
			getdns_list_set_dict(out, k++, rr);
	}
	return out;
}

/* nxdomain - a response to qname TLSA: NXDOMAIN with the zone's SOA and every NSEC3 in the authority section. */
static getdns_dict *nxdomain(const char *qname)
{
	getdns_dict *resp = getdns_dict_create(), *reply = getdns_dict_create();
	getdns_list *replies = getdns_list_create(), *empty = getdns_list_create();
	getdns_bindata *wire = NULL;
	char fqdn[260];

	snprintf(fqdn, sizeof fqdn, "%s.", qname);
	getdns_convert_fqdn_to_dns_name(fqdn, &wire);
	getdns_dict_set_int(reply, "/header/rcode", GETDNS_RCODE_NXDOMAIN);
	getdns_dict_set_int(reply, "/header/qr", 1);
	getdns_dict_set_int(reply, "/header/qdcount", 1);
	getdns_dict_set_bindata(reply, "/question/qname", wire);
	getdns_dict_set_int(reply, "/question/qtype", GETDNS_RRTYPE_TLSA);
	getdns_dict_set_int(reply, "/question/qclass", GETDNS_RRCLASS_IN);
	getdns_dict_set_list(reply, "answer", empty);
	getdns_dict_set_list(reply, "authority", authority);
	getdns_dict_set_list(reply, "additional", empty);
	getdns_list_set_dict(replies, 0, reply);
	getdns_dict_set_list(resp, "replies_tree", replies);
	getdns_dict_set_int(resp, "status", GETDNS_RESPSTATUS_GOOD);
	free(wire->data);
	free(wire);
	getdns_dict_destroy(reply);
	getdns_list_destroy(replies);
	getdns_list_destroy(empty);
	return resp;
}

/* status_of - xdane_classify's status of a TLSA response; -1 on OOM. */
static int status_of(const getdns_dict *resp, const char *qname)
{
	struct xdane_ans *a = xdane_classify(GETDNS_CALLBACK_COMPLETE, resp, GETDNS_RRTYPE_TLSA, qname);
	int status = a ? a->pub.status : -1;
	if (a)
		xdane_answer_unref(&a->pub);
	return status;
}

/* classify_as_getdns - the reply gets getdns' own verdict (its stub mode runs the same validator); then xdane_classify. */
static int classify_as_getdns(const char *qname, int *getdns_status)
{
	getdns_dict *resp = nxdomain(qname);
	getdns_list *replies = NULL;
	int status;

	getdns_dict_get_list(resp, "replies_tree", &replies);
	*getdns_status = (int)getdns_validate_dnssec2(replies, NULL, keys, time(NULL), 0);
	getdns_dict_set_int(resp, "/replies_tree/0/dnssec_status", (uint32_t)*getdns_status);
	status = status_of(resp, qname);
	getdns_dict_destroy(resp);
	return status;
}

/* offline_then_classify - the offline path: xdane_offline_check, then xdane_classify of what it marked. */
static int offline_then_classify(const char *qname, int *verdict)
{
	getdns_dict *resp = nxdomain(qname);
	char signer[256];
	int status = -1;

	*verdict = xdane_offline_check(GETDNS_CALLBACK_COMPLETE, resp, GETDNS_RRTYPE_TLSA, qname, "z.test", keys, signer);
	if (*verdict == XDANE_OFFLINE_SECURE)
		status = status_of(resp, qname);
	getdns_dict_destroy(resp);
	return status;
}

/* check_iterations - the delegation NSEC3s of a real absence's reply are hashed (no match: proven) or not (unproven). */
static void check_iterations(int unproven)
{
	getdns_dict *resp = nxdomain("_5269._tcp.nothere.z.test"), *reply = NULL, *rr;
	uint32_t iterations = 0, type = 0;
	size_t i;

	getdns_dict_get_dict(resp, "/replies_tree/0", &reply);
	for (i = 0; !getdns_list_get_dict(authority, i, &rr) && type != GETDNS_RRTYPE_NSEC3; i++)
		if (!getdns_dict_get_int(rr, "type", &type) && type == GETDNS_RRTYPE_NSEC3)
			getdns_dict_get_int(rr, "/rdata/iterations", &iterations);
	tap_ok(xdane_denial_crosses_cut(reply, "_5269._tcp.nothere.z.test") == unproven,
	       "nothere.z.test with %u NSEC3 iterations: %s", iterations, unproven ? "unproven (not hashed)" : "proven");
	getdns_dict_destroy(resp);
}

int main(int argc, char **argv)
{
	/* the last two: delegations whose labels are written with escapes (as a CNAME target reads) */
	static const char *const below_cut[] = { "_5269._tcp.xmpp.child.z.test", "_5269._tcp.xmpp.plain.z.test",
	                                         "_5269._tcp.child.z.test", "_5269._tcp.xmpp.c\\.d.z.test",
	                                         "_5269._tcp.xmpp.\\001\\001\\001\\001\\001\\001\\001\\001"
	                                         "\\001\\001\\001\\001\\001\\001\\001\\001\\001.z.test" };
	/* the root zone signed with NSEC3: its NSEC3 owners are single labels */
	static const char *const below_root_cut[] = { "_5269._tcp.xmpp.child", "_5269._tcp.xmpp.plain" };
	getdns_dict *resp, *reply = NULL;
	size_t i;
	int st, g, v;

	if (argc < 2 || argc > 3 || !(zone_rrs = read_rrs(argv[1]))) {
		printf("not ok 1 - usage: test_nsec3_denial SIGNED_ZONE [proven|unproven|root]\n");
		return 1;
	}
	keys = pick(GETDNS_RRTYPE_DNSKEY, 0);
	authority = pick(GETDNS_RRTYPE_SOA, GETDNS_RRTYPE_NSEC3);

	if (argc == 3 && !strcmp(argv[2], "root")) {
		/* the control (getdns 1.6 itself calls a root NXDOMAIN proof bogus): no delegation, no cut */
		resp = nxdomain("_5269._tcp.nothere");
		getdns_dict_get_dict(resp, "/replies_tree/0", &reply);
		tap_ok(!xdane_denial_crosses_cut(reply, "_5269._tcp.nothere"), "root: nothere: no cut crossed");
		getdns_dict_destroy(resp);
		for (i = 0; i < sizeof below_root_cut / sizeof *below_root_cut; i++) {
			st = classify_as_getdns(below_root_cut[i], &g);
			tap_diag("%s: getdns' validator says %d", below_root_cut[i], g);
			tap_ok(st != XDANE_DNS_SECURE, "root: %s, the root's NSEC3 denial: not secure (class %d)", below_root_cut[i], st);
		}
		goto out;
	}
	if (argc == 3) {
		check_iterations(!strcmp(argv[2], "unproven"));
		goto out;
	}
	/* the control: a name that really is not in z.test stays a secure NXDOMAIN */
	st = classify_as_getdns("_5269._tcp.nothere.z.test", &g);
	tap_ok(g == GETDNS_DNSSEC_SECURE && st == XDANE_DNS_SECURE, "nothere.z.test: secure NXDOMAIN (getdns %d, class %d)", g, st);
	st = offline_then_classify("_5269._tcp.nothere.z.test", &v);
	tap_ok(v == XDANE_OFFLINE_SECURE && st == XDANE_DNS_SECURE, "nothere.z.test offline: secure NXDOMAIN (verdict %d, class %d)",
	       v, st);

	for (i = 0; i < sizeof below_cut / sizeof *below_cut; i++) {
		st = classify_as_getdns(below_cut[i], &g);
		tap_diag("%s: getdns' validator says %d", below_cut[i], g);
		tap_ok(st != XDANE_DNS_SECURE, "%s, parent's NSEC3 denial, getdns path: not secure (class %d)", below_cut[i], st);
		st = offline_then_classify(below_cut[i], &v);
		tap_ok(st != XDANE_DNS_SECURE, "%s, parent's NSEC3 denial, offline path: not secure (verdict %d, class %d)",
		       below_cut[i], v, st);
	}
out:
	getdns_list_destroy(keys);
	getdns_list_destroy(authority);
	getdns_list_destroy(zone_rrs);
	return tap_done();
}
