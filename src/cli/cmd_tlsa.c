/* SPDX-License-Identifier: MIT */
/* cmd_tlsa.c - placeholder until the subcommand lands. */
#include <stdio.h>
#include "cli.h"

int cmd_tlsa(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "xmpp-dane tlsa: not implemented yet\n");
	return 2;
}
