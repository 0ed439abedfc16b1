/* SPDX-License-Identifier: MIT */
/*
 * xdane_tlsa.h - TLSA records (RFC 6698 s2, RFC 7218 names, RFC 7671 s4/s9)
 *
 * A record is a plain struct that owns its association data. Parsing never
 * decides usability: a record can be well-formed yet unusable (unknown usage,
 * wrong digest length, usage disabled by dane_uses). Unusable records are
 * ignored by the verifier, never an error.
 *
 * Results follow the project convention: >0 success, 0 well-formed "no"
 * (malformed input, unusable record), <0 internal error (out of memory).
 */
#ifndef XDANE_TLSA_H
#define XDANE_TLSA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum xdane_usage {
	XDANE_USAGE_PKIX_TA = 0,
	XDANE_USAGE_PKIX_EE = 1,
	XDANE_USAGE_DANE_TA = 2,
	XDANE_USAGE_DANE_EE = 3
};
enum xdane_selector { XDANE_SELECTOR_CERT = 0, XDANE_SELECTOR_SPKI = 1 };
enum xdane_mtype { XDANE_MTYPE_FULL = 0, XDANE_MTYPE_SHA256 = 1, XDANE_MTYPE_SHA512 = 2 };

/* Bit set of enabled usages: bit (1u << usage). */
#define XDANE_USES_DEFAULT ((1u << XDANE_USAGE_DANE_TA) | (1u << XDANE_USAGE_DANE_EE))
#define XDANE_USES_ALL 0x0fu

typedef struct xdane_tlsa {
	uint8_t usage;
	uint8_t selector;
	uint8_t mtype;
	size_t len;          /* length of data */
	unsigned char *data; /* owned, malloc'd; NULL when len == 0 */
} xdane_tlsa;

/*
 * xdane_tlsa_parse - parse presentation form "U S M HEX"
 *
 * Fields are decimal 0..255; HEX is case-insensitive and may contain
 * whitespace. On success (1) *out owns fresh data. Returns 0 for malformed
 * text with a message in err (if errlen > 0), <0 when out of memory.
 */
int xdane_tlsa_parse(const char *text, xdane_tlsa *out, char *err, size_t errlen);

/*
 * xdane_tlsa_from_rdata - decode TLSA wire rdata (3 octets + association data)
 *
 * Returns 1 and fills *out, 0 if rdata is shorter than 4 octets, <0 on OOM.
 */
int xdane_tlsa_from_rdata(const unsigned char *rdata, size_t len, xdane_tlsa *out);

/* xdane_tlsa_copy - deep copy; 1 ok, <0 OOM. */
int xdane_tlsa_copy(xdane_tlsa *dst, const xdane_tlsa *src);

/* xdane_tlsa_clear - free the data of one record; NULL and empty are no-ops. */
void xdane_tlsa_clear(xdane_tlsa *rec);

/*
 * xdane_tlsa_usable - RFC 6698 s4.1 usability of one record under "uses"
 *
 * Returns 1 usable, 0 unusable with a static reason in *why (when why is
 * non-NULL): "usage not enabled", "unknown usage", "unknown selector",
 * "unknown matching type", "digest length", "empty data", "certificate does
 * not decode", "public key does not decode".
 */
int xdane_tlsa_usable(const xdane_tlsa *rec, unsigned uses, const char **why);

/*
 * xdane_tlsa_format - presentation form "U S M hex" (lowercase hex, no spaces)
 *
 * Returns a malloc'd string the caller frees, or NULL when out of memory.
 */
char *xdane_tlsa_format(const xdane_tlsa *rec);

/*
 * xdane_usage_from_name - "DANE-EE", "DANE-TA", "PKIX-EE", "PKIX-TA" or its
 * alias "PKIX-CA" (case-insensitive) to a usage number; -1 if unknown.
 */
int xdane_usage_from_name(const char *name);

/* xdane_usage_name - RFC 7218 acronym of a usage ("PKIX-TA" for 0, "PrivCert"
 * for 255), "unassigned" for any other number. Always a static string. */
const char *xdane_usage_name(int usage);

/*
 * xdane_uses_parse - comma/space separated list of usage names to a bit set
 *
 * Returns 1 with *uses set, 0 on an unknown or empty name (err names it).
 */
int xdane_uses_parse(const char *list, unsigned *uses, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
