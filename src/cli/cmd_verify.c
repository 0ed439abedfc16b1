/* SPDX-License-Identifier: MIT */
/* cmd_verify.c - placeholder until the subcommand lands. */
#include <stdio.h>
#include "cli.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xmpp-dane verify: not implemented yet\n");
	return 2;
}
