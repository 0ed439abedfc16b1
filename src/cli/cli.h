/* SPDX-License-Identifier: MIT */
/* cli.h - subcommands of xmpp-dane. Each returns the process exit status:
 * 0 success/authenticated, 1 negative answer, 2 usage error, 3 DNS failure. */
#ifndef XDANE_CLI_H
#define XDANE_CLI_H

int cmd_verify(int argc, char **argv);
int cmd_tlsa(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_check(int argc, char **argv);

#endif
