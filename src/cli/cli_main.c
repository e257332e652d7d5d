// SPDX-License-Identifier: MIT
/*
 * main() of both programs: find the subcommand in the program's table and
 * hand it the rest of argv; `--help`, `help COMMAND` and `--version` are
 * answered here, the same way in both.
 */
#include <errno.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *f, const struct cli_prog_desc *p)
{
	fprintf(f,
		"usage: %1$s COMMAND [ARGS...]\n"
		"       %1$s help COMMAND | COMMAND --help\n"
		"       %1$s --version\n"
		"\n%2$s\n"
		"commands:\n", cli_prog, p->blurb);
	for (size_t i = 0; i < p->nr_cmds; i++)
		fprintf(f, "  %-10s %s\n", p->cmds[i]->name, p->cmds[i]->summary);
	fprintf(f, "\n%s`%s help COMMAND` says what each command checks and returns.\n",
		cli_exit_table, cli_prog);
}

static const struct cli_cmd *find_command(const struct cli_prog_desc *p, const char *name)
{
	for (size_t i = 0; i < p->nr_cmds; i++)
		if (!strcmp(p->cmds[i]->name, name))
			return p->cmds[i];
	return NULL;
}

static int unknown_command(const struct cli_prog_desc *p, const char *name)
{
	cli_err("unknown command '%s'", name);
	fputc('\n', stderr);
	usage(stderr, p);
	return CLI_USAGE;
}

/* `PROG help [COMMAND]` */
static int help(const struct cli_prog_desc *p, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	char *args[] = { NULL, (char *)"--help" };

	if (argc < 3) {
		usage(stdout, p);
		return CLI_OK;
	}
	if (argc > 3) {
		cli_err("help: too many arguments");
		return CLI_USAGE;
	}
	cmd = find_command(p, argv[2]);
	if (!cmd)
		return unknown_command(p, argv[2]);
	if (!cmd->usage) {
		/* A command that runs elsewhere has its help there too. */
		args[0] = argv[2];
		return cmd->run(cmd, 2, args);
	}
	return cli_help(cmd);
}

static int dispatch(const struct cli_prog_desc *p, int argc, char **argv)
{
	const struct cli_cmd *cmd;
	const char *name;

	if (argc < 2) {
		usage(stderr, p);
		return CLI_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(stdout, p);
		return CLI_OK;
	}
	if (!strcmp(name, "--version") || !strcmp(name, "version"))
		return argc == 2 ? cli_print_version() : (cli_err("--version takes no arguments"),
							    CLI_USAGE);
	if (!strcmp(name, "help"))
		return help(p, argc, argv);
	if (name[0] == '-') {
		cli_err("unknown option '%s'", name);
		fputc('\n', stderr);
		usage(stderr, p);
		return CLI_USAGE;
	}
	cmd = find_command(p, name);
	if (!cmd)
		return unknown_command(p, name);
	return cmd->run(cmd, argc - 1, argv + 1);
}

int cli_main(const struct cli_prog_desc *p, int argc, char **argv)
{
	int ret = dispatch(p, argc, argv), werr;

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
