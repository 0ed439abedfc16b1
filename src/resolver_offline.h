/* SPDX-License-Identifier: MIT */
/*
 * resolver_offline.h - validating replies that getdns did not validate
 * (private).
 *
 * getdns 1.6 in stub mode fetches the whole DS/DNSKEY chain from the root
 * for every request (seven extra queries for a name three zones down),
 * whatever trust anchors it holds. Under a zone whose keys are cached
 * (resolver_anchors.h) a question is instead sent with DO+CD and no getdns
 * validation, and its reply is validated here with getdns_validate_dnssec2
 * (getdns' own validator, the code its stub mode runs) against that zone's
 * keys alone: directly if that zone signed the reply, or, if a zone below it
 * did, with that zone's DNSKEY and DS sets fetched the same way as support.
 * Only SECURE is ever taken; everything else goes back to getdns' full
 * validation.
 */
#ifndef XDANE_RESOLVER_OFFLINE_H
#define XDANE_RESOLVER_OFFLINE_H

#include <stdint.h>
#include <getdns/getdns.h>

enum xdane_offline_verdict {
	XDANE_OFFLINE_FINAL,  /* no reply, timeout, SERVFAIL/REFUSED...: classify as it is (indeterminate) */
	XDANE_OFFLINE_SECURE, /* validated against the zone's keys: the replies are marked secure */
	XDANE_OFFLINE_FULL,   /* not for this path (CNAME, other question, unsigned...): ask the full way */
	XDANE_OFFLINE_STALE,  /* signed by the zone, but not valid under its cached keys: drop them, ask the full way */
	XDANE_OFFLINE_KEYS    /* signed by a zone below it: fetch that zone's DNSKEY and DS, then xdane_offline_with_keys */
};

/*
 * xdane_offline_check - the verdict on an offline reply to (qtype, qname)
 * asked under zone (cached keys zone_keys, may be NULL). For
 * XDANE_OFFLINE_KEYS the signing zone is copied to signer (256 bytes).
 */
int xdane_offline_check(getdns_callback_type_t type, getdns_dict *resp, int qtype, const char *qname,
                        const char *zone, const getdns_list *zone_keys, char *signer);

/*
 * xdane_offline_with_keys - validate resp with the DNSKEY and DS replies of
 * its signing zone as support records and zone_keys as the only anchors.
 * Returns 1 if SECURE (the replies are then marked secure), else 0.
 */
int xdane_offline_with_keys(getdns_dict *resp, const getdns_dict *dnskey_resp, const getdns_dict *ds_resp,
                            const getdns_list *zone_keys);

#endif
