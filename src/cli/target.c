// SPDX-License-Identifier: MIT
/* --sysroot DIR and --sysfs ROOT: the target host's files (cli/target.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/target.h"
#include "tdxup/select.h"
#include "tdxup/status.h"

static bool is_real_sys(const char *root)
{
	char real[PATH_MAX];

	return realpath(root, real) && !strcmp(real, "/sys");
}

int cli_target_setup(const struct cli_cmd *cmd, struct cli_target *ct,
		     struct sysfs_client *c)
{
	int ret = tdx_sysroot_init(&ct->t, ct->sysroot_arg, ct->sysfs_arg);

	if (ret == -EINVAL)
		return cli_usage_error(cmd, "%s: --sysroot and --sysfs: give one", cmd->name);
	if (ret || sysfs_client_init_posix(c, ct->t.sysfs))
		return cli_usage_error(cmd, "%s: --sysroot/--sysfs: path too long", cmd->name);
	/*
	 * --sysfs ROOT: this machine's kernel serves ROOT only if ROOT is its
	 * /sys; for any other tree (a copy, a mount of the emulator) its
	 * release says nothing, and the sysfs heuristic decides (inferred).
	 */
	if (ct->sysfs_arg && !is_real_sys(ct->sysfs_arg))
		ct->release[0] = '\0';
	else if (tdx_sysroot_kernel_release(&ct->t, ct->release, sizeof(ct->release)) < 0)
		ct->release[0] = '\0';
	return 0;
}

static bool has_tdx_host(const struct cli_target *ct)
{
	char path[PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", ct->t.sysfs, TDX_HOST_DIR);
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

int cli_target_cpu_fms(const struct cli_target *ct, uint32_t *fms)
{
	char why[256];
	int ret = tdx_sysroot_cpu_fms(&ct->t, fms);

	if (!ret)
		return 0;
	/* This machine's CPU, when its cpuinfo cannot say (no /proc mounted). */
	if (!ct->sysroot_arg && !cpu_fms_host(fms))
		return 0;
	/* No host there at all is the better news: say that, not "no cpuinfo". */
	if (!has_tdx_host(ct)) {
		tdx_sysroot_no_device_reason(&ct->t, why, sizeof(why));
		cli_err("%s", why);
		return CLI_FAIL;
	}
	cli_err("%s/cpuinfo: %s; give --cpu-fms", ct->t.proc, ret == -ENODATA ?
		"no cpu family, model and stepping lines" : strerror(-ret));
	return CLI_FAIL;
}

int cli_target_trusted_keys(const struct cli_target *ct, struct trusted_keys *tk)
{
	char dir[PATH_MAX], err[PATH_MAX + 128];

	if (trusted_keys_dir(ct->t.dir[0] ? ct->t.dir : "/", dir, sizeof(dir))) {
		cli_err("trusted keys: path too long");
		return CLI_FAIL;
	}
	if (trusted_keys_load(dir, tk, err, sizeof(err))) {
		cli_err("trusted keys: %s", err);
		return CLI_FAIL;
	}
	return 0;
}
