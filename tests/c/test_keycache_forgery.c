/* SPDX-License-Identifier: MIT */
/*
 * test_keycache_forgery.c - the key cache must learn only DNSKEY sets that
 * getdns really validated (DNS lab).
 *
 * getdns 1.6's validation_chain is not "the validated records": for every
 * DS and DNSKEY response it fetched it appends every DNSKEY, DS, NSEC and
 * NSEC3 RRset of the answer and authority sections that carries an RRSIG
 * with the keytag of the key that signed the node's own set (dnssec.c,
 * append_rrs2val_chain_list). An attacker on the path adds, say to the DS
 * response of example., a DNSKEY RRset owned by a.example with its own key
 * and an RRSIG bearing that keytag: validation never looks at it (it is not
 * the node's set), the answer stays SECURE, and the forged key sits in the
 * chain next to the real ones. Were it learned, the offline path would take
 * any a.example record signed with it as SECURE.
 *
 *   test_keycache_forgery FORGED_ZONE
 *
 * FORGED_ZONE: a.example signed with a key that is not a.example's (the
 * suite makes it with ldns-signzone): its DNSKEY, and a TLSA at
 * _5269._tcp.xmpp.a.example with a digest of zeros. Needs the lab env.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include "resolver_anchors.h"
#include "resolver_offline.h"
#include "resolver_classify.h"
#include "resolver_name.h"
#include "tap.h"
#include "zonefile.h"

#define SRV_NAME "_xmpp-server._tcp.a.example"
#define TLSA_NAME "_5269._tcp.xmpp.a.example"

static getdns_context *ctx;
static getdns_list *configured;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* make_context - stub resolver over the lab with the lab's root anchor. */
static int make_context(void)
{
	const char *ip = getenv("XDANE_DNS_ADDR"), *port = getenv("XDANE_RESOLVER_PORT");
	getdns_list *ups = getdns_list_create();
	getdns_dict *u = getdns_dict_create();
	getdns_bindata addr;
	unsigned char a4[4];
	int ok;

	configured = read_rrs(getenv("XDANE_TRUST_ANCHOR"));
	if (!configured || !ip || !port || inet_pton(AF_INET, ip, a4) != 1 || getdns_context_create(&ctx, 0))
		return 0;
	addr.data = a4;
	addr.size = 4;
	ok = !getdns_dict_util_set_string(u, "address_type", "IPv4") && !getdns_dict_set_bindata(u, "address_data", &addr) &&
	     !getdns_dict_set_int(u, "port", (uint32_t)atoi(port)) && !getdns_list_set_dict(ups, 0, u) &&
	     !getdns_context_set_resolution_type(ctx, GETDNS_RESOLUTION_STUB) &&
	     !getdns_context_set_upstream_recursive_servers(ctx, ups) &&
	     !getdns_context_set_dnssec_trust_anchors(ctx, configured) &&
	     !getdns_context_set_trust_anchors_verify_CA(ctx, "") && !getdns_context_set_timeout(ctx, 5000);
	getdns_dict_destroy(u);
	getdns_list_destroy(ups);
	return ok;
}

/* ask - synchronous query; chain: validated with the validation chain, else DO+CD unvalidated (the offline way). */
static getdns_dict *ask(const char *name, uint16_t type, int chain)
{
	getdns_dict *ext = getdns_dict_create(), *opt = getdns_dict_create(), *hdr = getdns_dict_create();
	getdns_dict *resp = NULL;
	char fqdn[260];

	snprintf(fqdn, sizeof fqdn, "%s.", name);
	if (chain) {
		getdns_dict_set_int(ext, "dnssec_return_status", GETDNS_EXTENSION_TRUE);
		getdns_dict_set_int(ext, "dnssec_return_all_statuses", GETDNS_EXTENSION_TRUE);
		getdns_dict_set_int(ext, "dnssec_return_validation_chain", GETDNS_EXTENSION_TRUE);
	} else {
		getdns_dict_set_int(opt, "do_bit", 1);
		getdns_dict_set_int(hdr, "cd", 1);
		getdns_dict_set_dict(ext, "add_opt_parameters", opt);
		getdns_dict_set_dict(ext, "header", hdr);
	}
	if (getdns_general_sync(ctx, fqdn, type, ext, &resp) != GETDNS_RETURN_GOOD)
		resp = NULL;
	getdns_dict_destroy(ext);
	getdns_dict_destroy(opt);
	getdns_dict_destroy(hdr);
	return resp;
}

/* owned_by - the RRs of rrs owned by name (RRSIGs included). */
static getdns_list *owned_by(const getdns_list *rrs, const char *name, uint32_t type, uint32_t covered)
{
	getdns_list *out = getdns_list_create();
	size_t i, n = 0, k = 0;

	getdns_list_get_length(rrs, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		getdns_bindata *nm;
		uint32_t t, c = 0;
		char o[256];
		if (getdns_list_get_dict(rrs, i, &rr) || getdns_dict_get_int(rr, "type", &t) ||
		    getdns_dict_get_bindata(rr, "name", &nm) || !xdane_wire_name(nm, o, sizeof o) || strcmp(o, name))
			continue;
		if (t == GETDNS_RRTYPE_RRSIG)
			getdns_dict_get_int(rr, "/rdata/type_covered", &c);
		if (t == type || (t == GETDNS_RRTYPE_RRSIG && c == covered))
			getdns_list_set_dict(out, k++, rr);
	}
	return out;
}

/* append_all - every dict of src at the end of dst. */
static void append_all(getdns_list *dst, const getdns_list *src)
{
	size_t i, n = 0, k = 0;
	getdns_list_get_length(dst, &k);
	getdns_list_get_length(src, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *d;
		if (!getdns_list_get_dict(src, i, &d))
			getdns_list_set_dict(dst, k++, d);
	}
}

/* offline_verdict - an offline TLSA reply whose answer is replaced by answer (if any), checked against zone a.example's cached keys. */
static int offline_verdict(xdane_keycache *kc, const getdns_list *answer)
{
	getdns_dict *resp = ask(TLSA_NAME, GETDNS_RRTYPE_TLSA, 0);
	char signer[256];
	int v;

	if (!resp)
		return -1;
	if (answer)
		getdns_dict_set_list(resp, "/replies_tree/0/answer", answer);
	v = xdane_offline_check(GETDNS_CALLBACK_COMPLETE, resp, GETDNS_RRTYPE_TLSA, TLSA_NAME, "a.example",
	                        xdane_keycache_zone_keys(kc, "a.example", now_ms()), signer);
	getdns_dict_destroy(resp);
	return v;
}

int main(int argc, char **argv)
{
	getdns_list *forged_zone, *forged_keys, *forged_tlsa, *chain;
	getdns_dict *srv;
	xdane_keycache *kc;
	struct xdane_ans *a;
	int v;

	if (argc != 2 || !(forged_zone = read_rrs(argv[1])) || !make_context()) {
		printf("not ok 1 - usage: test_keycache_forgery FORGED_ZONE (lab env needed)\n");
		return 1;
	}
	forged_keys = owned_by(forged_zone, "a.example", GETDNS_RRTYPE_DNSKEY, GETDNS_RRTYPE_DNSKEY);
	forged_tlsa = owned_by(forged_zone, TLSA_NAME, GETDNS_RRTYPE_TLSA, GETDNS_RRTYPE_TLSA);

	/* the honest case: keys learned, a real offline answer is secure, a forged one is not */
	srv = ask(SRV_NAME, GETDNS_RRTYPE_SRV, 1);
	a = srv ? xdane_classify(GETDNS_CALLBACK_COMPLETE, srv, GETDNS_RRTYPE_SRV, SRV_NAME) : NULL;
	tap_ok(a && a->pub.status == XDANE_DNS_SECURE, "SRV of a.example: secure with its validation chain");
	if (a)
		xdane_answer_unref(&a->pub);
	kc = xdane_keycache_new(configured);
	tap_ok(srv && xdane_keycache_learn(kc, srv, GETDNS_RRTYPE_SRV, SRV_NAME, now_ms()) > 0 &&
	           xdane_keycache_zone_keys(kc, "a.example", now_ms()),
	       "honest chain: the keys of a.example are learned");
	tap_ok(offline_verdict(kc, NULL) == XDANE_OFFLINE_SECURE, "honest chain: the real TLSA validates offline");
	v = offline_verdict(kc, forged_tlsa);
	tap_ok(v != XDANE_OFFLINE_SECURE, "honest chain: a TLSA signed by a foreign key is not secure (verdict %d)", v);
	xdane_keycache_free(kc);

	/* the attack: the forged a.example DNSKEY set rides along in the chain */
	chain = NULL;
	tap_ok(srv && !getdns_dict_get_list(srv, "validation_chain", &chain), "the response has a validation chain");
	if (chain)
		append_all(chain, forged_keys);
	kc = xdane_keycache_new(configured);
	if (srv)
		xdane_keycache_learn(kc, srv, GETDNS_RRTYPE_SRV, SRV_NAME, now_ms());
	tap_diag("the chain now also holds a.example's forged DNSKEY set, as getdns appends it");
	tap_ok(xdane_keycache_zone_keys(kc, "example", now_ms()) != NULL,
	       "forged DNSKEY in the chain: the untouched example. keys are still learned");
	v = offline_verdict(kc, forged_tlsa);
	tap_ok(v != XDANE_OFFLINE_SECURE,
	       "forged DNSKEY in the chain: a TLSA signed with it is not taken as secure (verdict %d)", v);
	xdane_keycache_free(kc);

	getdns_dict_destroy(srv);
	getdns_list_destroy(forged_keys);
	getdns_list_destroy(forged_tlsa);
	getdns_list_destroy(forged_zone);
	getdns_list_destroy(configured);
	getdns_context_destroy(ctx);
	return tap_done();
}
