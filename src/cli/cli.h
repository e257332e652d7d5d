/* SPDX-License-Identifier: MIT */
/*
 * The command lines of both programs: a table of subcommands (main.c for
 * tdxup, emu/cli/main.c for tdxup-emu), one file per subcommand (cmd_*.c)
 * and the helpers they share (cli_util.c, linked into both). A new
 * subcommand is a `const struct cli_cmd` in its own file plus one line in
 * a table.
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

/*
 * Exit codes, one table for every command of both programs (printed by
 * `tdxup --help` from cli_exit_table). Commands use the ones that apply.
 */
enum {
	CLI_OK		= 0,	/* success; every check passed */
	CLI_FAIL	= 1,	/* a check failed, invalid input, or an I/O error */
	CLI_USAGE	= 2,	/* bad command line */
	CLI_REFUSED	= 3,	/* refused before anything was changed */
	CLI_BUSY	= 4,	/* still busy at the deadline; nothing changed */
	CLI_UPD_FAILED	= 5,	/* the update failed; nothing changed */
	CLI_LOST	= 6,	/* the TDX module is lost: reboot */
};

extern const char cli_exit_table[];

struct cli_cmd {
	const char *name;
	const char *summary;		/* one line for `tdxup --help` */
	/* argv[0] is the subcommand's name; returns an exit code. */
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
	void (*usage)(FILE *f);		/* full help text */
};

/* A program: its commands and the paragraph of its --help. */
struct cli_prog_desc {
	const char *blurb;
	const struct cli_cmd *const *cmds;
	size_t nr_cmds;
};

/* main() of either program (cli_main.c); returns the exit code. */
int cli_main(const struct cli_prog_desc *p, int argc, char **argv);

extern const char *cli_prog;	/* "tdxup", or "tdxup-emu" run on its own */

/* The version of both programs (CMake's project version). */
extern const char cli_version[];
/* `PROG --version`: one line on stdout; returns CLI_OK. */
int cli_print_version(void);

/* A subcommand of a subcommand (`image inspect`); tables end with { NULL }. */
struct cli_subcmd {
	const char *name;
	int (*run)(const struct cli_cmd *cmd, int argc, char **argv);
};

/* argv[1] names the subcommand; it gets argv + 1. Returns an exit code. */
int cli_run_subcmd(const struct cli_cmd *cmd, const struct cli_subcmd *subs, int argc,
		   char **argv);

/*
 * Run `tdxup-emu [PREFIX] ARGV...` in this process's place, as git runs its
 * subcommands: the tdxup-emu beside this binary first, then one on PATH.
 * argv[0] is the (sub)command's own name, so `tdxup lab -s 2` becomes
 * `tdxup-emu lab -s 2` and, with prefix "image", `tdxup image build ...`
 * becomes `tdxup-emu image build ...`. Returns only on failure, with an
 * exit code, having said that the emulator is not installed.
 */
int cli_exec_emu(const char *prefix, int argc, char **argv);

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
/* "0x100" / "0x200" (also "256" / "512") -> version; -EINVAL otherwise. */
int cli_parse_image_format(const char *s, unsigned int *version);

/* Read a whole file; on failure print "tdxup: PATH: reason" and return -errno. */
int cli_read_file(const char *path, uint8_t **buf, size_t *len);
int cli_write_file(const char *path, const uint8_t *buf, size_t len);

/* Lower-case hex of buf and a newline into out (cut to size). */
void cli_hex_line(char *out, size_t size, const uint8_t *buf, size_t len);
/* Lower-case hex of buf as a JSON string (NULL on allocation failure). */
json_t *cli_json_hex(const uint8_t *buf, size_t len);
/* "0x..." of v as a JSON string, with at least `digits` hex digits. */
json_t *cli_json_hexnum(uint64_t v, int digits);
/* Print v (indented, keys in insertion order) and a newline; takes the reference. */
int cli_json_print(json_t *v);

struct tdx_attestation;
/*
 * The attestation values as verifier allowlists take them (`image inspect
 * --attestation --json`, update's "attestation"): mrseam, mrsignerseam
 * (null when unknown) and its note, signer, seam_svn {major, minor},
 * tee_tcb_svn_prefix (minor byte then major, hex), module_version (null
 * when NULL).
 */
json_t *cli_json_attestation(const struct tdx_attestation *a, const char *module_version);

#endif /* TDXUP_CLI_H */
