/* SPDX-License-Identifier: MIT */
/* cli.h - subcommands of xmpp-dane. Each returns the process exit status:
 * 0 success/authenticated, 1 negative answer, 2 usage error, 3 DNS failure. */
#ifndef XDANE_CLI_H
#define XDANE_CLI_H

#include <stddef.h>

int cmd_verify(int argc, char **argv);
int cmd_tlsa(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_check(int argc, char **argv);

/*
 * cli_opt - match option name at argv[*i], as "--name VALUE" or "--name=VALUE".
 * Returns 1 with *val set (and *i advanced past a separate value), 0 if argv[*i]
 * is another option, -1 if the value is missing (message printed for cmd).
 */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val, const char *cmd);

/*
 * cli_read_file - whole file into a NUL-terminated malloc'd buffer; NULL with a
 * message "xmpp-dane CMD: cannot read PATH: reason" on stderr.
 */
char *cli_read_file(const char *path, size_t *len, const char *cmd);

#endif
