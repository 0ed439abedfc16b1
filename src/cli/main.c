/* SPDX-License-Identifier: MIT */
/* main.c - xmpp-dane: dispatch to a subcommand. */
#include <stdio.h>
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
