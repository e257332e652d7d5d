// SPDX-License-Identifier: MIT
/*
 * `tdxup lease`: the build lease from the command line (docs/lease.md), for
 * VMM hooks that run as separate processes per phase (libvirt) and for
 * operators. `lease begin` leaves a small detached holder process that
 * keeps the build's lock until `lease end` (or its death).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_lease.h"
#include "tdxup/duration.h"
#include "tdxup/lease.h"
#include "tdxup/vmm_active.h"

#define BEGIN_TIMEOUT_US	(5ULL * 60 * 1000000)	/* an update takes seconds to minutes */
#define END_TIMEOUT_US		(10ULL * 1000000)

static void lease_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s lease begin --id ID [--desc TEXT] [--timeout DURATION] [WHERE]\n"
		"       %1$s lease end --id ID [--timeout DURATION] [WHERE]\n"
		"                 [--after-qmp SOCKET [--watch-pid PID]]\n"
		"       %1$s lease list [--json] [WHERE]\n"
		"       %1$s lease hold [--timeout DURATION] [WHERE] -- CMD [ARGS...]\n"
		"       %1$s lease participate NAME [--sysroot DIR]\n"
		"       %1$s lease withdraw NAME [--sysroot DIR]\n"
		"\n"
		"The build lease keeps TD builds (KVM_TDX_INIT_VM .. KVM_TDX_FINALIZE_VM) out\n"
		"of a module update, which Linux 7.2 does not reject (docs/lease.md).\n"
		"\n"
		"  begin        mark build ID in flight, waiting (up to --timeout, 5m) while an\n"
		"               updater holds builds, and while the kernel has a module upload\n"
		"               open or running (SYSROOT/sys/class/firmware/tdx_module loading\n"
		"               1 or status not idle: an updater died inside its hold; no\n"
		"               such device: never); a detached holder process keeps it until\n"
		"               `lease end --id ID` or the holder's death. Call it before\n"
		"               KVM_TDX_INIT_VM\n"
		"  end          the build is finalized: end it (also when not in flight); waits\n"
		"               up to --timeout (10s) for the holder to go. --after-qmp: first\n"
		"               wait, without limit, until the QEMU at SOCKET answers\n"
		"               query-status with a status of a built machine (prelaunch,\n"
		"               running, paused, ...; preconfig and inmigrate are asked\n"
		"               again) and query-kvm (refused during -preconfig), or\n"
		"               process PID exits (contrib/qemu/tdxup-qemu-wrapper)\n"
		"  list         whether an updater holds, and the builds in flight (--json:\n"
		"               dir, held, holder_pid, builds [{id, pid, since, holder, desc}])\n"
		"  hold         hold builds: new ones wait, those in flight are waited for up to\n"
		"               --timeout (60s); then run CMD and release. On timeout the builds\n"
		"               in flight are listed, CMD does not run. SIGTERM, SIGINT, SIGHUP\n"
		"               and SIGQUIT are passed on to CMD; the hold ends when CMD exits\n"
		"  participate  declare that VMM NAME takes leases (SYSROOT/%2$s/NAME); for\n"
		"               libvirt, install the hook in /etc/libvirt/hooks/qemu.d/ and\n"
		"               restart libvirtd/virtqemud: until then it does not count\n"
		"               (`status` says which VMMs protect)\n"
		"  withdraw     remove that declaration\n"
		"\n"
		"  WHERE is --dir DIR (the lease directory) or --sysroot DIR\n"
		"  (DIR/%3$s, and begin's upload probe reads DIR/sys); default %4$s\n"
		"  and /sys. IDs and names: [A-Za-z0-9._-], 1 to %5$d.\n"
		"\n"
		"exit status: 0 done (hold: CMD's status; 128+N if it died of signal N); 1 an\n"
		"error; 2 usage; 3 refused (begin: a live build has this id; end: the build\n"
		"is kept by a process that is not a lease holder); 4 timed out: begin, still\n"
		"held by an updater; hold, builds still in flight (or another updater)\n",
		cli_prog, LEASE_DECL_DIR_REL, LEASE_DIR_REL, LEASE_DIR, LEASE_ID_MAX);
}

struct lease_opts {
	char dir[PATH_MAX];
	char sysfs[PATH_MAX];		/* begin: the probe's SYSROOT/sys */
	const char *sysroot;
	const char *id;
	const char *desc;
	const char *qmp;
	long watch_pid;
	uint64_t timeout_us;
	bool json;
};

enum { OPT_DIR = 1000, OPT_SYSROOT, OPT_ID, OPT_DESC, OPT_TIMEOUT, OPT_JSON, OPT_QMP,
       OPT_WATCH };

static const struct option lease_longopts[] = {
	{ "dir", required_argument, NULL, OPT_DIR },
	{ "sysroot", required_argument, NULL, OPT_SYSROOT },
	{ "id", required_argument, NULL, OPT_ID },
	{ "desc", required_argument, NULL, OPT_DESC },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "after-qmp", required_argument, NULL, OPT_QMP },
	{ "watch-pid", required_argument, NULL, OPT_WATCH },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options each subcommand takes, as a string of OPT_* offsets from OPT_DIR. */
static bool allowed(const char *which, int opt)
{
	return strchr(which, 'a' + (opt - OPT_DIR)) != NULL;
}

/*
 * Parse argv (up to argc) into o; `which` lists the allowed options:
 * a dir, b sysroot, c id, d desc, e timeout, f json, g after-qmp,
 * h watch-pid. Returns -1 to go on,
 * else an exit code.
 */
static int parse_opts(const struct cli_cmd *cmd, const char *sub, const char *which, int argc,
		      char **argv, struct lease_opts *o)
{
	const char *dir = NULL;
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", lease_longopts)) != -1) {
		if (c == 'h')
			return cli_help(cmd);
		if (c < OPT_DIR || !allowed(which, c))
			return c == '?' ? CLI_USAGE :
			       cli_usage_error(cmd, "lease %s: option '%s' does not apply", sub,
					       argv[optind - 1]);
		switch (c) {
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_SYSROOT:
			o->sysroot = optarg;
			break;
		case OPT_ID:
			o->id = optarg;
			break;
		case OPT_DESC:
			o->desc = optarg;
			break;
		case OPT_TIMEOUT:
			if (parse_duration_us(optarg, &o->timeout_us))
				return cli_usage_error(cmd, "lease %s: --timeout: bad duration '%s'",
						       sub, optarg);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_QMP:
			o->qmp = optarg;
			break;
		case OPT_WATCH: {
			uint64_t v;

			if (cli_parse_u64(optarg, &v) || !v || v > INT32_MAX)
				return cli_usage_error(cmd, "lease %s: --watch-pid: not a pid '%s'",
						       sub, optarg);
			o->watch_pid = (long)v;
			break;
		}
		}
	}
	if (dir && o->sysroot && allowed(which, OPT_DIR))
		return cli_usage_error(cmd, "lease %s: --dir and --sysroot exclude each other", sub);
	if (allowed(which, OPT_ID) && !o->id)
		return cli_usage_error(cmd, "lease %s: --id is required", sub);
	if (o->id && !lease_id_valid(o->id))
		return cli_usage_error(cmd, "lease %s: --id '%s': [A-Za-z0-9._-], 1 to %d, no "
				       "leading '.'", sub, o->id, LEASE_ID_MAX);
	if (dir && strlen(dir) >= sizeof(o->dir))
		return cli_usage_error(cmd, "lease %s: --dir: path too long", sub);
	if (dir)
		strcpy(o->dir, dir);
	else if (lease_dir_of(o->sysroot ? o->sysroot : "/", o->dir, sizeof(o->dir)))
		return cli_usage_error(cmd, "lease %s: --sysroot: path too long", sub);
	if ((size_t)snprintf(o->sysfs, sizeof(o->sysfs), "%s/sys",
			     o->sysroot && strcmp(o->sysroot, "/") ? o->sysroot : "") >=
	    sizeof(o->sysfs))
		return cli_usage_error(cmd, "lease %s: --sysroot: path too long", sub);
	return -1;
}

static int exit_of(int err)
{
	if (err == -ETIMEDOUT || err == -EBUSY)
		return CLI_BUSY;
	/* fsafe's refusals: another user's, writable by others, a symlink, not a file. */
	if (err == -EEXIST || err == -EPERM || err == -EACCES || err == -ELOOP ||
	    err == -ENOTDIR || err == -EINVAL)
		return CLI_REFUSED;
	return CLI_FAIL;
}

/* What the holder tells `lease begin` through the pipe. */
struct begin_result {
	int err;
	struct lease_err e;
};

/*
 * The holder: its own session, stdio on /dev/null (a libvirt hook's
 * output is read until EOF, so it must not keep it open), the lease, then
 * nothing until a signal ends the build. If `lease begin` is gone by the
 * time the build is registered, nobody will end it: end it now.
 */
static void __attribute__((noreturn)) holder(int wfd, const struct lease_opts *o)
{
	struct begin_result r = { 0 };
	/* An updater that died inside its hold leaves the kernel updating: wait for it. */
	struct lease_upload_probe probe = { lease_upload_busy_sysfs, (void *)o->sysfs };
	struct lease_build b;
	sigset_t set;
	int null, sig;

	setsid();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	r.err = lease_build_begin_probe(&b, o->dir, o->id, o->desc, o->timeout_us, true,
					&probe, &r.e);
	if (write(wfd, &r, sizeof(r)) != (ssize_t)sizeof(r)) {
		if (!r.err)
			lease_build_end(&b);
		_exit(1);
	}
	close(wfd);
	if (r.err)
		_exit(1);
	/* Relative --dir was resolved above; the entry is held by descriptor. */
	if (chdir("/"))
		_exit(1);
	while (sigwait(&set, &sig))
		;
	lease_build_end(&b);
	_exit(0);
}

static int lease_begin(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct lease_opts o = { .timeout_us = BEGIN_TIMEOUT_US };
	struct begin_result r;
	int pfd[2], ret;
	ssize_t n;
	pid_t pid;

	ret = parse_opts(cmd, "begin", "abcde", argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		return cli_usage_error(cmd, "lease begin: unexpected argument '%s'", argv[optind]);
	if (pipe2(pfd, O_CLOEXEC)) {
		cli_err("lease begin: pipe: %s", strerror(errno));
		return CLI_FAIL;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		cli_err("lease begin: fork: %s", strerror(errno));
		return CLI_FAIL;
	}
	if (!pid) {
		close(pfd[0]);
		holder(pfd[1], &o);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n != (ssize_t)sizeof(r)) {
		cli_err("lease begin: the holder process died");
		return CLI_FAIL;
	}
	if (r.err) {
		/* The holder has exited; reap it so that no zombie is left. */
		waitpid(pid, NULL, 0);
		cli_err("lease begin: %s", r.e.msg);
		return exit_of(r.err);
	}
	printf("build %s in flight (holder pid %ld)\n", o.id, (long)pid);
	return CLI_OK;
}

static int lease_end(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct lease_opts o = { .timeout_us = END_TIMEOUT_US };
	struct lease_err e;
	int ret;

	ret = parse_opts(cmd, "end", "abcegh", argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		return cli_usage_error(cmd, "lease end: unexpected argument '%s'", argv[optind]);
	if (o.watch_pid && !o.qmp)
		return cli_usage_error(cmd, "lease end: --watch-pid goes with --after-qmp");
	/* No limit: ending while QEMU still builds the TD would be the bug itself. */
	ret = o.qmp ? lease_wait_qmp(o.qmp, (pid_t)o.watch_pid, UINT64_MAX) : 0;
	if (ret < 0) {
		cli_err("lease end: %s: %s", o.qmp, strerror(-ret));
		return CLI_FAIL;
	}
	ret = lease_end_id(o.dir, o.id, o.timeout_us, &e);
	if (ret) {
		cli_err("lease end: %s", e.msg);
		return exit_of(ret);
	}
	return CLI_OK;
}

static void print_entry(const struct lease_entry *ent, void *ctx)
{
	json_t *arr = ctx;
	json_t *o;

	if (!arr) {
		if (ent->valid)
			printf("  %s  pid %ld  since %lld  %s%s%s\n", ent->id, ent->pid, ent->since,
			       ent->cli ? "(lease begin)" : "(api)", ent->desc[0] ? "  " : "",
			       ent->desc);
		else
			printf("  %s  (unreadable entry, kept alive by a lock)\n", ent->id);
		return;
	}
	o = json_object();
	json_object_set_new(o, "id", json_string(ent->id));
	json_object_set_new(o, "pid", ent->valid ? json_integer(ent->pid) : json_null());
	json_object_set_new(o, "since", ent->valid ? json_integer(ent->since) : json_null());
	json_object_set_new(o, "holder", !ent->valid ? json_null() :
			    json_string(ent->cli ? "cli" : "api"));
	json_object_set_new(o, "desc", json_string(ent->desc));
	json_array_append_new(arr, o);
}

static int lease_list_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct lease_opts o = { 0 };
	json_t *arr = NULL, *top;
	struct lease_err e;
	long holder_pid;
	int ret;

	ret = parse_opts(cmd, "list", "abf", argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (optind < argc)
		return cli_usage_error(cmd, "lease list: unexpected argument '%s'", argv[optind]);
	if (o.json)
		arr = json_array();
	else
		printf("lease %s\n", o.dir);
	ret = lease_list(o.dir, print_entry, arr, &holder_pid, &e);
	if (ret < 0) {
		json_decref(arr);
		cli_err("lease list: %s", e.msg);
		return CLI_FAIL;
	}
	if (!o.json) {
		if (holder_pid)
			printf("builds held by updater pid %ld\n", holder_pid);
		printf("%d build%s in flight\n", ret, ret == 1 ? "" : "s");
		return CLI_OK;
	}
	top = json_object();
	json_object_set_new(top, "dir", json_string(o.dir));
	json_object_set_new(top, "held", json_boolean(holder_pid != 0));
	json_object_set_new(top, "holder_pid", holder_pid ? json_integer(holder_pid) : json_null());
	json_object_set_new(top, "builds", arr);
	return cli_json_print(top) ? CLI_FAIL : CLI_OK;
}

static void report_blocker(const struct lease_entry *ent, void *ctx)
{
	if (ent->valid)
		cli_err("lease hold: still in flight: %s (pid %ld%s%s)", ent->id, ent->pid,
			ent->desc[0] ? ", " : "", ent->desc);
	else
		cli_err("lease hold: still in flight: %s (unreadable entry)", ent->id);
}

/* The signals a service manager, a terminal or `timeout` stop a hold with. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/* In the child: CMD keeps the hold's locks, so even our SIGKILL leaves it held. */
static void __attribute__((noreturn)) exec_cmd(char **argv, const struct lease_hold *h,
					       const sigset_t *old)
{
	int fds[] = { h->updater_fd, h->hold_fd };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFD, 0);
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	cli_err("lease hold: %s: %s", argv[0], strerror(errno));
	_exit(127);
}

/*
 * Run CMD under the hold. A stop signal must not end the hold while CMD
 * (an upload, say) still runs: it is forwarded to CMD, and the hold ends
 * only once CMD has exited. SIGCHLD is waited for, not polled.
 */
static int run_cmd(char **argv, const struct lease_hold *h)
{
	sigset_t set, old;
	int status, sig, got = 0;
	pid_t pid;

	stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	fflush(NULL);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0) {
		cli_err("lease hold: fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return CLI_FAIL;
	}
	if (!pid)
		exec_cmd(argv, h, &old);
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			cli_err("lease hold: waitpid: %s", strerror(errno));
			sigprocmask(SIG_SETMASK, &old, NULL);
			return CLI_FAIL;
		}
		sig = sigwaitinfo(&set, NULL);
		if (sig > 0 && sig != SIGCHLD) {
			got = sig;
			kill(pid, sig);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (got)
		cli_err("lease hold: %s received while %s ran: passed on, builds held until it "
			"exited", strsignal(got), argv[0]);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int lease_hold_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct lease_opts o = { .timeout_us = 60ULL * 1000000 };
	struct lease_hold h;
	struct lease_err e;
	int ret, dashdash;

	/* Only what precedes "--" is ours: CMD's options are CMD's. */
	for (dashdash = 1; dashdash < argc && strcmp(argv[dashdash], "--"); dashdash++)
		;
	ret = parse_opts(cmd, "hold", "abe", dashdash, argv, &o);
	if (ret >= 0)
		return ret;
	if (optind < dashdash)
		return cli_usage_error(cmd, "lease hold: unexpected argument '%s' (CMD goes after "
				       "'--')", argv[optind]);
	if (dashdash + 1 >= argc)
		return cli_usage_error(cmd, "lease hold: missing '-- CMD'");
	ret = lease_hold(&h, o.dir, o.timeout_us, report_blocker, NULL, &e);
	if (ret) {
		cli_err("lease hold: %s; not running %s", e.msg, argv[dashdash + 1]);
		return exit_of(ret);
	}
	ret = run_cmd(argv + dashdash + 1, &h);
	lease_release(&h);
	return ret;
}

/*
 * A declaration is made before the hook runs: say at once what is still
 * missing (libvirt: the hook, or a daemon started after it), so that the
 * operator does not take the declaration for protection.
 */
static void note_inactive(const char *sysroot, const char *name)
{
	static struct vmm_states s;
	struct lease_err e;

	if (vmm_states_read(sysroot, &s, &e))
		return;
	for (size_t i = 0; i < s.nr && i < VMM_MAX; i++)
		if (!strcmp(s.vmm[i].name, name) && !s.vmm[i].protecting)
			fprintf(stderr, "%s: lease participate: %s is declared but NOT protecting "
				"yet: %s\n", cli_prog, name, s.vmm[i].why);
}

static int lease_decl(const struct cli_cmd *cmd, int argc, char **argv, bool add)
{
	struct lease_opts o = { 0 };
	struct lease_err e;
	const char *sub = argv[0];
	int ret;

	ret = parse_opts(cmd, sub, "b", argc, argv, &o);
	if (ret >= 0)
		return ret;
	if (argc - optind != 1)
		return cli_usage_error(cmd, "lease %s: expected one NAME", sub);
	if (!lease_id_valid(argv[optind]))
		return cli_usage_error(cmd, "lease %s: '%s': [A-Za-z0-9._-], no leading '.'", sub,
				       argv[optind]);
	ret = add ? lease_participate(o.sysroot ? o.sysroot : "/", argv[optind], &e) :
		    lease_withdraw(o.sysroot ? o.sysroot : "/", argv[optind], &e);
	if (ret) {
		cli_err("lease %s: %s", sub, e.msg);
		return CLI_FAIL;
	}
	if (add)
		note_inactive(o.sysroot ? o.sysroot : "/", argv[optind]);
	return CLI_OK;
}

static int lease_participate_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	return lease_decl(cmd, argc, argv, true);
}

static int lease_withdraw_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	return lease_decl(cmd, argc, argv, false);
}

static const struct cli_subcmd lease_subcmds[] = {
	{ "begin", lease_begin },
	{ "end", lease_end },
	{ "list", lease_list_run },
	{ "hold", lease_hold_run },
	{ "participate", lease_participate_run },
	{ "withdraw", lease_withdraw_run },
	{ NULL, NULL },
};

static int lease_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	return cli_run_subcmd(cmd, lease_subcmds, argc, argv);
}

const struct cli_cmd cmd_lease = {
	.name = "lease",
	.summary = "the build lease: keep TD builds out of an update window",
	.run = lease_run,
	.usage = lease_usage,
};
