/* SPDX-License-Identifier: MIT */
/* resolver_name.c - name checks and IDN to A-label conversion. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <getdns/getdns.h>
#include "resolver_name.h"

/* seterr - message into err if there is room. */
static int seterr(char *err, size_t errlen, const char *msg, const char *name)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: '%.200s'", msg, name);
	return 0;
}

/* xdane_name_normalize - see resolver_name.h */
int xdane_name_normalize(const char *in, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *p;
	char *alabel = NULL;
	const char *name = in;
	size_t len, label = 0, i;
	int nonascii = 0;

	if (!in || !*in)
		return seterr(err, errlen, "empty name", "");
	for (p = in; *p; p++)
		if ((unsigned char)*p >= 0x80)
			nonascii = 1;
	if (nonascii) {
		/* IDNA2008 through getdns (libidn2) */
		alabel = getdns_convert_ulabel_to_alabel(in);
		if (!alabel)
			return seterr(err, errlen, "cannot convert internationalized name", in);
		name = alabel;
	}
	len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		len--;
	if (len == 0 || len >= outlen || len > 253) {
		free(alabel);
		return seterr(err, errlen, len == 0 ? "empty name" : "name too long", in);
	}
	for (i = 0; i < len; i++) {
		char c = name[i];
		if (c == '.') {
			if (label == 0) {
				free(alabel);
				return seterr(err, errlen, "empty label in name", in);
			}
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
			if (++label > 63) {
				free(alabel);
				return seterr(err, errlen, "label longer than 63 octets", in);
			}
		} else {
			free(alabel);
			return seterr(err, errlen, "invalid character in name", in);
		}
		out[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[len] = '\0';
	free(alabel);
	return 1;
}

/* xdane_wire_name - see resolver_name.h */
int xdane_wire_name(const getdns_bindata *wire, char *out, size_t len)
{
	char *fqdn = NULL, *p;
	size_t l;

	if (!wire || getdns_convert_dns_name_to_fqdn(wire, &fqdn) || !fqdn)
		return 0;
	l = strlen(fqdn);
	if (l && fqdn[l - 1] == '.')
		fqdn[--l] = '\0';
	if (l >= len) {
		free(fqdn);
		return 0;
	}
	for (p = fqdn; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	memcpy(out, fqdn, l + 1);
	free(fqdn);
	return 1;
}
