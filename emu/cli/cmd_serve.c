// SPDX-License-Identifier: MIT
/*
 * `tdxup serve`: an emulated TDX host in the foreground, its attribute tree
 * mounted with FUSE (emu/sysfs/fuse.c) so that cat, echo, dd and the
 * updater's POSIX backend work on it as on a real /sys; optionally with TD
 * builders and running TDs inside (emu/lab/workload.c). The log and the
 * summary are serve_log.c's.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/serve.h"
#include "emu/module_build.h"
#include "emu/sysfs_fuse.h"
#include "kernel/test_firmware.h"
#include "lab/lab.h"

static void serve_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s serve --mount DIR [--detach] [--log FILE] [--cpus N]\n"
		"                   [--module X.Y.Z] [--seamldr X.Y.Z] [--updates-left N]\n"
		"                   [--profile v8|mainline|detect] [--layout final|legacy]\n"
		"                   [--workload SPEC] [--seed S] [--fault NAME[:N]]\n"
		"                   [--stw-delay DURATION] [--stw-enter-delay DURATION]\n"
		"                   [--json-log FILE] [--test-firmware]\n"
		"       %1$s serve --stop DIR\n"
		"\n"
		"Boots an emulated TDX host and serves it on DIR with FUSE as a sysroot (the\n"
		"host's /sys and /proc files), until SIGINT or SIGTERM (or until DIR is\n"
		"unmounted):\n"
		"  DIR/sys/devices/faux/tdx_host/{version,seamldr_version,num_remaining_updates}\n"
		"  DIR/sys/devices/faux/tdx_host/firmware/tdx_module/{loading,data,status,...}\n"
		"  DIR/sys/class/firmware/tdx_module -> ../../devices/faux/tdx_host/firmware/...\n"
		"  DIR/proc/cpuinfo                one block per emulated CPU (its FMS)\n"
		"  DIR/proc/sys/kernel/osrelease   the profile's kernel: 7.1.0-tdx-v8 (v8),\n"
		"                                  7.2.0 (mainline), 7.2.0-tdx-detect (detect)\n"
		"The files behave as the kernel's: partial and offset writes to data, EBUSY,\n"
		"ENODEV and EINVAL where the kernel returns them, mode bits enforced for\n"
		"other users (the mount allows other users when run as root, or with\n"
		"user_allow_other in /etc/fuse.conf); the proc files are 0444. Point the\n"
		"updater at it with `tdxup status --sysroot DIR` and\n"
		"`tdxup update IMAGE --sysroot DIR`.\n"
		"\n"
		"  --mount DIR          an existing empty directory\n"
		"  --detach             run in the background: return (exit 0, the server's\n"
		"                       PID on stdout) once DIR/sys/.../tdx_host/version\n"
		"                       answers; on failure exit non-zero with its error\n"
		"  --log FILE           the server's log and summary go to FILE (default:\n"
		"                       stderr and stdout; detached, both on stderr)\n"
		"  --stop DIR           stop the server of DIR (SIGTERM, as `kill PID` does)\n"
		"                       and wait until it has exited and DIR is unmounted\n"
		"  --cpus N             emulated CPUs, 1..512 (default 8)\n"
		"  --packages N         CPU packages, 1..8 (default 2, at most N CPUs)\n"
		"  --module X.Y.Z       module loaded at boot (default 1.5.25; `%1$s image list`)\n"
		"  --seamldr X.Y.Z      P-SEAMLDR version (default 1.5.01)\n"
		"  --updates-left N     P-SEAMLDR's num_remaining_updates (default 16)\n"
		"  --profile P          kernel: v8 (default), mainline or detect\n"
		"  --layout L           final (default) or legacy: also tdx_host/seamldr/ and the\n"
		"                       fw_upload device seamldr_upload\n"
		"  --workload SPEC      activity inside the host, e.g.\n"
		"                       builders=4,pages=256,running=2,gap=10ms\n"
		"                       builders: TDs built, finalized, run and torn down over\n"
		"                       and over; running: TDs that keep stepping; pages: pages\n"
		"                       per build (256); gap: pause between builds and steps\n"
		"                       (10ms); hold=DURATION: keep each build window open that\n"
		"                       long; hold=busy: the first build window stays open until\n"
		"                       an update has been refused with device-busy;\n"
		"                       lease=on (default): each build takes a build lease\n"
		"                       (docs/lease.md) and DIR/etc/tdxup/lease.d declares it;\n"
		"                       lease=off: a VMM that ignores the protocol\n"
		"  --seed S             seed of the TDs' memory contents (default 1)\n"
		"  --fault NAME[:N]     inject a fault before the first update: sys-update\n"
		"                       (TDH.SYS.UPDATE fails after shutdown: module lost),\n"
		"                       install-recoverable:CPU, install-unrecoverable:CPU,\n"
		"                       lp-init:CPU, no-entropy:COUNT\n"
		"  --stw-delay DURATION every update's stop_machine keeps all CPUs stopped at\n"
		"                       least this long (250ms, 2s...), as on a large host;\n"
		"                       gives clients time to watch \"transferring\"\n"
		"  --stw-enter-delay DURATION\n"
		"                       every update's stop_machine takes this long to gather\n"
		"                       the CPUs, which run on meanwhile (TD builds too), as\n"
		"                       on a busy large host: the update is under way\n"
		"                       (\"transferring\") before the module is shut down\n"
		"  --json-log FILE      also log events as JSON lines to FILE\n"
		"  --test-firmware      also the kernel's fw_upload selftest driver (lib/\n"
		"                       test_firmware.c): DIR/sys/devices/virtual/misc/\n"
		"                       test_firmware/{upload_register,upload_unregister,\n"
		"                       config_upload_name,upload_read}; each registered\n"
		"                       device beneath it and as DIR/sys/class/firmware/NAME\n"
		"  --debug              libfuse's request trace on stderr\n"
		"\n"
		"Each update attempt and its outcome is logged on stderr; on exit a summary\n"
		"(updates, busy rejections, builds, wrong MRTDs, lost TDs) goes to stdout\n"
		"(with --log, to FILE). If the server is killed with SIGKILL, clean up the\n"
		"mount with `fusermount3 -u -z DIR`.\n"
		"\n"
		"exit status: 0 served and stopped cleanly (--detach: the mount answers;\n"
		"--stop: stopped and unmounted); 1 the host could not be set up, DIR could\n"
		"not be mounted, or (--stop) no server of DIR or it did not stop in 60 s;\n"
		"2 usage.\n",
		cli_prog);
}

enum {
	OPT_MOUNT = 256, OPT_CPUS, OPT_PACKAGES, OPT_MODULE, OPT_SEAMLDR, OPT_UPDATES_LEFT,
	OPT_PROFILE, OPT_LAYOUT, OPT_WORKLOAD, OPT_SEED, OPT_FAULT, OPT_JSON_LOG, OPT_DEBUG,
	OPT_STW_DELAY, OPT_DETACH, OPT_LOG, OPT_STOP, OPT_TEST_FIRMWARE, OPT_STW_ENTER_DELAY,
};

static const struct option serve_options[] = {
	{ "mount", required_argument, NULL, OPT_MOUNT },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "packages", required_argument, NULL, OPT_PACKAGES },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "seamldr", required_argument, NULL, OPT_SEAMLDR },
	{ "updates-left", required_argument, NULL, OPT_UPDATES_LEFT },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "fault", required_argument, NULL, OPT_FAULT },
	{ "json-log", required_argument, NULL, OPT_JSON_LOG },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "stw-delay", required_argument, NULL, OPT_STW_DELAY },
	{ "stw-enter-delay", required_argument, NULL, OPT_STW_ENTER_DELAY },
	{ "detach", no_argument, NULL, OPT_DETACH },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "stop", required_argument, NULL, OPT_STOP },
	{ "test-firmware", no_argument, NULL, OPT_TEST_FIRMWARE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct serve_args {
	const char *mount;
	const char *json_log;
	const char *log;
	const char *stop;
	bool detach;
	bool test_firmware;
	struct tdx_host_config hc;
	struct workload_config wl;
	bool has_workload, packages_set, debug;
	bool has_fault;
	enum host_fault fault;
	unsigned int fault_arg;
	uint64_t stw_delay_us, stw_enter_delay_us;
};

static int parse_uint(const struct cli_cmd *cmd, const char *opt, const char *s, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	if (cli_parse_u64(s, out) || *out < min || *out > max)
		return cli_usage_error(cmd, "--%s wants a number from %llu to %llu, not '%s'", opt,
				       (unsigned long long)min, (unsigned long long)max, s);
	return 0;
}

static int parse_seamldr(const struct cli_cmd *cmd, const char *s, struct tdx_host_config *hc)
{
	unsigned int maj, min, upd;
	char tail;

	if (sscanf(s, "%u.%u.%u%c", &maj, &min, &upd, &tail) != 3 || maj > 0xFFFF ||
	    min > 0xFFFF || upd > 0xFFFF)
		return cli_usage_error(cmd, "--seamldr wants X.Y.Z, not '%s'", s);
	hc->seamldr_major = (uint16_t)maj;
	hc->seamldr_minor = (uint16_t)min;
	hc->seamldr_update = (uint16_t)upd;
	return 0;
}

static const struct {
	const char *name;
	enum host_fault fault;
	unsigned int def_arg;
} fault_names[] = {
	{ "sys-update", HOST_FAULT_SYS_UPDATE, 0 },
	{ "install-recoverable", HOST_FAULT_INSTALL_RECOVERABLE, 0 },
	{ "install-unrecoverable", HOST_FAULT_INSTALL_UNRECOVERABLE, 0 },
	{ "lp-init", HOST_FAULT_LP_INIT, 0 },
	{ "no-entropy", HOST_FAULT_RND_NO_ENTROPY, 1 },
};

static int parse_fault(const struct cli_cmd *cmd, const char *s, struct serve_args *a)
{
	const char *colon = strchr(s, ':');
	size_t len = colon ? (size_t)(colon - s) : strlen(s);
	uint64_t v;

	for (size_t i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++) {
		if (strlen(fault_names[i].name) != len || strncmp(s, fault_names[i].name, len))
			continue;
		a->has_fault = true;
		a->fault = fault_names[i].fault;
		a->fault_arg = fault_names[i].def_arg;
		if (!colon)
			return 0;
		if (cli_parse_u64(colon + 1, &v) || v > 0xFFFF)
			break;
		a->fault_arg = (unsigned int)v;
		return 0;
	}
	return cli_usage_error(cmd, "--fault: sys-update, install-recoverable[:CPU], "
			       "install-unrecoverable[:CPU], lp-init[:CPU] or no-entropy[:N], "
			       "not '%s'", s);
}

static int parse_choice(const struct cli_cmd *cmd, int c, const char *arg, struct serve_args *a)
{
	char err[256];

	switch (c) {
	case OPT_PROFILE:
		if (kernel_profile_parse(arg, &a->hc.profile))
			return cli_usage_error(cmd, "--profile: v8, mainline or detect, not '%s'", arg);
		return 0;
	case OPT_LAYOUT:
		if (strcmp(arg, "final") && strcmp(arg, "legacy"))
			return cli_usage_error(cmd, "--layout: final or legacy, not '%s'", arg);
		a->hc.layout = strcmp(arg, "final") ? SYSFS_LAYOUT_LEGACY : SYSFS_LAYOUT_FINAL;
		return 0;
	case OPT_MODULE:
		if (!module_build_find(arg))
			return cli_usage_error(cmd, "--module: no emulated module build %s "
					       "(see `%s image list`)", arg, cli_prog);
		a->hc.boot_module = arg;
		return 0;
	case OPT_WORKLOAD:
		a->has_workload = true;
		if (workload_parse(arg, &a->wl, err, sizeof(err)))
			return cli_usage_error(cmd, "--workload: %s", err);
		return 0;
	case OPT_FAULT:
		return parse_fault(cmd, arg, a);
	case OPT_STW_DELAY:
		if (parse_duration_us(arg, &a->stw_delay_us) ||
		    a->stw_delay_us > 60000000)
			return cli_usage_error(cmd, "--stw-delay wants a duration up to 60s "
					       "(250ms, 2s), not '%s'", arg);
		return 0;
	case OPT_STW_ENTER_DELAY:
		if (parse_duration_us(arg, &a->stw_enter_delay_us) ||
		    a->stw_enter_delay_us > 60000000)
			return cli_usage_error(cmd, "--stw-enter-delay wants a duration up to "
					       "60s (250ms, 2s), not '%s'", arg);
		return 0;
	}
	return cli_usage_error(cmd, "%s: unhandled option", cmd->name);
}

static int parse_one(const struct cli_cmd *cmd, int c, const char *arg, struct serve_args *a)
{
	uint64_t v = 0;
	int ret;

	switch (c) {
	case OPT_MOUNT:		a->mount = arg; return 0;
	case OPT_JSON_LOG:	a->json_log = arg; return 0;
	case OPT_LOG:		a->log = arg; return 0;
	case OPT_STOP:		a->stop = arg; return 0;
	case OPT_DETACH:	a->detach = true; return 0;
	case OPT_DEBUG:		a->debug = true; return 0;
	case OPT_TEST_FIRMWARE:	a->test_firmware = true; return 0;
	case OPT_SEAMLDR:	return parse_seamldr(cmd, arg, &a->hc);
	case OPT_CPUS:
		ret = parse_uint(cmd, "cpus", arg, 1, 512, &v);
		a->hc.nr_cpus = (unsigned int)v;
		return ret;
	case OPT_PACKAGES:
		ret = parse_uint(cmd, "packages", arg, 1, 8, &v);
		a->hc.nr_packages = (unsigned int)v;
		a->packages_set = true;
		return ret;
	case OPT_UPDATES_LEFT:
		ret = parse_uint(cmd, "updates-left", arg, 0, UINT32_MAX, &v);
		a->hc.num_remaining_updates = (uint32_t)v;
		return ret;
	case OPT_SEED:
		ret = parse_uint(cmd, "seed", arg, 0, UINT64_MAX, &v);
		a->wl.seed = v;
		return ret;
	}
	return parse_choice(cmd, c, arg, a);
}

static int parse_args(const struct cli_cmd *cmd, int argc, char **argv, struct serve_args *a)
{
	char err[192];
	int c, ret;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", serve_options)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == 'h') {
			cli_help(cmd);
			return -1;
		}
		ret = parse_one(cmd, c, optarg, a);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "serve: unexpected argument '%s'", argv[optind]);
	if (a->stop && (a->mount || a->detach || a->log))
		return cli_usage_error(cmd, "serve: --stop DIR takes no other option");
	if (a->stop)
		return 0;
	if (!a->mount)
		return cli_usage_error(cmd, "serve: --mount DIR is required");
	/* Two packages by default, as many as there are CPUs when fewer. */
	if (!a->packages_set && a->hc.nr_packages > a->hc.nr_cpus)
		a->hc.nr_packages = a->hc.nr_cpus;
	if (a->hc.nr_packages > a->hc.nr_cpus)
		return cli_usage_error(cmd, "serve: --packages %u exceeds --cpus %u",
				       a->hc.nr_packages, a->hc.nr_cpus);
	/* A fault on a CPU that does not exist would silently never fire. */
	if (a->has_fault && a->fault != HOST_FAULT_SYS_UPDATE &&
	    a->fault != HOST_FAULT_RND_NO_ENTROPY && a->fault_arg >= a->hc.nr_cpus)
		return cli_usage_error(cmd, "serve: --fault: CPU %u, but --cpus is %u",
				       a->fault_arg, a->hc.nr_cpus);
	/* TDH.SYS.UPDATE runs once, on CPU 0: a fault keyed to another never fires. */
	if (a->has_fault && a->fault == HOST_FAULT_SYS_UPDATE && a->fault_arg)
		return cli_usage_error(cmd, "serve: --fault sys-update takes no CPU: "
				       "TDH.SYS.UPDATE runs once, on the lead CPU (CPU 0)");
	/* A workload the emulated memory cannot hold would fail build by build. */
	if (a->has_workload &&
	    lab_memory_check(a->wl.builders, a->wl.pages, a->wl.running,
			     SEAM_DEFAULT_PHYSMEM_FRAMES, err, sizeof(err))) {
		cli_err("serve: --workload: %s", err);
		return CLI_USAGE;
	}
	return 0;
}

/* ---- running --------------------------------------------------------- */

/*
 * allow_other is what lets the mode bits be seen refusing another user.
 * Root may always set it; anyone else needs user_allow_other in
 * /etc/fuse.conf, or fusermount3 refuses the whole mount.
 */
static bool can_allow_other(void)
{
	char line[256];
	bool ok = false;
	FILE *f;

	if (geteuid() == 0)
		return true;
	f = fopen("/etc/fuse.conf", "r");
	if (!f)
		return false;
	while (!ok && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		ok = !strncmp(p, "user_allow_other", 16) && strchr(" \t\n", p[16]);
	}
	fclose(f);
	return ok;
}

/* The first entry of dir other than . and .., in name (size >= 1); 0, or -errno. */
static int first_entry(const char *dir, char *name, size_t size)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	name[0] = '\0';
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(name, size, "%s", de->d_name);
			break;
		}
	}
	closedir(d);
	return 0;
}

/*
 * DIR must be an existing empty directory that is no mount point: a FUSE
 * mount over a live one would hide the first server's files from every
 * new opener (its own clients included) without stopping it, and one over
 * a non-empty directory would hide what was there.
 */
static int check_mount_dir(const char *dir)
{
	char real[PATH_MAX], entry[256];
	struct stat st;
	pid_t pid;
	int ret;

	if (stat(dir, &st)) {
		if (errno == ENOTCONN)
			cli_err("%s: a dead FUSE mount is still there; clean it up with "
				"`fusermount3 -u -z %s`", dir, dir);
		else
			cli_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_err("%s: not a directory", dir);
		return -1;
	}
	if (realpath(dir, real) && serve_is_mount_point(real)) {
		pid = serve_find_server(real);
		if (pid)
			cli_err("%s: already served by `%s serve` (PID %d); stop it first with "
				"`%s serve --stop %s`", dir, cli_prog, (int)pid, cli_prog, dir);
		else
			cli_err("%s: already a mount point; serve wants an existing empty "
				"directory", dir);
		return -1;
	}
	ret = first_entry(dir, entry, sizeof(entry));
	if (ret) {
		cli_err("%s: cannot list it: %s", dir, strerror(-ret));
		return -1;
	}
	if (entry[0]) {
		cli_err("%s: not empty (it holds '%s'); serve wants an existing empty "
			"directory", dir, entry);
		return -1;
	}
	return 0;
}

/* Signals go to the FUSE loop only; every other thread is created with them blocked. */
static void block_stop_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int serve_fuse(struct serve *s, const struct serve_args *a, int ready_fd)
{
	struct sysfs_fuse_opts fo = {
		.allow_other = can_allow_other(),
		.debug = a->debug,
		.tree_at = "/sys",
		.files = s->proc_files,
		.nr_files = s->nr_files,
	};
	struct sysfs_fuse *sf;
	int ret;

	if (!fo.allow_other)
		serve_log(s, "warning: no allow_other (not root, no user_allow_other in "
			  "/etc/fuse.conf): only this user can use the mount");
	ret = sysfs_fuse_mount(tdx_host_sysfs(s->h), a->mount, &fo, &sf);
	if (ret) {
		cli_err("%s: cannot mount (%s)", a->mount, strerror(-ret));
		return ret;
	}
	serve_log(s, "serving on %s (FUSE%s); SIGINT or SIGTERM stops", a->mount,
		  fo.allow_other ? ", allow_other" : "");
	if (ready_fd >= 0) {
		ret = serve_ready_watch(a->mount, ready_fd);
		if (ret) {
			cli_err("%s: cannot watch the mount (%s)", a->mount, strerror(-ret));
			close(ready_fd);
			sysfs_fuse_destroy(sf);
			return ret;
		}
	}
	ret = sysfs_fuse_run(sf);
	if (ret)
		cli_err("%s: FUSE loop failed (%s)", a->mount, strerror(-ret));
	sysfs_fuse_destroy(sf);
	serve_log(s, "unmounted %s", a->mount);
	return ret;
}

static int serve_setup(struct serve *s, struct serve_args *a)
{
	int err = 0;

	s->stw_delay_us = a->stw_delay_us;
	s->stw_enter_delay_us = a->stw_enter_delay_us;
	a->hc.hooks.ctx = s;
	a->hc.hooks.event = serve_host_event;
	s->h = tdx_host_create(&a->hc, &err);
	if (!s->h) {
		cli_err("cannot boot the emulated host: %s", strerror(-err));
		return err;
	}
	serve_log_host(s);
	err = serve_proc_files(s, &a->hc, a->wl.leases);
	if (err) {
		cli_err("cannot lay out the sysroot's files: %s", strerror(-err));
		return err;
	}
	if (a->wl.leases)
		a->wl.lease_dir = s->lease_dir;
	if (a->test_firmware) {
		s->tf = test_firmware_create(tdx_host_sysfs(s->h), NULL);
		if (!s->tf) {
			cli_err("cannot create the test_firmware device");
			return -ENOMEM;
		}
		serve_log(s, "test_firmware: /sys/" TEST_FIRMWARE_DIR);
	}
	if (a->has_fault) {
		tdx_host_inject(s->h, a->fault, a->fault_arg);
		serve_log(s, "fault injected: %s (%u)", serve_fault_name(a->fault), a->fault_arg);
	}
	if (a->has_workload && a->wl.builders + a->wl.running) {
		s->wl = workload_start(s->h, &a->wl, serve_workload_log, s, &err);
		if (!s->wl) {
			cli_err("cannot start the workload: %s", strerror(-err));
			return err;
		}
	}
	return serve_monitor_start(s);
}

static int serve_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct serve_args a = { 0 };
	struct serve s;
	int ret, ready_fd = -1;

	tdx_host_config_init(&a.hc);
	workload_config_init(&a.wl);
	ret = parse_args(cmd, argc, argv, &a);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (a.stop)
		return serve_stop(a.stop);
	if (check_mount_dir(a.mount))
		return CLI_FAIL;
	/* Before any thread: fork copies the calling thread only. */
	if (a.detach) {
		ret = serve_detach(a.log, &ready_fd);
		if (ret >= 0)
			return ret;
	} else if (a.log && serve_log_to(a.log)) {
		return CLI_FAIL;
	}
	if (serve_init(&s, a.json_log))
		return CLI_FAIL;
	block_stop_signals();
	ret = serve_setup(&s, &a);
	if (!ret)
		ret = serve_fuse(&s, &a, ready_fd);
	serve_monitor_stop(&s);
	workload_stop(s.wl);
	if (s.h)
		serve_summary(&s);
	workload_free(s.wl);
	/* Its uploads run on the host's tree: they go first (unregister joins them). */
	test_firmware_destroy(s.tf);
	tdx_host_destroy(s.h);
	free(s.cpuinfo);
	serve_state_remove(&s);
	serve_fini(&s);
	return ret ? CLI_FAIL : CLI_OK;
}

const struct cli_cmd cmd_serve = {
	.name = "serve",
	.summary = "serve an emulated host's sysfs on a FUSE mount",
	.run = serve_run,
	.usage = serve_usage,
};
