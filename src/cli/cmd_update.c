// SPDX-License-Identifier: MIT
/*
 * `tdxup update`: install a TDX module at runtime through the kernel's
 * fw_upload ABI, after every check that can be made beforehand. The work is
 * update_run() (src/updater/update.c); this file is options and output.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_update_signals.h"
#include "cli/target.h"
#include "cli/vmm_report.h"
#include "tdxup/catalog.h"
#include "tdxup/hold_policy.h"
#include "tdxup/host_lock.h"
#include "tdxup/lease.h"
#include "tdxup/measure.h"
#include "tdxup/update.h"

#define MAX_TRUSTED	16

static void update_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s update (IMAGE | --catalog DIR [--version X.Y.Z])\n"
		"       %1$s update --ensure X.Y.Z|latest (IMAGE | --catalog DIR)\n"
		"                    [--sysroot DIR | --sysfs ROOT]\n"
		"                    [--retry-for DURATION] [--dry-run | --check]\n"
		"                    [--force-downgrade]\n"
		"                    [--reinstall]\n"
		"                    [--json] [options]\n"
		"\n"
		"Install a TDX module at runtime (TD-preserving) through\n"
		"/sys/class/firmware/tdx_module. Before anything is written: the fw_upload\n"
		"device must exist and num_remaining_updates be > 0; the image must verify\n"
		"(checksum for v0x100, sigstruct, RSA signature, seamhash) with a key the\n"
		"platform takes: Intel's production key or one the target declares in\n"
		"etc/tdxup/trusted-keys.d/*.sha384 (root's files; no key is built in); it\n"
		"must pass `tdxup select`'s rules against the running module, P-SEAMLDR\n"
		"and CPU, and not be a downgrade. Already running it: nothing to do.\n"
		"One update per device at a time: a lock in /run/tdxup/lock keyed to the\n"
		"identity (device, inode) of the fw_upload device, whatever path or bind\n"
		"mount reaches it; a second updater is refused naming the first.\n"
		"Then, before every loading=1 (retries too): status must be idle and\n"
		"loading 0 (another's upload, or one left half done, is refused: nothing\n"
		"is written into it); loading=1; data in\n"
		"64 KiB writes; loading=0;\n"
		"status polled until idle; error read. device-busy (a TD build or migration\n"
		"in flight; nothing changed) is retried with exponential back-off and\n"
		"jitter until --retry-for runs out. firmware-invalid: version readable and\n"
		"unchanged means nothing changed; ENXIO means the module is lost.\n"
		"Signals: from just before loading=1 until the kernel's outcome is known\n"
		"(status idle, version re-read), SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE,\n"
		"SIGUSR1, SIGUSR2, SIGALRM, SIGPWR, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,\n"
		"SIGIO and SIGSTKFLT are held back: before loading=0 one cancels\n"
		"the upload (loading=-1, nothing reaches the module); after it, it waits\n"
		"for the outcome, the hold's release and the printed result, is named on\n"
		"stderr, and the run then ends by it (143 for SIGTERM in a shell).\n"
		"\n"
		"  IMAGE                  a TDX-BLOB file (v0x100 or v0x200); its version comes\n"
		"                         from its build descriptor, its name\n"
		"                         (tdx_module_X.Y.Z.blob) or --version\n"
		"  --catalog DIR          an Intel-style catalogue: without IMAGE, install its\n"
		"                         newest valid module (see `%1$s select`); with IMAGE,\n"
		"                         use its metadata and running-version image. A blob\n"
		"                         that cannot be read (FIFO, device, no permission)\n"
		"                         is a warning; one newer than the choice refuses\n"
		"                         it (3): it may be the newest module\n"
		"  --version X.Y.Z        that catalogue version instead of the newest\n"
		"  --ensure X.Y.Z|latest  the host is to run X.Y.Z (its catalogue blob, or\n"
		"                         IMAGE, which must be X.Y.Z), or the catalogue's\n"
		"                         choice (latest, --catalog only). A host already\n"
		"                         running X.Y.Z is current (exit 0, changed false)\n"
		"                         before IMAGE or the catalogue is read: reruns are\n"
		"                         no-ops. Not with --version or --reinstall\n"
		"  --sysroot DIR          the host's files under DIR (default /): DIR/sys,\n"
		"                         DIR/proc/cpuinfo (the CPU), DIR/proc/sys/kernel/\n"
		"                         osrelease (the image version), e.g. a\n"
		"                         `%1$s serve --mount DIR`\n"
		"  --sysfs ROOT           ROOT stands for /sys alone: the CPU is this\n"
		"                         machine's, the kernel release unknown unless ROOT\n"
		"                         is /sys; not with --sysroot\n"
		"  --retry-for DURATION   device-busy retry window: 30s, 2m, 500ms... (60s)\n"
		"  --timeout DURATION     wait at most this for status to return to idle (10m)\n"
		"  --io-timeout DURATION  give up on one sysfs read or write after this (30s):\n"
		"                         a stopped FUSE server must not hang the update. The\n"
		"                         wait for idle after loading=0 stays --timeout's.\n"
		"                         0: unbounded, each call in this process (to trace)\n"
		"  --chunk BYTES          bytes per write() to data, 1..1048576 (65536), all\n"
		"                         on one open of data. The kernel takes any offset\n"
		"                         but at most a page (4096 bytes) per write(); the\n"
		"                         rest of a larger chunk follows in further writes\n"
		"  --seed N               jitter seed, for a reproducible schedule (default:\n"
		"                         time and pid; printed with --json)\n"
		"  --image-format 0x100|0x200\n"
		"                         send this image version. Default: from the kernel\n"
		"                         release (osrelease): 7.2 and later 0x200, earlier\n"
		"                         (the v8 posting) 0x100. No release readable: legacy\n"
		"                         layout (tdx_host/seamldr/, seamldr_upload) 0x100;\n"
		"                         tdx_host/seamldr_version present (v8 and mainline\n"
		"                         look alike): 0x200, and once more as 0x100 if the\n"
		"                         kernel answers firmware-invalid with nothing changed\n"
		"                         (headers are checked before the module is touched);\n"
		"                         otherwise 0x100. Conversion rewrites the header only\n"
		"  --cpu-fms HEX          CPUID.1.EAX (default: the target's cpuinfo)\n"
		"  --allow-debug          install a debug-signed module; only with\n"
		"                         --accept-td-loss\n"
		"  --force-downgrade      allow an older module (the SEAM SVN is still checked,\n"
		"                         which needs the running version's catalogue image)\n"
		"  --reinstall            install even if the target version already runs\n"
		"  --hold-builds auto|on|off\n"
		"                         keep TD builds out of the update window with the\n"
		"                         build lease (docs/lease.md): new builds wait, the\n"
		"                         ones in flight are waited for, the update runs,\n"
		"                         builds resume once the kernel's outcome is known\n"
		"                         (see Signals). auto (default): hold when VMMs on\n"
		"                         the target take leases (etc/tdxup/lease.d/); where\n"
		"                         none do, refuse, unless --kernel-busy yes. off: no\n"
		"                         hold, knowingly (a build the update crosses may\n"
		"                         end with a wrong MRTD)\n"
		"  --kernel-busy unknown|yes|no\n"
		"                         what the operator knows: whether the kernel refuses\n"
		"                         an update during a TD build (device-busy). unknown\n"
		"                         (default; auto is the same): not established, for\n"
		"                         any release (distributions backport the merged\n"
		"                         series, which has no busy rejection, into older\n"
		"                         ones). yes: auto holds no builds when no VMM takes\n"
		"                         leases. A declaration is logged (stderr, --json,\n"
		"                         the run's record)\n"
		"  --hold-timeout DURATION\n"
		"                         wait this long for builds in flight (default: the\n"
		"                         --retry-for window); then nothing is changed (4)\n"
		"  --keep-updates N       refuse when fewer than N updates would be left after\n"
		"                         this one (num_remaining_updates, read once)\n"
		"  --cancel-stale         an upload found open (loading reads 1, e.g. left by a\n"
		"                         killed updater) is cancelled instead of refused\n"
		"  --accept-td-loss       the confirmation --allow-debug and --trust-key-hash\n"
		"                         need. P-SEAMLDR checks the image only after the old\n"
		"                         module is shut down: if the platform refuses this\n"
		"                         image, the module is lost and EVERY TD WITH IT.\n"
		"                         Declaring the key in trusted-keys.d is the safe way\n"
		"  --trust-key-hash HEX   install an image signed by this key although the\n"
		"                         target does not declare it (SHA-384 of the modulus,\n"
		"                         96 hex digits; repeatable)\n"
		"  --dry-run              every check of the image against the host, nothing\n"
		"                         written, no lock taken\n"
		"  --check                --dry-run, and what a real run would meet now before\n"
		"                         its first byte, read only: another update holding\n"
		"                         the host lock (probed, never taken), an upload open\n"
		"                         or running, builds in flight a hold would wait for\n"
		"                         (a warning). Exits as a real run would (0 when it\n"
		"                         would update or nothing is to do, 3 refused...),\n"
		"                         except busy (4) and what the upload itself says\n"
		"                         (5, 6), which only the run can tell: never 5 or\n"
		"                         6 (nor does --dry-run); a module found lost is\n"
		"                         result lost, exit 3\n"
		"  --json                 machine-readable: result (updated, current, dry-run,\n"
		"                         refused, busy, failed, lost, error), changed (this\n"
		"                         run changed the module: updated, or lost by it),\n"
		"                         would_change (updated, or a dry run or check that\n"
		"                         passed), check, ensure, from, to, reason,\n"
		"                         attempts [{error, at_ms}], image_format,\n"
		"                         image_format_reason, kernel_release, warnings, seed,\n"
		"                         hold_builds {decision, why, kernel_busy, ...}\n"
		"\n"
		"Progress goes to stderr.\n"
		"\n"
		"exit status: 0 updated, already current, or dry run passed; 1 unexpected\n"
		"error (sysfs I/O, timeout): state unknown, see `%1$s status`; 2 usage;\n"
		"3 refused by a pre-check, nothing written; 4 still device-busy when the\n"
		"retry window closed, nothing changed; 5 the update failed and nothing\n"
		"changed, TDs are safe; 6 the module is lost: TDs are gone, reboot\n"
		"(5 and 6 only from a real run: a dry run or check exits 3 instead)\n",
		cli_prog);
}

struct update_args {
	struct update_opts o;
	struct cli_target ct;
	char no_device[256];
	bool json, seed_set, hold_timeout_set;
	uint64_t io_timeout_us;			/* --io-timeout; 0: unbounded, in-process */
	bool io_timeout_set;
	const char *ensure;			/* --ensure X.Y.Z|latest */
	enum hold_mode hold_mode;
	enum kernel_busy kernel_busy;
	struct hold_decision hold;
	struct vmm_states vmms;			/* declared VMMs, judged */
	char lease_dir[PATH_MAX];
	uint8_t keys[MAX_TRUSTED][48];		/* --trust-key-hash: forced */
	struct trusted_keys declared;		/* the target's trusted-keys.d */
	char lock_path[PATH_MAX];
	struct term_guard term;			/* signals around the upload */
	char lock_dev[PATH_MAX];
	char lock_what[PATH_MAX + 32];
};

/* One option that takes a value; CLI_USAGE on a bad one. */
static int take_value(const struct cli_cmd *cmd, int opt, const char *arg, struct update_args *a)
{
	struct update_opts *o = &a->o;
	uint64_t v;

	switch (opt) {
	case 'r':
		if (parse_duration_us(arg, &o->retry_for_us))
			return cli_usage_error(cmd, "update: --retry-for: bad duration '%s'", arg);
		return 0;
	case 't':
		if (parse_duration_us(arg, &o->poll_timeout_us) || !o->poll_timeout_us)
			return cli_usage_error(cmd, "update: --timeout: bad duration '%s'", arg);
		return 0;
	case 'I':
		if (parse_duration_us(arg, &a->io_timeout_us))
			return cli_usage_error(cmd, "update: --io-timeout: bad duration '%s'", arg);
		a->io_timeout_set = true;
		return 0;
	case 'S':
		if (cli_parse_u64(arg, &o->seed))
			return cli_usage_error(cmd, "update: --seed: bad number '%s'", arg);
		a->seed_set = true;
		return 0;
	case 'F':
		if (cli_parse_u64(arg, &v) || (v != 0x100 && v != 0x200))
			return cli_usage_error(cmd, "update: --image-format: 0x100 or 0x200");
		o->image_format = (unsigned int)v;
		return 0;
	case 'f':
		if (cli_parse_hex32(arg, &o->cpu_fms))
			return cli_usage_error(cmd, "update: --cpu-fms: '%s' is not hex", arg);
		o->cpu_fms_set = true;
		return 0;
	case 'H':
		if (hold_mode_parse(arg, &a->hold_mode))
			return cli_usage_error(cmd, "update: --hold-builds: auto, on or off, not '%s'",
					       arg);
		return 0;
	case 'B':
		if (kernel_busy_parse(arg, &a->kernel_busy))
			return cli_usage_error(cmd, "update: --kernel-busy: unknown, yes or no, not "
					       "'%s'", arg);
		return 0;
	case 'T':
		if (parse_duration_us(arg, &o->hold_timeout_us))
			return cli_usage_error(cmd, "update: --hold-timeout: bad duration '%s'", arg);
		a->hold_timeout_set = true;
		return 0;
	case 'z':
		if (cli_parse_u64(arg, &v) || !v || v > 1024 * 1024)
			return cli_usage_error(cmd, "update: --chunk: 1 to 1048576 bytes, not '%s'",
					       arg);
		o->chunk = (size_t)v;
		return 0;
	case 'K':
		if (cli_parse_u64(arg, &v) || v > UINT16_MAX)
			return cli_usage_error(cmd, "update: --keep-updates: a count, not '%s'", arg);
		o->keep_updates = (unsigned int)v;
		return 0;
	case 'k':
		if (o->nr_forced_keys >= MAX_TRUSTED ||
		    hex_decode(arg, a->keys[o->nr_forced_keys], 48))
			return cli_usage_error(cmd, "update: --trust-key-hash: 96 hex digits "
					       "(at most %d keys)", MAX_TRUSTED);
		o->nr_forced_keys++;
		return 0;
	}
	return CLI_USAGE;
}

/* --ensure: a version (or the catalogue's choice) as a state, not an action. */
static int ensure_args(const struct cli_cmd *cmd, struct update_args *a)
{
	struct tdx_version v;

	if (a->o.version)
		return cli_usage_error(cmd, "update: --ensure names the version: not with "
				       "--version");
	if (a->o.reinstall)
		return cli_usage_error(cmd, "update: --ensure installs only what does not run: "
				       "not with --reinstall");
	a->o.ensure = true;
	if (!strcmp(a->ensure, "latest")) {
		if (!a->o.catalog_dir || a->o.image_path)
			return cli_usage_error(cmd, "update: --ensure latest: the catalogue's "
					       "choice, with --catalog DIR and no IMAGE");
		return 0;
	}
	if (tdx_version_parse(a->ensure, &v))
		return cli_usage_error(cmd, "update: --ensure: X.Y.Z or latest, not '%s'",
				       a->ensure);
	a->o.version = a->ensure;
	return 0;
}

static int parse_args(const struct cli_cmd *cmd, int argc, char **argv, struct update_args *a)
{
	static const struct option longopts[] = {
		{ "catalog", required_argument, NULL, 'c' },
		{ "version", required_argument, NULL, 'v' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "sysroot", required_argument, NULL, 'o' },
		{ "retry-for", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "io-timeout", required_argument, NULL, 'I' },
		{ "chunk", required_argument, NULL, 'z' },
		{ "seed", required_argument, NULL, 'S' },
		{ "image-format", required_argument, NULL, 'F' },
		{ "cpu-fms", required_argument, NULL, 'f' },
		{ "trust-key-hash", required_argument, NULL, 'k' },
		{ "allow-debug", no_argument, NULL, 'd' },
		{ "accept-td-loss", no_argument, NULL, 'L' },
		{ "force-downgrade", no_argument, NULL, 'D' },
		{ "reinstall", no_argument, NULL, 'R' },
		{ "keep-updates", required_argument, NULL, 'K' },
		{ "cancel-stale", no_argument, NULL, 'C' },
		{ "hold-builds", required_argument, NULL, 'H' },
		{ "kernel-busy", required_argument, NULL, 'B' },
		{ "hold-timeout", required_argument, NULL, 'T' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'q' },
		{ "ensure", required_argument, NULL, 'E' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt, ret;

	cli_getopt_reset();
	while ((opt = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (opt) {
		case 'c':
			a->o.catalog_dir = optarg;
			break;
		case 'v': {
			struct tdx_version v;

			if (tdx_version_parse(optarg, &v))
				return cli_usage_error(cmd, "update: --version: '%s' is not X.Y.Z",
						       optarg);
			a->o.version = optarg;
			break;
		}
		case 's':
			a->ct.sysfs_arg = optarg;
			break;
		case 'o':
			a->ct.sysroot_arg = optarg;
			break;
		case 'd':
			a->o.allow_debug = true;
			break;
		case 'L':
			a->o.accept_td_loss = true;
			break;
		case 'D':
			a->o.force_downgrade = true;
			break;
		case 'R':
			a->o.reinstall = true;
			break;
		case 'C':
			a->o.cancel_stale = true;
			break;
		case 'n':
			a->o.dry_run = true;
			break;
		case 'q':
			a->o.check = true;
			break;
		case 'E':
			a->ensure = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			return -1;
		case '?':
			return CLI_USAGE;
		default:
			ret = take_value(cmd, opt, optarg, a);
			if (ret)
				return ret;
		}
	}
	if (optind + 1 < argc)
		return cli_usage_error(cmd, "update: one IMAGE at most");
	if (optind < argc)
		a->o.image_path = argv[optind];
	if (!a->o.image_path && !a->o.catalog_dir)
		return cli_usage_error(cmd, "update: give an IMAGE or --catalog DIR");
	return a->ensure ? ensure_args(cmd, a) : 0;
}

static void progress(void *ctx, const char *line)
{
	fprintf(stderr, "%s: update: %s\n", cli_prog, line);
}

/*
 * For configuration managers: whether the run changed the host, or would.
 * A module this run lost changed the host; one found lost did not.
 */
static void json_changed(json_t *o, const struct update_args *a, const struct update_result *r)
{
	enum update_outcome v = r->outcome;
	bool lost_here = v == UPDATE_LOST && r->nr_attempts;

	json_object_set_new(o, "changed", json_boolean(v == UPDATE_UPDATED || lost_here));
	json_object_set_new(o, "would_change", json_boolean(v == UPDATE_UPDATED ||
							    v == UPDATE_DRY_RUN));
	json_object_set_new(o, "check", json_boolean(a->o.check));
	json_object_set_new(o, "ensure", a->ensure ? json_string(a->ensure) : json_null());
}

static int print_json(const struct update_args *a, const struct update_result *r)
{
	json_t *o = json_object(), *att = json_array(), *warn = json_array();
	size_t n = r->nr_attempts < UPDATE_MAX_ATTEMPTS ? r->nr_attempts : UPDATE_MAX_ATTEMPTS;

	if (!o || !att || !warn)
		return cli_json_print(NULL);
	json_object_set_new(o, "result", json_string(update_outcome_name(r->outcome)));
	json_changed(o, a, r);
	json_object_set_new(o, "from", r->from[0] ? json_string(r->from) : json_null());
	json_object_set_new(o, "to", r->to[0] ? json_string(r->to) : json_null());
	json_object_set_new(o, "reason", json_string(r->reason));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(att, json_pack("{s:s, s:I, s:o}",
			"error", r->attempts[i].error, "at_ms", (json_int_t)r->attempts[i].at_ms,
			"image_format", cli_json_hexnum(r->attempts[i].format, 3)));
	json_object_set_new(o, "attempts", att);
	json_object_set_new(o, "nr_attempts", json_integer((json_int_t)r->nr_attempts));
	json_object_set_new(o, "image_format", r->format ? cli_json_hexnum(r->format, 3) :
			    json_null());
	json_object_set_new(o, "image_format_reason", r->format_reason[0] ?
			    json_string(r->format_reason) : json_null());
	json_object_set_new(o, "kernel_release", a->ct.release[0] ?
			    json_string(a->ct.release) : json_null());
	for (size_t i = 0; i < r->nr_warnings; i++)
		json_array_append_new(warn, json_string(r->warnings[i]));
	json_object_set_new(o, "warnings", warn);
	json_object_set_new(o, "seed", json_integer((json_int_t)a->o.seed));
	/* What the host now reports, for the verifiers' allowlists (docs/fleet.md). */
	json_object_set_new(o, "attestation", r->has_attestation ?
			    cli_json_attestation(&r->attestation, r->to) : json_null());
	json_object_set_new(o, "hold_builds", json_pack("{s:s, s:s, s:o, s:b, s:I, s:I}",
		"decision", a->hold.refuse ? "refuse" : a->hold.hold ? "hold" : "none",
		"why", a->hold.why,
		"kernel_busy", a->o.kernel_busy ? json_string(a->o.kernel_busy) : json_null(),
		"held", r->held_builds,
		"waited_ms", (json_int_t)r->hold_wait_ms,
		"builds_waited", (json_int_t)r->builds_waited));
	json_object_set_new(json_object_get(o, "hold_builds"), "vmms", cli_json_vmms(&a->vmms));
	return cli_json_print(o);
}

/* Safety rule 3: hold TD builds, or not, or refuse (tdxup/hold_policy.h). */
static int hold_setup(struct update_args *a)
{
	const char *root = a->ct.t.dir[0] ? a->ct.t.dir : "/";
	struct lease_err e = { "" };
	int ret;

	ret = vmm_states_read(root, &a->vmms, &e);
	if (ret < 0) {
		cli_err("update: build lease declarations: %s", e.msg);
		return UPDATE_EXIT_REFUSED;
	}
	/* A declaration whose hook is not loaded yet protects nothing. */
	if (!a->json && a->vmms.nr) {
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s: build leases: ", cli_prog);
		cli_print_vmms(stderr, prefix, &a->vmms);
	}
	hold_decide(a->hold_mode, a->kernel_busy, a->ct.release, (int)a->vmms.nr_protecting,
		    &a->hold);
	/* A decision may rest on the operator's word: say whose word it is. */
	if (a->kernel_busy != KERNEL_BUSY_UNKNOWN)
		a->o.kernel_busy = kernel_busy_name(a->kernel_busy);
	if (a->hold.note[0])
		progress(NULL, a->hold.note);
	if (a->hold.warning[0])
		fprintf(stderr, "%s: warning: %s\n", cli_prog, a->hold.warning);
	if (a->hold.refuse) {
		a->o.hold_refuse = a->hold.why;
		return 0;
	}
	if (!a->hold.hold)
		return 0;
	if (lease_dir_of(root, a->lease_dir, sizeof(a->lease_dir))) {
		cli_err("update: the lease directory's path is too long");
		return UPDATE_EXIT_REFUSED;
	}
	a->o.lease_dir = a->lease_dir;
	/* The builds in flight get as long as busy retries would (inferred). */
	if (!a->hold_timeout_set)
		a->o.hold_timeout_us = a->o.retry_for_us;
	return 0;
}

/* What the target's files beside sysfs tell the update: CPU, kernel, no device. */
static int target_facts(struct update_args *a)
{
	if (!a->o.cpu_fms_set) {
		/* Nothing written yet: refused, like every other pre-check. */
		if (cli_target_cpu_fms(&a->ct, &a->o.cpu_fms))
			return UPDATE_EXIT_REFUSED;
		a->o.cpu_fms_set = true;
	}
	if (a->ct.release[0])
		a->o.kernel_release = a->ct.release;
	tdx_sysroot_no_device_reason(&a->ct.t, a->no_device, sizeof(a->no_device));
	a->o.no_device_reason = a->no_device;
	return 0;
}

static int update_cmd_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct update_args *a = calloc(1, sizeof(*a));
	struct update_result *r = calloc(1, sizeof(*r));
	struct sysfs_client *c = calloc(1, sizeof(*c));
	int ret;

	if (!a || !r || !c) {
		cli_err("out of memory");
		ret = CLI_FAIL;
		goto out;
	}
	update_opts_init(&a->o);
	ret = parse_args(cmd, argc, argv, a);
	if (ret) {
		ret = ret < 0 ? cli_help(cmd) : ret;
		goto out;
	}
	if (!a->seed_set)
		a->o.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	a->o.forced_keys = (const uint8_t (*)[48])a->keys;
	/* An override that can lose every TD is stated, never implied. */
	if ((a->o.allow_debug || a->o.nr_forced_keys) && !a->o.accept_td_loss) {
		/* The message alone, not the usage: the usage lists the confirmation. */
		cli_err("update: %s can lose every TD if the platform refuses the image; it "
			"takes effect only with the confirmation described in `tdxup update "
			"--help`", a->o.allow_debug ? "--allow-debug" : "--trust-key-hash");
		ret = CLI_USAGE;
		goto out;
	}
	a->o.progress = progress;
	ret = cli_target_setup(cmd, &a->ct, c);
	if (ret)
		goto out;
	if (a->io_timeout_set)
		c->io_timeout_us = a->io_timeout_us;
	ret = target_facts(a);
	if (ret)
		goto out;
	/* Untrustworthy trust is refused like every other pre-check: nothing written. */
	if (cli_target_trusted_keys(&a->ct, &a->declared)) {
		ret = UPDATE_EXIT_REFUSED;
		goto out;
	}
	ret = hold_setup(a);
	if (ret)
		goto out;
	a->o.trusted_keys = (const uint8_t (*)[48])a->declared.hash;
	a->o.nr_trusted_keys = a->declared.nr;
	/* Safety rule 2: the lock is keyed to the device written (--check probes it). */
	if (!a->o.dry_run || a->o.check) {
		ret = host_lock_path(c->root, NULL, a->lock_path, sizeof(a->lock_path),
				     a->lock_dev, sizeof(a->lock_dev));
		if (ret) {
			cli_err("update: %s: %s", c->root, strerror(-ret));
			ret = CLI_REFUSED;
			goto out;
		}
		a->o.lock_path = a->lock_path;
		snprintf(a->lock_what, sizeof(a->lock_what), "tdxup update of %s", a->lock_dev);
		a->o.lock_what = a->lock_what;
	}
	/* Signals are the process's: the CLI's to hold back, not the library's. */
	term_guard_init(&a->term);
	a->o.guard = term_guard_cb;
	a->o.guard_ctx = &a->term;
	update_run(c, &a->o, r);
	ret = update_exit_status(&a->o, r->outcome);
	if (c->timed_out[0])
		cli_err("update: %s did not answer within %.1f s (a stopped or wedged sysfs "
			"server?); the call was abandoned", c->timed_out, c->io_timeout_us / 1e6);
	if (a->json)
		print_json(a, r);
	else if (ret == UPDATE_EXIT_OK)
		printf("%s: %s\n", update_outcome_name(r->outcome), r->reason);
	else
		cli_err("update %s: %s", update_outcome_name(r->outcome), r->reason);
	ret = term_guard_finish(&a->term, ret);
out:
	free(a);
	free(r);
	free(c);
	return ret;
}

const struct cli_cmd cmd_update = {
	.name = "update",
	.summary = "install a TDX module at runtime (fw_upload), with every check",
	.run = update_cmd_run,
	.usage = update_usage,
};
