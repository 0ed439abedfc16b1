/* SPDX-License-Identifier: MIT */
/* resolver_anchors.c - validated DNSKEY sets reused as getdns trust anchors (see the header). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <getdns/getdns_extra.h>
#include "resolver_anchors.h"
#include "resolver_name.h"

struct zonekeys {
	char zone[256];       /* lowercase, no trailing dot, "" = root */
	getdns_list *keys;    /* DNSKEY RR dicts */
	uint64_t expires_ms, stamp;
	int signer;           /* signed a secure answer: names under it go the offline way */
	int path;             /* above another zone's signed answer: a trust anchor for getdns */
};

struct xdane_keycache {
	getdns_list *configured;
	struct zonekeys z[XDANE_KEY_CACHE_MAX];
	size_t n;
	uint64_t stamp;
	uint64_t applied[XDANE_KEY_ANCHORS_MAX]; /* stamps of the zones last given to getdns */
	char applied_zone[XDANE_KEY_ANCHORS_MAX][256]; /* their names: getdns keeps them until the next apply */
	size_t napplied;
	int dirty;
};

/* copy_list - deep copy of a list of dicts. */
static getdns_list *copy_list(const getdns_list *src)
{
	getdns_list *dst = getdns_list_create();
	size_t i, n = 0;
	if (!dst)
		return NULL;
	getdns_list_get_length(src, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *d;
		if (getdns_list_get_dict(src, i, &d) || getdns_list_set_dict(dst, i, d)) {
			getdns_list_destroy(dst);
			return NULL;
		}
	}
	return dst;
}

/* xdane_keycache_new - see resolver_anchors.h */
xdane_keycache *xdane_keycache_new(const getdns_list *configured)
{
	xdane_keycache *kc = calloc(1, sizeof *kc);
	if (!kc)
		return NULL;
	kc->configured = copy_list(configured);
	if (!kc->configured) {
		free(kc);
		return NULL;
	}
	return kc;
}

/* forget - remove entry i. */
static void forget(xdane_keycache *kc, size_t i)
{
	getdns_list_destroy(kc->z[i].keys);
	kc->z[i] = kc->z[--kc->n];
	kc->dirty = 1;
}

/* xdane_keycache_free - see resolver_anchors.h */
void xdane_keycache_free(xdane_keycache *kc)
{
	if (!kc)
		return;
	while (kc->n)
		forget(kc, kc->n - 1);
	getdns_list_destroy(kc->configured);
	free(kc);
}

/* xdane_zone_covers - see resolver_anchors.h */
int xdane_zone_covers(const char *zone, const char *name)
{
	size_t zl = strlen(zone), nl = strlen(name);
	if (zl == 0)
		return 1;
	if (zl > nl || strcmp(name + nl - zl, zone))
		return 0;
	return zl == nl || name[nl - zl - 1] == '.';
}

/* answer_signer - signer of the RRSIG over qtype in the first reply; 0 if absent or a CNAME/DNAME is present. */
static int answer_signer(const getdns_dict *resp, int qtype, char *signer, size_t len)
{
	getdns_list *answer;
	size_t i, n = 0;
	int found = 0;

	if (getdns_dict_get_list(resp, "/replies_tree/0/answer", &answer))
		return 0;
	getdns_list_get_length(answer, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		uint32_t type, covered;
		getdns_bindata *sn;
		char s[256];
		if (getdns_list_get_dict(answer, i, &rr) || getdns_dict_get_int(rr, "type", &type))
			return 0;
		if (type == GETDNS_RRTYPE_CNAME || type == GETDNS_RRTYPE_DNAME)
			return 0; /* chains may cross zones: keep it simple, learn nothing */
		if (type != GETDNS_RRTYPE_RRSIG || getdns_dict_get_int(rr, "/rdata/type_covered", &covered) ||
		    covered != (uint32_t)qtype || getdns_dict_get_bindata(rr, "/rdata/signers_name", &sn) ||
		    !xdane_wire_name(sn, s, sizeof s))
			continue;
		if (found && strcmp(s, signer))
			return 0; /* two signers: ambiguous */
		strcpy(signer, s);
		found = 1;
	}
	return found && strlen(signer) < len;
}

/* labels - label count of a zone name ("" = 0). */
static int labels(const char *zone)
{
	int n = *zone ? 1 : 0;
	for (; *zone; zone++)
		n += *zone == '.';
	return n;
}

/* store - replace or add the key set of zone. */
static int store(xdane_keycache *kc, const char *zone, getdns_list *keys, uint32_t ttl, uint64_t now_ms)
{
	size_t i, oldest = 0;
	for (i = 0; i < kc->n; i++)
		if (!strcmp(kc->z[i].zone, zone))
			break;
	if (i == kc->n) {
		if (kc->n == XDANE_KEY_CACHE_MAX) {
			/* evict the deepest zone (leaf zones are used by few lookups; the
			 * shared upper zones save work for every lookup), oldest first */
			for (i = 1; i < kc->n; i++) {
				int di = labels(kc->z[i].zone), dold = labels(kc->z[oldest].zone);
				if (di > dold || (di == dold && kc->z[i].stamp < kc->z[oldest].stamp))
					oldest = i;
			}
			forget(kc, oldest);
		}
		i = kc->n++;
		strcpy(kc->z[i].zone, zone);
		kc->z[i].signer = kc->z[i].path = 0;
	} else {
		getdns_list_destroy(kc->z[i].keys);
	}
	if (ttl > XDANE_KEY_TTL_MAX)
		ttl = XDANE_KEY_TTL_MAX;
	kc->z[i].keys = keys;
	kc->z[i].expires_ms = now_ms + (uint64_t)ttl * 1000u;
	kc->z[i].stamp = ++kc->stamp;
	kc->dirty = 1;
	return 1;
}

/* min_sig_lifetime - cap *ttl by the remaining validity of every RRSIG over owner's DNSKEY set in chain. */
static void min_sig_lifetime(const getdns_list *chain, const char *owner, uint32_t *ttl)
{
	size_t i, n = 0;
	int64_t now = (int64_t)time(NULL);

	getdns_list_get_length(chain, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		getdns_bindata *nm;
		uint32_t type, covered, expiration;
		char o[256];
		int64_t left;
		if (getdns_list_get_dict(chain, i, &rr) || getdns_dict_get_int(rr, "type", &type) ||
		    type != GETDNS_RRTYPE_RRSIG || getdns_dict_get_int(rr, "/rdata/type_covered", &covered) ||
		    covered != GETDNS_RRTYPE_DNSKEY || getdns_dict_get_bindata(rr, "name", &nm) ||
		    !xdane_wire_name(nm, o, sizeof o) || strcmp(o, owner) ||
		    getdns_dict_get_int(rr, "/rdata/signature_expiration", &expiration))
			continue;
		/* RFC 4034 s3.1.5 serial arithmetic, relative to now */
		left = (int64_t)(int32_t)(expiration - (uint32_t)now);
		if (left <= 0)
			*ttl = 0;
		else if ((uint64_t)left < *ttl)
			*ttl = (uint32_t)left;
	}
}

/* below - name is a proper descendant of zone. */
static int below(const char *zone, const char *name)
{
	return strcmp(zone, name) != 0 && xdane_zone_covers(zone, name);
}

/*
 * store_owner_keys - keep the DNSKEY RRs of owner found in rrs (a validation
 * chain or a DNSKEY answer, RRSIGs included) for min(their TTL, the
 * remaining life of the RRSIGs over them); 1 if stored.
 */
static int store_owner_keys(xdane_keycache *kc, const getdns_list *rrs, const char *owner, uint64_t now_ms)
{
	getdns_list *keys = getdns_list_create();
	size_t j, n = 0, k = 0;
	uint32_t ttl = UINT32_MAX;

	if (!keys)
		return 0;
	getdns_list_get_length(rrs, &n);
	for (j = 0; j < n; j++) {
		getdns_dict *rr;
		getdns_bindata *nm;
		uint32_t type, t;
		char o[256];
		if (getdns_list_get_dict(rrs, j, &rr) || getdns_dict_get_int(rr, "type", &type) ||
		    type != GETDNS_RRTYPE_DNSKEY || getdns_dict_get_bindata(rr, "name", &nm) ||
		    !xdane_wire_name(nm, o, sizeof o) || strcmp(o, owner))
			continue;
		if (!getdns_dict_get_int(rr, "ttl", &t) && t < ttl)
			ttl = t;
		if (getdns_list_set_dict(keys, k++, rr))
			break;
	}
	/* never trust the keys past the signature that validated them */
	min_sig_lifetime(rrs, owner, &ttl);
	if (k == 0 || ttl == 0 || ttl == UINT32_MAX) {
		getdns_list_destroy(keys);
		return 0;
	}
	return store(kc, owner, keys, ttl, now_ms);
}

/* append_dict - d at the end of list; 1 ok. */
static int append_dict(getdns_list *list, const getdns_dict *d)
{
	size_t n = 0;
	getdns_list_get_length(list, &n);
	return !getdns_list_set_dict(list, n, d);
}

/* owner_rrset - owner's RRs of type and the RRSIGs over them in rrs; NULL on OOM. */
static getdns_list *owner_rrset(const getdns_list *rrs, const char *owner, uint32_t rrtype)
{
	getdns_list *set = getdns_list_create();
	size_t i, n = 0;

	getdns_list_get_length(rrs, &n);
	for (i = 0; set && i < n; i++) {
		getdns_dict *rr;
		getdns_bindata *nm;
		uint32_t type, covered = 0;
		char o[256];
		if (getdns_list_get_dict(rrs, i, &rr) || getdns_dict_get_int(rr, "type", &type) ||
		    getdns_dict_get_bindata(rr, "name", &nm) || !xdane_wire_name(nm, o, sizeof o) || strcmp(o, owner))
			continue;
		if (type == GETDNS_RRTYPE_RRSIG)
			getdns_dict_get_int(rr, "/rdata/type_covered", &covered);
		if ((type == rrtype || covered == rrtype) && !append_dict(set, rr)) {
			getdns_list_destroy(set);
			set = NULL;
		}
	}
	return set;
}

/* append_all - every dict of src at the end of list; 1 ok. */
static int append_all(getdns_list *list, const getdns_list *src)
{
	size_t j, n = 0;

	getdns_list_get_length(src, &n);
	for (j = 0; j < n; j++) {
		getdns_dict *d;
		if (getdns_list_get_dict(src, j, &d) || !append_dict(list, d))
			return 0;
	}
	return 1;
}

/* held_anchors - the configured anchors and the live cached keys of every zone covering signer; NULL on OOM. */
static getdns_list *held_anchors(const xdane_keycache *kc, const char *signer, uint64_t now_ms)
{
	getdns_list *all = getdns_list_create();
	size_t i;
	int ok = all && append_all(all, kc->configured);

	for (i = 0; ok && i < kc->n; i++)
		if (kc->z[i].expires_ms > now_ms && xdane_zone_covers(kc->z[i].zone, signer))
			ok = append_all(all, kc->z[i].keys);
	if (!ok) {
		getdns_list_destroy(all);
		return NULL;
	}
	return all;
}

/* by_depth - qsort order of zone names (char[256]): fewer labels first. */
static int by_depth(const void *a, const void *b)
{
	return labels(a) - labels(b);
}

/* rrsig_signer - the signer of the first RRSIG in rrs into out (256 bytes); 0 if none. */
static int rrsig_signer(const getdns_list *rrs, char *out)
{
	size_t i, n = 0;

	getdns_list_get_length(rrs, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		getdns_bindata *sn;
		uint32_t type;
		if (!getdns_list_get_dict(rrs, i, &rr) && !getdns_dict_get_int(rr, "type", &type) &&
		    type == GETDNS_RRTYPE_RRSIG && !getdns_dict_get_bindata(rr, "/rdata/signers_name", &sn))
			return xdane_wire_name(sn, out, 256);
	}
	return 0;
}

/*
 * keyset_validates - owner's whole DNSKEY set as found in chain is SECURE
 * from anchors. Support: owner's DS set and the DNSKEY set of the zone that
 * signed it (getdns needs that node; its keys come from anchors, as
 * xdane_keycache_learn goes shallowest first), so one DS and one DNSKEY
 * check, not the whole path. getdns' validation chain is not the set of
 * validated records: it also carries any DNSKEY, DS, NSEC or NSEC3 RRset
 * of the DS and DNSKEY responses it fetched that has an RRSIG with the
 * right keytag (dnssec.c, append_rrs2val_chain_list), never validated; an
 * on-path attacker adds a DNSKEY of his own for a zone on the path that
 * way. Mixed into the real set it breaks the set's signatures, so the set
 * is taken only if it validates whole.
 */
static int keyset_validates(const getdns_list *chain, const char *owner, const getdns_list *anchors)
{
	getdns_list *set = owner_rrset(chain, owner, GETDNS_RRTYPE_DNSKEY);
	getdns_list *support = owner_rrset(chain, owner, GETDNS_RRTYPE_DS), *above = NULL;
	char parent[256];
	size_t n = 0;
	int ok;

	if (support && rrsig_signer(support, parent))
		above = owner_rrset(chain, parent, GETDNS_RRTYPE_DNSKEY);
	ok = set && support && !getdns_list_get_length(set, &n) && n && append_all(support, set) &&
	     (!above || append_all(support, above)) &&
	     getdns_validate_dnssec2(set, support, anchors, time(NULL), 0) == GETDNS_DNSSEC_SECURE;
	getdns_list_destroy(set);
	getdns_list_destroy(support);
	getdns_list_destroy(above);
	return ok;
}

/* mark_roles - signer signed a secure answer; every cached zone above it is a path zone. */
static void mark_roles(xdane_keycache *kc, const char *signer)
{
	size_t i;
	for (i = 0; i < kc->n; i++) {
		if (!strcmp(kc->z[i].zone, signer))
			kc->z[i].signer = 1;
		else if (xdane_zone_covers(kc->z[i].zone, signer) && !kc->z[i].path) {
			kc->z[i].path = 1;
			kc->dirty = 1;
		}
	}
}

/* deeper - the deeper of two zones covering the same name (NULL = none). */
static const char *deeper(const char *a, const char *b)
{
	if (!a)
		return b;
	return b && strlen(b) > strlen(a) ? b : a;
}

/* configured_base - the deepest configured anchor owner covering signer into out (256 bytes); NULL if none. */
static const char *configured_base(const xdane_keycache *kc, const char *signer, char *out)
{
	const char *best = NULL;
	size_t i, n = 0;

	getdns_list_get_length(kc->configured, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *rr;
		getdns_bindata *nm;
		char o[256];
		if (getdns_list_get_dict(kc->configured, i, &rr) || getdns_dict_get_bindata(rr, "name", &nm) ||
		    !xdane_wire_name(nm, o, sizeof o) || !xdane_zone_covers(o, signer) || (best && strlen(o) <= strlen(best)))
			continue;
		strcpy(out, o);
		best = out;
	}
	return best;
}

/* xdane_keycache_learn - see resolver_anchors.h */
int xdane_keycache_learn(xdane_keycache *kc, const getdns_dict *resp, int qtype, const char *qname, uint64_t now_ms)
{
	char signer[256], done[8][256], cfg[256];
	const char *base = NULL, *cbase;
	getdns_list *chain, *anchors;
	size_t i, n = 0, ndone = 0;
	int learned = 0;

	if (!kc || !answer_signer(resp, qtype, signer, sizeof signer) || !xdane_zone_covers(signer, qname))
		return 0;
	if (getdns_dict_get_list(resp, "validation_chain", &chain))
		return 0;
	/* getdns validated from the deepest anchor it holds over the signer
	 * (the chain also carries the DNSKEY sets above it, never checked):
	 * only keys below it were validated for this answer. The anchors it
	 * holds are the configured ones (their own keys are validated by them)
	 * and the zones of the last apply, even if dropped or expired since; a
	 * cached zone's own keys would only be "validated" by themselves, so
	 * they are never refreshed here: they expire and are learned again
	 * from above. Live cached zones count too (learning less is safe). */
	cbase = configured_base(kc, signer, cfg);
	for (i = 0; i < kc->napplied; i++)
		if (xdane_zone_covers(kc->applied_zone[i], signer))
			base = deeper(base, kc->applied_zone[i]);
	for (i = 0; i < kc->n; i++)
		if (kc->z[i].expires_ms > now_ms && xdane_zone_covers(kc->z[i].zone, signer))
			base = deeper(base, kc->z[i].zone);
	if (!base && !cbase)
		return 0; /* no anchor over the signer: nothing here was validated */
	if (cbase && (!base || strlen(cbase) > strlen(base)))
		base = NULL; /* from a configured anchor: its owner and below */
	getdns_list_get_length(chain, &n);
	/* each DNSKEY owner on the path (base..signer], once */
	for (i = 0; i < n && ndone < 8; i++) {
		getdns_dict *rr;
		getdns_bindata *nm;
		uint32_t type;
		char owner[256];
		size_t k;
		if (getdns_list_get_dict(chain, i, &rr) || getdns_dict_get_int(rr, "type", &type) ||
		    type != GETDNS_RRTYPE_DNSKEY || getdns_dict_get_bindata(rr, "name", &nm) ||
		    !xdane_wire_name(nm, owner, sizeof owner) || !xdane_zone_covers(owner, signer) ||
		    (base ? !below(base, owner) : !xdane_zone_covers(cbase, owner)))
			continue;
		for (k = 0; k < ndone && strcmp(done[k], owner); k++)
			;
		if (k == ndone)
			strcpy(done[ndone++], owner);
	}
	/* shallowest first, each set that validates whole becoming an anchor
	 * for the next: one DS and one DNSKEY check per zone, not the whole
	 * path again for every zone */
	qsort(done, ndone, sizeof done[0], by_depth);
	anchors = held_anchors(kc, signer, now_ms); /* before storing: only what getdns held */
	for (i = 0; anchors && i < ndone; i++) {
		const getdns_list *keys;
		if (!keyset_validates(chain, done[i], anchors) || !store_owner_keys(kc, chain, done[i], now_ms))
			continue;
		learned++;
		keys = xdane_keycache_zone_keys(kc, done[i], now_ms);
		if (keys && !append_all(anchors, keys)) {
			getdns_list_destroy(anchors);
			anchors = NULL;
		}
	}
	getdns_list_destroy(anchors);
	mark_roles(kc, signer);
	return learned;
}

/* xdane_keycache_store_zone - see resolver_anchors.h */
int xdane_keycache_store_zone(xdane_keycache *kc, const char *zone, const getdns_dict *dnskey_resp, uint64_t now_ms)
{
	getdns_list *answer;

	if (!kc || getdns_dict_get_list(dnskey_resp, "/replies_tree/0/answer", &answer) ||
	    !store_owner_keys(kc, answer, zone, now_ms))
		return 0;
	mark_roles(kc, zone);
	return 1;
}

/* xdane_keycache_covers - see resolver_anchors.h */
int xdane_keycache_covers(const xdane_keycache *kc, const char *qname)
{
	size_t i;
	for (i = 0; kc && i < kc->n; i++)
		if (xdane_zone_covers(kc->z[i].zone, qname))
			return 1;
	return 0;
}

/* xdane_keycache_drop - see resolver_anchors.h */
int xdane_keycache_drop(xdane_keycache *kc, const char *qname)
{
	size_t i = 0;
	int dropped = 0;
	while (kc && i < kc->n) {
		if (xdane_zone_covers(kc->z[i].zone, qname)) {
			forget(kc, i);
			dropped++;
		} else {
			i++;
		}
	}
	return dropped;
}

/* deepest_live - index of the deepest live cached zone covering name, or -1. */
static long deepest_live(const xdane_keycache *kc, const char *name, uint64_t now_ms)
{
	size_t i;
	long best = -1;
	for (i = 0; kc && i < kc->n; i++)
		if (kc->z[i].expires_ms > now_ms && xdane_zone_covers(kc->z[i].zone, name) &&
		    (best < 0 || strlen(kc->z[i].zone) > strlen(kc->z[best].zone)))
			best = (long)i;
	return best;
}

/* xdane_keycache_deepest_zone - see resolver_anchors.h */
int xdane_keycache_deepest_zone(const xdane_keycache *kc, const char *qname, uint64_t now_ms, char *zone)
{
	long i = deepest_live(kc, qname, now_ms);
	if (i < 0)
		return 0;
	strcpy(zone, kc->z[i].zone);
	return 1;
}

/* xdane_keycache_signer_zone - see resolver_anchors.h */
int xdane_keycache_signer_zone(const xdane_keycache *kc, const char *qname, uint64_t now_ms, char *zone)
{
	long i = deepest_live(kc, qname, now_ms);
	if (i < 0 || !kc->z[i].signer)
		return 0;
	strcpy(zone, kc->z[i].zone);
	return 1;
}

/* xdane_keycache_zone_keys - see resolver_anchors.h */
const getdns_list *xdane_keycache_zone_keys(const xdane_keycache *kc, const char *zone, uint64_t now_ms)
{
	size_t i;
	for (i = 0; kc && i < kc->n; i++)
		if (!strcmp(kc->z[i].zone, zone))
			return kc->z[i].expires_ms > now_ms ? kc->z[i].keys : NULL;
	return NULL;
}

/* xdane_keycache_forget_zone - see resolver_anchors.h */
int xdane_keycache_forget_zone(xdane_keycache *kc, const char *zone)
{
	size_t i;
	for (i = 0; kc && i < kc->n; i++)
		if (!strcmp(kc->z[i].zone, zone)) {
			forget(kc, i);
			return 1;
		}
	return 0;
}

/*
 * select_anchors - indexes of the shallowest path zones (oldest first on a
 * tie), at most XDANE_KEY_ANCHORS_MAX. Signer-only zones stay out: names
 * under them take the offline path, and their churn would hand getdns a new
 * anchor set for every new domain.
 */
static size_t select_anchors(const xdane_keycache *kc, size_t *pick)
{
	size_t k = 0, i, j;
	for (i = 0; i < kc->n; i++) {
		int d = labels(kc->z[i].zone);
		if (!kc->z[i].path)
			continue;
		/* insertion into the sorted pick list, keeping the best XDANE_KEY_ANCHORS_MAX */
		for (j = k; j > 0; j--) {
			const struct zonekeys *o = &kc->z[pick[j - 1]];
			int od = labels(o->zone);
			if (od < d || (od == d && o->stamp < kc->z[i].stamp))
				break;
			if (j < XDANE_KEY_ANCHORS_MAX)
				pick[j] = pick[j - 1];
		}
		if (j < XDANE_KEY_ANCHORS_MAX) {
			pick[j] = i;
			if (k < XDANE_KEY_ANCHORS_MAX)
				k++;
		}
	}
	return k;
}

/* xdane_keycache_apply - see resolver_anchors.h */
int xdane_keycache_apply(xdane_keycache *kc, getdns_context *ctx, uint64_t now_ms)
{
	getdns_list *all;
	size_t i, k = 0, n, np, pick[XDANE_KEY_ANCHORS_MAX];

	if (!kc)
		return 0;
	for (i = 0; i < kc->n;) {
		if (kc->z[i].expires_ms <= now_ms)
			forget(kc, i);
		else
			i++;
	}
	if (!kc->dirty)
		return 0;
	kc->dirty = 0;
	np = select_anchors(kc, pick);
	for (i = 0; i < np && i < kc->napplied && kc->z[pick[i]].stamp == kc->applied[i]; i++)
		;
	if (i == np && np == kc->napplied)
		return 0; /* only zones outside the anchor set changed */
	all = getdns_list_create();
	if (!all)
		return -1;
	getdns_list_get_length(kc->configured, &n);
	for (i = 0; i < n; i++) {
		getdns_dict *d;
		if (!getdns_list_get_dict(kc->configured, i, &d))
			getdns_list_set_dict(all, k++, d);
	}
	for (i = 0; i < np; i++) {
		size_t j, m = 0;
		const struct zonekeys *z = &kc->z[pick[i]];
		getdns_list_get_length(z->keys, &m);
		for (j = 0; j < m; j++) {
			getdns_dict *d;
			if (!getdns_list_get_dict(z->keys, j, &d))
				getdns_list_set_dict(all, k++, d);
		}
	}
	if (getdns_context_set_dnssec_trust_anchors(ctx, all) != GETDNS_RETURN_GOOD) {
		getdns_list_destroy(all);
		kc->dirty = 1;
		return -1;
	}
	getdns_list_destroy(all);
	for (i = 0; i < np; i++) {
		kc->applied[i] = kc->z[pick[i]].stamp;
		strcpy(kc->applied_zone[i], kc->z[pick[i]].zone);
	}
	kc->napplied = np;
	return 1;
}

/* xdane_keycache_count - see resolver_anchors.h */
size_t xdane_keycache_count(const xdane_keycache *kc)
{
	return kc ? kc->n : 0;
}
