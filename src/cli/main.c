// SPDX-License-Identifier: MIT
/*
 * tdxup: TDX module runtime update, emulated and real. main() only finds
 * the subcommand in the table below and hands it the rest of argv.
 */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"

/* One line per subcommand; the order is the order of `tdxup --help`. */
static const struct cli_cmd *const commands[] = {
	&cmd_lab,
	&cmd_status,
	&cmd_select,
	&cmd_update,
	&cmd_serve,
	&cmd_image,
	&cmd_measure,
	&cmd_demo,
};

#define NR_COMMANDS	(sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [ARGS...]\n"
		"       %s help COMMAND | COMMAND --help\n"
		"\n"
		"Runtime (TD-preserving) update of the Intel TDX module: tools for module\n"
		"images and measurements, and an emulated TDX host.\n"
		"\n"
		"commands:\n", cli_prog, cli_prog);
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(f,
		"\n"
		"exit status (every command):\n"
		"  0  success: the command did what was asked and every check passed\n"
		"  1  a check failed, or the input was invalid (unreadable file, malformed\n"
		"     image, unknown module version); the reason is printed on stderr\n"
		"  2  usage error: unknown command or option, missing or malformed argument\n"
		"`%s help COMMAND` says what each command checks and returns.\n", cli_prog);
}

static const struct cli_cmd *find_command(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

static int unknown_command(const char *name)
{
	cli_err("unknown command '%s'", name);
	fputc('\n', stderr);
	usage(stderr);
	return CLI_USAGE;
}

/* `tdxup help [COMMAND]` */
static int help(int argc, char **argv)
{
	const struct cli_cmd *cmd;

	if (argc < 3) {
		usage(stdout);
		return CLI_OK;
	}
	if (argc > 3) {
		cli_err("help: too many arguments");
		return CLI_USAGE;
	}
	cmd = find_command(argv[2]);
	if (!cmd)
		return unknown_command(argv[2]);
	return cli_help(cmd);
}

int main(int argc, char **argv)
{
	const struct cli_cmd *cmd;
	const char *name;
	int ret, werr;

	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(name, "help"))
		return help(argc, argv);
	if (name[0] == '-') {
		cli_err("unknown option '%s'", name);
		fputc('\n', stderr);
		usage(stderr);
		return CLI_USAGE;
	}
	cmd = find_command(name);
	if (!cmd)
		return unknown_command(name);
	ret = cmd->run(cmd, argc - 1, argv + 1);
	/* Scripts read stdout: a full disk must not pass for success. */
	werr = fflush(stdout) ? errno : 0;
	if (werr || ferror(stdout)) {
		cli_err("cannot write to standard output%s%s", werr ? ": " : "",
			werr ? strerror(werr) : "");
		if (ret == CLI_OK)
			ret = CLI_FAIL;
	}
	return ret;
}
