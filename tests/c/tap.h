/* SPDX-License-Identifier: MIT */
/* tap.h - minimal TAP output for C test programs: "ok N - name" / "not ok N - name". */
#ifndef XDANE_TAP_H
#define XDANE_TAP_H
#include <stdio.h>
#include <stdarg.h>

static int tap_n, tap_failed;

/* tap_ok - record one assertion; returns cond so callers can chain diagnostics. */
static int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!cond)
		tap_failed++;
	return cond;
}

/* tap_diag - a comment line, shown on failure investigation. */
static void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* tap_done - exit status for main: nonzero if anything failed. */
static int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
