/* SPDX-License-Identifier: MIT */
/*
 * --sysroot DIR / --sysfs ROOT, shared by the commands that read the target
 * host (status, select, update): where its sysfs, cpuinfo and osrelease are.
 */
#ifndef TDXUP_CLI_TARGET_H
#define TDXUP_CLI_TARGET_H

#include "cli/cli.h"
#include "tdxup/sysfs_client.h"
#include "tdxup/sysroot.h"
#include "tdxup/trusted_keys.h"

struct cli_target {
	const char *sysroot_arg;	/* --sysroot, or NULL */
	const char *sysfs_arg;		/* --sysfs, or NULL */
	struct tdx_sysroot t;
	char release[128];		/* osrelease, "" when unreadable */
};

/* The two options' help lines, for a usage text. */
#define CLI_TARGET_HELP \
	"  --sysroot DIR  the host's files under DIR (default /): DIR/sys,\n" \
	"                 DIR/proc/cpuinfo (the CPU), DIR/proc/sys/kernel/osrelease\n" \
	"                 (the kernel), e.g. a `tdxup serve --mount DIR`\n" \
	"  --sysfs ROOT   ROOT stands for /sys alone: the CPU is this machine's, the\n" \
	"                 kernel release unknown unless ROOT is /sys; not with\n" \
	"                 --sysroot\n"

/*
 * After the option loop: resolve the paths and read osrelease; a usage
 * error (returned) when both options were given. Then init c on the sysfs.
 */
int cli_target_setup(const struct cli_cmd *cmd, struct cli_target *ct,
		     struct sysfs_client *c);

/*
 * The keys the target declares (DIR/etc/tdxup/trusted-keys.d; with
 * --sysfs, this machine's /etc). 0, or an error printed and CLI_FAIL.
 */
int cli_target_trusted_keys(const struct cli_target *ct, struct trusted_keys *tk);

/*
 * CPUID.1.EAX of the target: its cpuinfo, else (on this machine only)
 * CPUID. 0, or an error printed and CLI_FAIL.
 */
int cli_target_cpu_fms(const struct cli_target *ct, uint32_t *fms);

#endif /* TDXUP_CLI_TARGET_H */
