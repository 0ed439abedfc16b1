/* SPDX-License-Identifier: MIT */
/*
 * resolver_denial.h - a check getdns 1.6 gets wrong in NSEC3 denials
 * (private).
 *
 * An NSEC3 name-error proof names a closest encloser: an existing ancestor
 * of the denied name. If that ancestor is a delegation (NS without SOA) or
 * a DNAME, the parent zone knows nothing below it and its NSEC3 chain
 * proves nothing there (RFC 5155 s8.3). getdns 1.6 reads the closest
 * encloser's type bitmap from the wrong rdata field (dnssec.c,
 * key_proves_nonexistance: field 1, the flags, instead of 5), so it never
 * sees the delegation: the parent's NSEC3 records "prove" that any name in
 * a child zone, signed or not, does not exist, and getdns reports SECURE.
 */
#ifndef XDANE_RESOLVER_DENIAL_H
#define XDANE_RESOLVER_DENIAL_H

#include <getdns/getdns.h>

/*
 * xdane_denial_crosses_cut - 1 if reply carries an NSEC3 that matches a
 * proper ancestor of name (no trailing dot, escapes as getdns writes them,
 * any case) below the NSEC3's zone and marks a delegation or a DNAME there;
 * a denial of name in that reply is then not proven. Also 1 (unproven, not
 * hashed) if such an NSEC3 has more than 2500 iterations (getdns' limit),
 * other parameters than the reply's first one or an unreadable owner, or if
 * name is unreadable. 0 otherwise.
 */
int xdane_denial_crosses_cut(const getdns_dict *reply, const char *name);

#endif
