/* SPDX-License-Identifier: MIT */
/* cmd_lookup.c - placeholder until the subcommand lands. */
#include <stdio.h>
#include "cli.h"

int cmd_lookup(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xmpp-dane lookup: not implemented yet\n");
	return 2;
}
