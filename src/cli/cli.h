/* SPDX-License-Identifier: MIT */
/*
 * The tdxup command line: a table of subcommands (main.c), one file per
 * subcommand (cmd_*.c) and the helpers they share (cli_util.c). A new
 * subcommand is a `const struct cli_cmd` in its own file plus one line in
 * the table in main.c.
 */
#ifndef TDXUP_CLI_H
#define TDXUP_CLI_H

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes, the same for every subcommand (documented in --help). */
enum {
	CLI_OK		= 0,	/* success; every check passed */
	CLI_FAIL	= 1,	/* a check failed, or the input is invalid */
	CLI_USAGE	= 2,	/* bad command line */
};

struct cli_cmd {
	const char *name;
	const char *summary;		/* one line for `tdxup --help` */
	/* argv[0] is the subcommand's name; returns an exit code. */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
	void (*usage)(FILE *f);		/* full help text */
};

extern const struct cli_cmd cmd_image;
extern const struct cli_cmd cmd_measure;
extern const struct cli_cmd cmd_demo;
extern const struct cli_cmd cmd_lab;
extern const struct cli_cmd cmd_status;
extern const struct cli_cmd cmd_select;
extern const struct cli_cmd cmd_update;
extern const struct cli_cmd cmd_serve;

extern const char *const cli_prog;	/* "tdxup" */

/* "tdxup: message" on stderr. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "tdxup: message", then the command's usage, on stderr; returns CLI_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The command's usage on stdout; returns CLI_OK (for --help). */
int cli_help(const struct cli_cmd *cmd);

/*
 * getopt_long() with the conventions every subcommand shares: options may
 * follow operands, `--help`/`-h` is always there, and an unknown option or
 * a missing argument is reported once, here. Call cli_getopt_reset() before
 * the first cli_getopt() of a parse. Returns the option, -1 at the end, or
 * '?' after reporting an error (the caller returns CLI_USAGE).
 */
void cli_getopt_reset(void);
int cli_getopt(const struct cli_cmd *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/*
 * The option loop of a command whose only option is --json (and --help).
 * Returns -1 to go on with *json set, else the exit code to return now.
 */
int cli_getopt_json_only(const struct cli_cmd *cmd, int argc, char **argv, bool *json);

/* Unsigned number: 0x-prefixed hex or decimal, nothing else; -EINVAL. */
int cli_parse_u64(const char *s, uint64_t *v);
/* 32-bit hex, 0x optional, as CPUID values are usually written; -EINVAL. */
int cli_parse_hex32(const char *s, uint32_t *v);

/* Read a whole file; on failure print "tdxup: PATH: reason" and return -errno. */
int cli_read_file(const char *path, uint8_t **buf, size_t *len);
int cli_write_file(const char *path, const uint8_t *buf, size_t len);

/* Lower-case hex of buf as a JSON string (NULL on allocation failure). */
json_t *cli_json_hex(const uint8_t *buf, size_t len);
/* "0x..." of v as a JSON string, with at least `digits` hex digits. */
json_t *cli_json_hexnum(uint64_t v, int digits);
/* Print v (indented, keys in insertion order) and a newline; takes the reference. */
int cli_json_print(json_t *v);

#endif /* TDXUP_CLI_H */
