/* SPDX-License-Identifier: MIT */
/* main.c - xmpp-dane: dispatch to a subcommand; small helpers they share. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int, char **);
	const char *summary;
} commands[] = {
	{ "verify", cmd_verify, "verify a certificate chain against TLSA records" },
	{ "tlsa", cmd_tlsa, "print the TLSA record for a certificate" },
	{ "lookup", cmd_lookup, "look up SRV and TLSA records with their DNSSEC status" },
	{ "check", cmd_check, "check a live XMPP server against its TLSA records" },
};

/* usage - top-level help. */
static void usage(FILE *out)
{
	size_t i;
	fprintf(out, "usage: xmpp-dane COMMAND [OPTIONS]   (xmpp-dane COMMAND --help)\n\ncommands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
}

/* cli_opt - "--name VALUE" or "--name=VALUE". */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val, const char *cmd)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "xmpp-dane %s: %s needs a value\n", cmd, name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

/* cli_read_file - whole file, NUL-terminated. */
char *cli_read_file(const char *path, size_t *len, const char *cmd)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0, r;
	if (f == NULL) {
		fprintf(stderr, "xmpp-dane %s: cannot read %s: %s\n", cmd, path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - n < 4096) {
			if (cap > (64u << 20)) {
				fprintf(stderr, "xmpp-dane %s: %s is too large\n", cmd, path);
				goto fail;
			}
			nb = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (nb == NULL) {
				fprintf(stderr, "xmpp-dane %s: out of memory\n", cmd);
				goto fail;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "xmpp-dane %s: cannot read %s: %s\n", cmd, path, strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	size_t i;
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "xmpp-dane: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
