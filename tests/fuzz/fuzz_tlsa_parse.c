/* SPDX-License-Identifier: MIT */
/*
 * fuzz_tlsa_parse.c - libFuzzer target: TLSA presentation form, usage names
 * and dane_uses lists. Oracles: no crash or sanitizer report; a parsed
 * record formats and re-parses to the same record; usability is decided
 * without error for every uses mask.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xdane_tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* same_record - all fields and data equal. */
static int same_record(const xdane_tlsa *a, const xdane_tlsa *b)
{
	return a->usage == b->usage && a->selector == b->selector && a->mtype == b->mtype &&
	       a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[64];
	xdane_tlsa rec, again, copy;
	unsigned uses = 0;
	int rc;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the API takes C strings: stop at the first NUL */
	rc = xdane_tlsa_parse(text, &rec, err, sizeof err);
	if (rc > 0) {
		char *s = xdane_tlsa_format(&rec);
		const char *why;
		unsigned m;
		if (s == NULL || xdane_tlsa_parse(s, &again, NULL, 0) != 1 || !same_record(&rec, &again))
			abort(); /* format and parse must round-trip */
		xdane_tlsa_clear(&again);
		free(s);
		for (m = 0; m <= XDANE_USES_ALL; m++) {
			why = NULL;
			if (!xdane_tlsa_usable(&rec, m, &why) && why == NULL)
				abort(); /* an unusable record always says why */
		}
		if (xdane_tlsa_copy(&copy, &rec) != 1 || !same_record(&rec, &copy))
			abort();
		xdane_tlsa_clear(&copy);
		xdane_tlsa_clear(&rec);
		xdane_tlsa_clear(&rec); /* clearing twice is allowed */
	} else if (rc == 0 && err[0] == '\0') {
		abort(); /* a refusal carries a message */
	}
	if (xdane_uses_parse(text, &uses, err, sizeof err) > 0 && (uses == 0 || (uses & ~XDANE_USES_ALL)))
		abort();
	(void)xdane_usage_from_name(text);
	(void)xdane_usage_name(size ? data[0] : -1);
	free(text);
	return 0;
}
