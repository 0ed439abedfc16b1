/* SPDX-License-Identifier: MIT */
/* cmd_check.c - placeholder until the subcommand lands. */
#include <stdio.h>
#include "cli.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xmpp-dane check: not implemented yet\n");
	return 2;
}
