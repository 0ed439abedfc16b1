/* SPDX-License-Identifier: MIT */
/* resolver_denial.c - NSEC3 closest enclosers at a zone cut (see the header). */
#include <string.h>
#include <strings.h>
#include <openssl/sha.h>
#include <getdns/getdns_extra.h>
#include "resolver_denial.h"
#include "resolver_anchors.h"
#include "resolver_name.h"

/* getdns 1.6 calls NSEC3 proofs above 2500 iterations insecure (its RSA-4096
 * limit), so refusing to hash beyond it never overrides a secure verdict */
#define XDANE_NSEC3_ITERATIONS_MAX 2500

/* bitmap_has - the NSEC3 type bitmap (RFC 4034 s4.1.2 format) lists type. */
static int bitmap_has(const getdns_bindata *bm, uint16_t type)
{
	size_t i = 0;
	unsigned window = type >> 8, bit = type & 0xff;

	while (i + 2 <= bm->size) {
		unsigned w = bm->data[i], len = bm->data[i + 1];
		if (len == 0 || len > 32 || i + 2 + len > bm->size)
			return 0;
		if (w == window)
			return bit / 8 < len && (bm->data[i + 2 + bit / 8] & (0x80 >> (bit % 8)));
		i += 2 + len;
	}
	return 0;
}

/* to_wire - lowercase text name ("" = root) to wire format into out (256 bytes); its length, 0 on error. */
static size_t to_wire(const char *name, unsigned char *out)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		if (len == 0 || len > 63 || n + len + 2 > 255)
			return 0;
		out[n++] = (unsigned char)len;
		memcpy(out + n, name, len);
		n += len;
		name += len + (dot ? 1 : 0);
	}
	out[n++] = 0;
	return n;
}

/* nsec3_label - RFC 5155 s5 hash (SHA-1, iterations, salt) of name as base32hex (lowercase) into out (33 bytes); 1 ok. */
static int nsec3_label(const char *name, uint32_t iterations, const getdns_bindata *salt, char *out)
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned char buf[255 + 255], md[SHA_DIGEST_LENGTH];
	size_t n = to_wire(name, buf), i, bits = 0, k = 0;
	uint32_t acc = 0;

	if (!n || salt->size > 255)
		return 0;
	memcpy(buf + n, salt->data, salt->size);
	SHA1(buf, n + salt->size, md);
	for (i = 0; i < iterations; i++) {
		memcpy(buf, md, sizeof md);
		memcpy(buf + sizeof md, salt->data, salt->size);
		SHA1(buf, sizeof md + salt->size, md);
	}
	for (i = 0; i < sizeof md; i++) {
		acc = (acc << 8) | md[i];
		bits += 8;
		while (bits >= 5) {
			out[k++] = b32[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[k] = '\0'; /* 160 bits: exactly 32 characters */
	return 1;
}

/*
 * ancestor hashes of one name under one NSEC3 parameter set, computed once:
 * the zone's NSEC3 records all share its NSEC3PARAM, so a reply is hashed
 * at most once per ancestor, no more than getdns' own proof check does.
 */
struct hashes {
	int have_params;
	uint32_t iterations;
	getdns_bindata salt;
	char label[128][33]; /* per ancestor depth; "" until computed */
};

/* same_params - rr's parameters are those of the hashes (the first NSEC3 seen sets them); 0 if they differ. */
static int same_params(struct hashes *h, uint32_t iterations, const getdns_bindata *salt)
{
	if (!h->have_params) {
		h->have_params = 1;
		h->iterations = iterations;
		h->salt = *salt;
		return 1;
	}
	return h->iterations == iterations && h->salt.size == salt->size &&
	       (!salt->size || !memcmp(h->salt.data, salt->data, salt->size));
}

/* cut_nsec3 - rr is an NSEC3 (SHA-1) at a delegation or DNAME that matches a proper ancestor of name in its zone. */
static int cut_nsec3(const getdns_dict *rr, const char *name, struct hashes *h)
{
	getdns_bindata *owner, *salt, *bm;
	uint32_t alg, iterations;
	char o[256];
	const char *zone, *a;
	size_t depth = 0;

	if (getdns_dict_get_bindata(rr, "name", &owner) || !xdane_wire_name(owner, o, sizeof o) ||
	    getdns_dict_get_int(rr, "/rdata/hash_algorithm", &alg) || alg != 1 ||
	    getdns_dict_get_int(rr, "/rdata/iterations", &iterations) ||
	    getdns_dict_get_bindata(rr, "/rdata/salt", &salt) || getdns_dict_get_bindata(rr, "/rdata/type_bit_maps", &bm))
		return 0;
	if (!(bitmap_has(bm, GETDNS_RRTYPE_NS) && !bitmap_has(bm, GETDNS_RRTYPE_SOA)) &&
	    !bitmap_has(bm, GETDNS_RRTYPE_DNAME))
		return 0;
	/* not hashed, hence unproven: more iterations than getdns accepts, or mixed parameters */
	if (iterations > XDANE_NSEC3_ITERATIONS_MAX || !same_params(h, iterations, salt))
		return 1;
	zone = strchr(o, '.');
	if (!zone)
		return 0;
	zone++;
	/* every proper ancestor of name strictly below the NSEC3's zone */
	for (a = strchr(name, '.'); a && depth < 128; a = strchr(a, '.'), depth++) {
		a++;
		if (!strcmp(a, zone) || !xdane_zone_covers(zone, a))
			break;
		if (!h->label[depth][0] && !nsec3_label(a, iterations, salt, h->label[depth]))
			continue;
		if ((size_t)(zone - o - 1) == strlen(h->label[depth]) && !strncasecmp(o, h->label[depth], strlen(h->label[depth])))
			return 1;
	}
	return 0;
}

/* xdane_denial_crosses_cut - see resolver_denial.h */
int xdane_denial_crosses_cut(const getdns_dict *reply, const char *name)
{
	static const char *const sections[] = { "answer", "authority" };
	struct hashes h;
	size_t s, i, n;

	memset(&h, 0, sizeof h);
	for (s = 0; s < 2; s++) {
		getdns_list *rrs;
		n = 0;
		if (getdns_dict_get_list(reply, sections[s], &rrs))
			continue;
		getdns_list_get_length(rrs, &n);
		for (i = 0; i < n; i++) {
			getdns_dict *rr;
			uint32_t type;
			if (!getdns_list_get_dict(rrs, i, &rr) && !getdns_dict_get_int(rr, "type", &type) &&
			    type == GETDNS_RRTYPE_NSEC3 && cut_nsec3(rr, name, &h))
				return 1;
		}
	}
	return 0;
}
