/* SPDX-License-Identifier: MIT */
/* resolver_name.h - query names for SRV and TLSA lookups, names read from replies (private). */
#ifndef XDANE_RESOLVER_NAME_H
#define XDANE_RESOLVER_NAME_H

#include <stddef.h>
#include <getdns/getdns.h>

/*
 * xdane_name_normalize - host or domain name to the lowercase A-label form
 * without a trailing dot (Unicode labels converted with IDNA through getdns).
 * Returns 1 ok, 0 invalid (err says why).
 */
int xdane_name_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen);

/*
 * xdane_wire_name - a wire-format name (from a getdns reply) as lowercase
 * text without the trailing dot ("" for the root). Returns 1 ok, 0 if it is
 * unreadable or does not fit in len.
 */
int xdane_wire_name(const getdns_bindata *wire, char *out, size_t len);

#endif
