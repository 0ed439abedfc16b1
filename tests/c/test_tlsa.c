/* SPDX-License-Identifier: MIT */
/* test_tlsa.c - TLSA parsing, usability, formatting and usage names (table-driven). */
#include <stdlib.h>
#include <string.h>
#include "tap.h"
#include "xdane_tlsa.h"

#define H32 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static const struct parse_case {
	const char *name, *text;
	int rc;              /* expected return */
	const char *format;  /* expected xdane_tlsa_format on success */
} parse_cases[] = {
	{ "plain", "3 1 1 " H32, 1, "3 1 1 " H32 },
	{ "F10a uppercase split by spaces", "3 1 1 E3B0C442 98FC1C14 9AFBF4C8 996FB924 27AE41E4 649B934C A495991B 7852B855", 1, "3 1 1 " H32 },
	{ "tabs and newlines inside hex", " 3\t1 1\nE3b0c442\t98fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n", 1, "3 1 1 " H32 },
	{ "unknown values parse (usability is separate)", "255 7 254 00", 1, "255 7 254 00" },
	{ "field 256", "256 1 1 00", 0, NULL },
	{ "negative field", "-1 1 1 00", 0, NULL },
	{ "missing field", "3 1", 0, NULL },
	{ "missing data", "3 1 1", 0, NULL },
	{ "missing data with spaces", "3 1 1   ", 0, NULL },
	{ "odd hex digits", "3 1 1 abc", 0, NULL },
	{ "bad hex digit", "3 1 1 zz", 0, NULL },
	{ "field glued to text", "3x 1 1 00", 0, NULL },
	{ "empty", "", 0, NULL },
	{ "four-digit field", "0003 1 1 00", 0, NULL },
};

static const struct usable_case {
	const char *name;
	uint8_t u, s, m;
	size_t len;
	unsigned uses;
	int usable;
	const char *why;
} usable_cases[] = {
	{ "3 1 1 with 32 bytes", 3, 1, 1, 32, XDANE_USES_DEFAULT, 1, NULL },
	{ "3 1 2 with 64 bytes", 3, 1, 2, 64, XDANE_USES_DEFAULT, 1, NULL },
	{ "F10b 3 1 1 with 31 bytes", 3, 1, 1, 31, XDANE_USES_DEFAULT, 0, "digest length" },
	{ "F10d 3 1 2 with 32 bytes", 3, 1, 2, 32, XDANE_USES_DEFAULT, 0, "digest length" },
	{ "F10c 3 1 1 empty", 3, 1, 1, 0, XDANE_USES_DEFAULT, 0, "empty data" },
	{ "F10e selector 2", 3, 2, 1, 32, XDANE_USES_DEFAULT, 0, "unknown selector" },
	{ "F10e mtype 255", 3, 1, 255, 32, XDANE_USES_DEFAULT, 0, "unknown matching type" },
	{ "F11c usage 4", 4, 1, 1, 32, XDANE_USES_ALL, 0, "unknown usage" },
	{ "usage 255 PrivCert", 255, 1, 1, 32, XDANE_USES_ALL, 0, "unknown usage" },
	{ "F11a PKIX-EE not enabled by default", 1, 1, 1, 32, XDANE_USES_DEFAULT, 0, "usage not enabled" },
	{ "F11b PKIX-TA not enabled by default", 0, 0, 1, 32, XDANE_USES_DEFAULT, 0, "usage not enabled" },
	{ "PKIX-EE enabled", 1, 1, 1, 32, XDANE_USES_ALL, 1, NULL },
	{ "3 0 0 garbage cert", 3, 0, 0, 40, XDANE_USES_DEFAULT, 0, "certificate does not decode" },
	{ "2 1 0 garbage key", 2, 1, 0, 40, XDANE_USES_DEFAULT, 0, "public key does not decode" },
};

static const struct uses_case {
	const char *list;
	int rc;
	unsigned uses;
} uses_cases[] = {
	{ "DANE-EE,DANE-TA", 1, XDANE_USES_DEFAULT },
	{ "dane-ee dane-ta", 1, XDANE_USES_DEFAULT },
	{ "PKIX-CA", 1, 1u << 0 },
	{ "PKIX-TA,PKIX-EE,DANE-TA,DANE-EE", 1, XDANE_USES_ALL },
	{ " , DANE-EE ,", 1, 1u << 3 },
	{ "BOGUS", 0, 0 },
	{ "DANE-EE,BOGUS", 0, 0 },
	{ "", 0, 0 },
	{ ",", 0, 0 },
	{ "DANE-EEX", 0, 0 },
};

/* test_parse - presentation form table. */
static void test_parse(void)
{
	size_t i;
	for (i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case *c = &parse_cases[i];
		xdane_tlsa r;
		char err[200] = "";
		int rc = xdane_tlsa_parse(c->text, &r, err, sizeof err);
		tap_ok(rc == c->rc, "parse %s: rc %d", c->name, rc);
		if (rc > 0 && c->format) {
			char *f = xdane_tlsa_format(&r);
			tap_ok(f && !strcmp(f, c->format), "parse %s: formats as %s", c->name, f ? f : "(null)");
			free(f);
			xdane_tlsa_clear(&r);
		}
		if (rc == 0)
			tap_ok(err[0] != '\0', "parse %s: error message (%s)", c->name, err);
	}
}

/* test_rdata - wire form, copy and clear. */
static void test_rdata(void)
{
	unsigned char wire[35] = { 3, 1, 1 };
	xdane_tlsa r, c, p;
	char *f;
	memset(wire + 3, 0xab, 32);
	tap_ok(xdane_tlsa_from_rdata(wire, sizeof wire, &r) == 1 && r.usage == 3 && r.selector == 1 &&
	       r.mtype == 1 && r.len == 32 && r.data[31] == 0xab, "rdata decodes");
	tap_ok(xdane_tlsa_from_rdata(wire, 3, &c) == 0, "rdata of 3 octets refused");
	tap_ok(xdane_tlsa_from_rdata(wire, 0, &c) == 0, "empty rdata refused");
	tap_ok(xdane_tlsa_copy(&c, &r) == 1 && c.data != r.data && c.len == 32 &&
	       !memcmp(c.data, r.data, 32), "copy is deep");
	f = xdane_tlsa_format(&r);
	tap_ok(f && xdane_tlsa_parse(f, &p, NULL, 0) == 1 && p.len == r.len &&
	       !memcmp(p.data, r.data, r.len), "format then parse round-trips");
	free(f);
	xdane_tlsa_clear(&p);
	xdane_tlsa_clear(&r);
	xdane_tlsa_clear(&r);
	tap_ok(r.data == NULL && r.len == 0, "clear twice is safe");
	xdane_tlsa_clear(&c);
	xdane_tlsa_clear(NULL);
}

/* test_usable - RFC 6698 s4.1 table. */
static void test_usable(void)
{
	size_t i;
	for (i = 0; i < sizeof usable_cases / sizeof usable_cases[0]; i++) {
		const struct usable_case *c = &usable_cases[i];
		unsigned char data[64];
		xdane_tlsa r;
		const char *why = "unset";
		int rc;
		memset(data, 0x5a, sizeof data);
		r.usage = c->u;
		r.selector = c->s;
		r.mtype = c->m;
		r.len = c->len;
		r.data = c->len ? data : NULL;
		rc = xdane_tlsa_usable(&r, c->uses, &why);
		tap_ok(rc == c->usable && (c->why == NULL ? why == NULL : why && !strcmp(why, c->why)),
		       "usable %s: %d (%s)", c->name, rc, why ? why : "-");
	}
}

/* test_names - usage names, the PKIX-CA alias, uses lists. */
static void test_names(void)
{
	size_t i;
	tap_ok(xdane_usage_from_name("PKIX-CA") == 0 && xdane_usage_from_name("pkix-ta") == 0,
	       "PKIX-CA is an alias of PKIX-TA");
	tap_ok(xdane_usage_from_name("DANE-EE") == 3 && xdane_usage_from_name("DANE-TA") == 2 &&
	       xdane_usage_from_name("PKIX-EE") == 1, "usage names");
	tap_ok(xdane_usage_from_name("BOGUS") == -1 && xdane_usage_from_name(NULL) == -1, "unknown name is -1");
	tap_ok(!strcmp(xdane_usage_name(0), "PKIX-TA") && !strcmp(xdane_usage_name(3), "DANE-EE") &&
	       !strcmp(xdane_usage_name(255), "PrivCert") && !strcmp(xdane_usage_name(9), "unassigned"),
	       "usage_name");
	for (i = 0; i < sizeof uses_cases / sizeof uses_cases[0]; i++) {
		const struct uses_case *c = &uses_cases[i];
		unsigned u = 0xdead;
		char err[128] = "";
		int rc = xdane_uses_parse(c->list, &u, err, sizeof err);
		tap_ok(rc == c->rc && (rc == 0 ? err[0] != '\0' && u == 0xdead : u == c->uses),
		       "uses '%s': rc %d uses %#x %s", c->list, rc, u, err);
	}
}

int main(void)
{
	tap_diag("TLSA parsing and usability");
	test_parse();
	test_rdata();
	test_usable();
	test_names();
	return tap_done();
}
