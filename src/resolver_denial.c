/* SPDX-License-Identifier: MIT */
/* resolver_denial.c - NSEC3 closest enclosers at a zone cut (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/sha.h>
#include <getdns/getdns_extra.h>
#include "resolver_denial.h"

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

/* lower_wire - a wire name (256 bytes at most, from getdns) lowercased into out (256 bytes); its length, 0 if malformed. */
static size_t lower_wire(const unsigned char *wire, size_t size, unsigned char *out)
{
	size_t n = 0, j;

	while (n < size && wire[n]) {
		size_t len = wire[n];
		if (len > 63 || n + 1 + len >= size || n + 1 + len >= 255)
			return 0;
		out[n] = wire[n];
		for (j = 1; j <= len; j++)
			out[n + j] = (wire[n + j] >= 'A' && wire[n + j] <= 'Z') ? (unsigned char)(wire[n + j] - 'A' + 'a') : wire[n + j];
		n += 1 + len;
	}
	if (n >= size)
		return 0;
	out[n++] = 0;
	return n;
}

/* nsec3_label - RFC 5155 s5 hash (SHA-1, iterations, salt) of a canonical wire name as base32hex (lowercase) into out (33 bytes). */
static void nsec3_label(const unsigned char *wire, size_t n, uint32_t iterations, const getdns_bindata *salt, char *out)
{
	static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
	unsigned char buf[255 + 255], md[SHA_DIGEST_LENGTH];
	size_t i, bits = 0, k = 0;
	uint32_t acc = 0;

	memcpy(buf, wire, n);
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
}

/*
 * the denied name in canonical wire form and its ancestor hashes under one
 * NSEC3 parameter set, computed once: the zone's NSEC3 records all share
 * its NSEC3PARAM, so a reply is hashed at most once per ancestor, no more
 * than getdns' own proof check does.
 */
struct hashes {
	unsigned char name[256];
	size_t len;
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

/*
 * cut_nsec3 - rr is an NSEC3 (SHA-1) at a delegation or DNAME that matches
 * a proper ancestor of the name in its zone. Names are compared as wire
 * labels: text would split escaped dots and could not hash escaped octets.
 */
static int cut_nsec3(const getdns_dict *rr, struct hashes *h)
{
	getdns_bindata *owner, *salt, *bm;
	unsigned char o[256];
	uint32_t alg, iterations;
	size_t olen, zone, zlen, zat, at, depth;

	if (getdns_dict_get_bindata(rr, "name", &owner) || getdns_dict_get_int(rr, "/rdata/hash_algorithm", &alg) ||
	    alg != 1 || getdns_dict_get_int(rr, "/rdata/iterations", &iterations) ||
	    getdns_dict_get_bindata(rr, "/rdata/salt", &salt) || getdns_dict_get_bindata(rr, "/rdata/type_bit_maps", &bm))
		return 0;
	if (!(bitmap_has(bm, GETDNS_RRTYPE_NS) && !bitmap_has(bm, GETDNS_RRTYPE_SOA)) &&
	    !bitmap_has(bm, GETDNS_RRTYPE_DNAME))
		return 0;
	/* not hashed, hence unproven: more iterations than getdns accepts, mixed parameters, an unreadable owner */
	if (iterations > XDANE_NSEC3_ITERATIONS_MAX || salt->size > 255 || !same_params(h, iterations, salt) ||
	    !(olen = lower_wire(owner->data, owner->size, o)))
		return 1;
	if (o[0] != 32)
		return 0; /* a SHA-1 hash label is 32 base32hex characters */
	zone = 1 + 32; /* the owner's zone: the rest of the owner name */
	zlen = olen - zone;
	/* the zone must be a suffix of the name at a label boundary */
	for (zat = 0; zat < h->len; zat += h->name[zat] + 1u)
		if (h->len - zat == zlen && !memcmp(h->name + zat, o + zone, zlen))
			break;
	if (zat >= h->len)
		return 0;
	/* every proper ancestor of the name strictly below the zone */
	for (at = h->name[0] + 1u, depth = 0; at < zat && depth < 128; at += h->name[at] + 1u, depth++) {
		if (!h->label[depth][0])
			nsec3_label(h->name + at, h->len - at, iterations, salt, h->label[depth]);
		if (!memcmp(o + 1, h->label[depth], 32))
			return 1;
	}
	return 0;
}

/* xdane_denial_crosses_cut - see resolver_denial.h */
int xdane_denial_crosses_cut(const getdns_dict *reply, const char *name)
{
	static const char *const sections[] = { "answer", "authority" };
	struct hashes h;
	getdns_bindata *wire = NULL;
	char fqdn[258];
	size_t s, i, n;

	memset(&h, 0, sizeof h);
	/* the name as getdns writes it (escapes included) in canonical wire form; unreadable: unproven */
	if ((size_t)snprintf(fqdn, sizeof fqdn, "%s.", name) >= sizeof fqdn ||
	    getdns_convert_fqdn_to_dns_name(fqdn, &wire) || !wire)
		return 1;
	h.len = lower_wire(wire->data, wire->size, h.name);
	free(wire->data);
	free(wire);
	if (!h.len)
		return 1;
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
			    type == GETDNS_RRTYPE_NSEC3 && cut_nsec3(rr, &h))
				return 1;
		}
	}
	return 0;
}
