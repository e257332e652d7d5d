// SPDX-License-Identifier: MIT
/*
 * The emulator's commands seen from the production tool. tdxup links no
 * emulator code; `tdxup lab`, `tdxup serve` and `tdxup image build/list`
 * run tdxup-emu instead, as git runs git-foo: first the one installed
 * beside this binary (so a build tree or a package works as a unit), then
 * one on PATH.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmds.h"

#define EMU_NAME	"tdxup-emu"
#define EMU_MAX_ARGS	4096

/* DIR/tdxup-emu where DIR holds /proc/self/exe; 0 or -errno. */
static int emu_beside_self(char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	int len;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -ENOENT;
	*slash = '\0';
	len = snprintf(out, size, "%s/%s", self, EMU_NAME);
	if (len < 0 || (size_t)len >= size)
		return -ENAMETOOLONG;
	return access(out, X_OK) ? -errno : 0;
}

int cli_exec_emu(const char *prefix, int argc, char **argv)
{
	char path[PATH_MAX];
	char **args;
	int n = 0;

	if (argc < 1 || argc > EMU_MAX_ARGS)
		return CLI_USAGE;
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!args) {
		cli_err("out of memory");
		return CLI_FAIL;
	}
	/* argv[0] "tdxup": the emulator's messages then read as this tool's. */
	args[n++] = (char *)"tdxup";
	if (prefix)
		args[n++] = (char *)prefix;
	memcpy(args + n, argv, (size_t)argc * sizeof(*args));
	fflush(stdout);
	fflush(stderr);
	if (!emu_beside_self(path, sizeof(path)))
		execv(path, args);
	execvp(EMU_NAME, args);
	free(args);
	cli_err("'%s%s%s' is a command of the TDX emulator, %s, which is not installed "
		"(not beside this binary, not on PATH); install the tdxup-emu package or "
		"build it from the source tree", prefix ? prefix : "", prefix ? " " : "",
		argv[0], EMU_NAME);
	return CLI_REFUSED;
}

static int run_emu(const struct cli_cmd *cmd, int argc, char **argv)
{
	return cli_exec_emu(NULL, argc, argv);
}

/* No usage: `tdxup help lab` runs `tdxup-emu lab --help` (cli_main.c). */
const struct cli_cmd cmd_lab_exec = {
	.name = "lab",
	.summary = "emulated host: run the TD-build race on virtual time (tdxup-emu)",
	.run = run_emu,
};

const struct cli_cmd cmd_serve_exec = {
	.name = "serve",
	.summary = "emulated host: mount its sysfs over FUSE (tdxup-emu)",
	.run = run_emu,
};
