// SPDX-License-Identifier: MIT
/*
 * tdxup lab: run the emulated host's update/TD-build race and show its
 * handling and outcome (emu/lab). The main job: `make run` runs it.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cmd_lab_explore.h"
#include "lab/lab.h"
#include "tdxup/duration.h"
#include "tdxup/fsafe.h"
#include "emu/module_build.h"

static void lab_usage(FILE *f)
{
	fprintf(f,
		"usage: %s lab [OPTIONS]\n"
		"       %s lab --compare [OPTIONS]\n"
		"\n"
		"Boots an emulated TDX host, starts running TDs and TD builders, and has an\n"
		"operator update the TDX module with `tdxup update` while builds are in flight.\n"
		"Prints a timeline and a verdict: every built TD's MRTD against the independent\n"
		"offline measurement, every running TD's memory against a replay of its guest.\n"
		"\n"
		"scenario:\n"
		"  --cpus N            emulated CPUs (default 8)\n"
		"  --packages N        CPU packages (default 2)\n"
		"  --from X.Y.Z        module at boot (default 1.5.24)\n"
		"  --to X.Y.Z          module to update to (default 1.5.30, a hypothetical\n"
		"                      release whose crypto layout differs from 1.5.24's)\n"
		"  --running N         TDs running before the update (default 2)\n"
		"  --builders N        TDs being built concurrently (default 4)\n"
		"  --pages N           pages each builder measures (default 256)\n"
		"  --profile P         kernel: v8 (default; AVOID_COMPAT_SENSITIVE), mainline\n"
		"                      (Linux 7.2: no mitigation) or detect (SYS.UPDATE v1, bit 47)\n"
		"  --updates N         updates the operator performs in a row (default 1)\n"
		"  --retry none|backoff  on device-busy (default backoff)\n"
		"  --policy oneshot|retry|hold\n"
		"                      the operator's policy: one attempt; back-off retries on\n"
		"                      device-busy (default); or hold TD builds through the\n"
		"                      build lease around the update (update --hold-builds on)\n"
		"  --no-leases         the builders' VMM ignores the build lease (by default it\n"
		"                      takes one per build, as contrib/'s hooks do)\n"
		"  --duration D        how long the operator keeps retrying, or waits for the\n"
		"                      builds in flight under hold (default 2s; 500ms, 1m...)\n"
		"  --scenario FILE     a scenario file (examples/*.json); options override it\n"
		"  --seed S            seed of the scheduler and contents (default 1)\n"
		"  --driver serial|threads  serial (default): deterministic discrete-event run on\n"
		"                      virtual time; threads: real threads, wall-clock times\n"
		"\n"
		"output:\n"
		"  --compare           the same seed under v8, mainline and detect, and v8 and\n"
		"                      mainline with the hold policy, as a table\n"
		"  --json              one JSON object (no wall-clock figures with serial)\n"
		"  --trace FILE        Chrome trace-event JSON (Perfetto, chrome://tracing)\n"
		"  --svg FILE          the run as an SVG timeline (with --compare: the five\n"
		"                      runs stacked on one time axis)\n"
		"  --quiet             verdict only\n"
		"\n"
		"exploration (stateless model checking; defaults --cpus 2 --packages 1\n"
		"--builders 1 --pages 1 --running 1, each running TD taking 2 steps):\n"
		"  --explore           run every order of the actors' SEAMCALL-level steps\n"
		"                      (DPOR) under v8, mainline and detect with the retry and\n"
		"                      hold policies (or the --profile/--policy given): a proof\n"
		"                      table, the exactness check, the first wrong MRTD's schedule\n"
		"  --replay SCHEDULE   one run following a schedule --explore printed\n"
		"  --max-traces N      stop after N traces (the table says: not complete)\n"
		"  --preemption-bound K  at most K preemptions per trace (CHESS-style)\n"
		"  --no-dpor           plain depth-first search of every choice\n"
		"\n"
		"exit status: 0 the verdict is PASS (with --compare: every column's verdict\n"
		"passes); 1 the verdict is FAIL (with --compare: any column's, mainline's in\n"
		"the default race); 2 usage; 3 the host could not be set up.\n"
		"With --explore: 0 only when every row is complete, the exactness check is\n"
		"exact and no row shows harm it promises never to show: a module or TD lost\n"
		"or an update failed (any row); a wrong MRTD (any row but mainline/retry); a\n"
		"failed build (any row but detect/retry); a SHUTDOWN refused under the hold;\n"
		"a busy outcome under mainline/retry or detect/retry; a builder registering\n"
		"under a hold that was in place when it took the lease's gate (any row). 1\n"
		"otherwise, each harm printed as a HARM line under the table.\n",
		cli_prog, cli_prog);
}

enum {
	OPT_CPUS = 256, OPT_PACKAGES, OPT_FROM, OPT_TO, OPT_RUNNING, OPT_BUILDERS, OPT_PAGES,
	OPT_PROFILE, OPT_DRIVER, OPT_SEED, OPT_UPDATES, OPT_RETRY, OPT_DURATION, OPT_JSON,
	OPT_TRACE, OPT_QUIET, OPT_SCENARIO, OPT_COMPARE, OPT_POLICY, OPT_NO_LEASES,
	OPT_SVG,
	OPT_EXPLORE, OPT_REPLAY, OPT_MAX_TRACES, OPT_PBOUND, OPT_NO_DPOR,
};

static const struct option lab_options[] = {
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "packages", required_argument, NULL, OPT_PACKAGES },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "running", required_argument, NULL, OPT_RUNNING },
	{ "builders", required_argument, NULL, OPT_BUILDERS },
	{ "pages", required_argument, NULL, OPT_PAGES },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "driver", required_argument, NULL, OPT_DRIVER },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "updates", required_argument, NULL, OPT_UPDATES },
	{ "retry", required_argument, NULL, OPT_RETRY },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "compare", no_argument, NULL, OPT_COMPARE },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "no-leases", no_argument, NULL, OPT_NO_LEASES },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "explore", no_argument, NULL, OPT_EXPLORE },
	{ "replay", required_argument, NULL, OPT_REPLAY },
	{ "max-traces", required_argument, NULL, OPT_MAX_TRACES },
	{ "preemption-bound", required_argument, NULL, OPT_PBOUND },
	{ "no-dpor", no_argument, NULL, OPT_NO_DPOR },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct lab_opts {
	struct lab_config cfg;
	bool json, compare, explore;
	const char *scenario;
	const char *svg;
	struct lab_explore_cli ex;	/* --explore, --replay */
};

static int parse_uint(const struct cli_cmd *cmd, const char *opt, const char *s,
		      unsigned int min, unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (cli_parse_u64(s, &v) || v < min || v > max)
		return cli_usage_error(cmd, "--%s wants a number from %u to %u, not '%s'", opt,
				       min, max, s);
	*out = (unsigned int)v;
	return 0;
}

static int parse_version(const struct cli_cmd *cmd, const char *opt, const char *s,
			 const char **out)
{
	if (!module_build_find(s))
		return cli_usage_error(cmd, "--%s: no emulated module build %s "
				       "(see `tdxup image list`)", opt, s);
	*out = s;
	return 0;
}

static int parse_choice(const struct cli_cmd *cmd, int c, const char *arg, struct lab_opts *o)
{
	struct lab_config *cfg = &o->cfg;

	switch (c) {
	case OPT_PROFILE:
		if (kernel_profile_parse(arg, &cfg->profile))
			return cli_usage_error(cmd, "--profile: v8, mainline or detect, not '%s'", arg);
		o->ex.profile_set = true;
		return 0;
	case OPT_DRIVER:
		if (strcmp(arg, "serial") && strcmp(arg, "threads"))
			return cli_usage_error(cmd, "--driver: serial or threads, not '%s'", arg);
		cfg->driver = strcmp(arg, "serial") ? LOCKSTEP_THREADS : LOCKSTEP_SERIAL;
		return 0;
	case OPT_RETRY:
		if (strcmp(arg, "none") && strcmp(arg, "backoff"))
			return cli_usage_error(cmd, "--retry: none or backoff, not '%s'", arg);
		cfg->retry = strcmp(arg, "none") ? LAB_RETRY_BACKOFF : LAB_RETRY_NONE;
		return 0;
	case OPT_POLICY:
		if (strcmp(arg, "oneshot") && strcmp(arg, "retry") && strcmp(arg, "hold"))
			return cli_usage_error(cmd, "--policy: oneshot, retry or hold, not '%s'", arg);
		cfg->retry = strcmp(arg, "oneshot") ? LAB_RETRY_BACKOFF : LAB_RETRY_NONE;
		cfg->hold = !strcmp(arg, "hold");
		o->ex.policy_set = true;
		return 0;
	case OPT_MAX_TRACES:
		if (cli_parse_u64(arg, &o->ex.max_traces) || !o->ex.max_traces)
			return cli_usage_error(cmd, "--max-traces wants a positive number, not '%s'",
					       arg);
		return 0;
	case OPT_PBOUND: {
		unsigned int k = 0;

		if (parse_uint(cmd, "preemption-bound", arg, 0, 1000, &k))
			return CLI_USAGE;
		o->ex.preemption_bound = (int)k;
		return 0;
	}
	case OPT_SEED: {
		uint64_t v;

		if (cli_parse_u64(arg, &v))
			return cli_usage_error(cmd, "--seed wants a number, not '%s'", arg);
		cfg->seed = v;
		return 0;
	}
	}
	return -1;
}

static int parse_one(const struct cli_cmd *cmd, int c, const char *arg, struct lab_opts *o)
{
	struct lab_config *cfg = &o->cfg;
	int ret;

	switch (c) {
	case OPT_CPUS:		return parse_uint(cmd, "cpus", arg, 1, 512, &cfg->cpus);
	case OPT_PACKAGES:	return parse_uint(cmd, "packages", arg, 1, 8, &cfg->packages);
	case OPT_RUNNING:	return parse_uint(cmd, "running", arg, 0, 16, &cfg->running);
	case OPT_BUILDERS:	return parse_uint(cmd, "builders", arg, 0, 32, &cfg->builders);
	case OPT_PAGES:		return parse_uint(cmd, "pages", arg, 1, 4096, &cfg->pages);
	case OPT_UPDATES:	return parse_uint(cmd, "updates", arg, 1, 16, &cfg->updates);
	case OPT_FROM:		return parse_version(cmd, "from", arg, &cfg->from);
	case OPT_TO:		return parse_version(cmd, "to", arg, &cfg->to);
	case OPT_DURATION:
		/* A duration as everywhere: units us ms s m h, a bare number is seconds. */
		if (parse_duration_us(arg, &cfg->retry_for_us) || cfg->retry_for_us > 3600000000ULL)
			return cli_usage_error(cmd, "lab: --duration: a duration up to 1h "
					       "(250ms, 2s...), not '%s'", arg);
		return 0;
	case OPT_NO_LEASES:	cfg->vmm_leases = false; return 0;
	case OPT_JSON:		o->json = true; return 0;
	case OPT_TRACE:		cfg->trace_path = arg; return 0;
	case OPT_SVG:		o->svg = arg; cfg->record = true; return 0;
	case OPT_QUIET:		cfg->quiet = true; return 0;
	case OPT_COMPARE:	o->compare = true; return 0;
	case OPT_EXPLORE:	o->explore = true; return 0;
	case OPT_REPLAY:	o->ex.replay = arg; return 0;
	case OPT_NO_DPOR:	o->ex.no_dpor = true; return 0;
	case OPT_SCENARIO:	return 0;	/* loaded before the other options */
	case 'h':		cli_help(cmd); return -1;
	}
	ret = parse_choice(cmd, c, arg, o);
	return ret < 0 ? CLI_USAGE : ret;
}

/* A scenario file sets the base; options given on the command line win. */
static int load_scenario(const struct cli_cmd *cmd, int argc, char **argv, struct lab_opts *o)
{
	char err[256];
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", lab_options)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		if (c == OPT_SCENARIO)
			o->scenario = optarg;
	}
	if (!o->scenario)
		return 0;
	if (lab_scenario_load(o->scenario, &o->cfg, err, sizeof(err))) {
		cli_err("%s", err);
		return CLI_USAGE;
	}
	return 0;
}

/*
 * Before the run: an output the run could not write is refused now. Never
 * through a symlink, never into a FIFO (fsafe's rules: the file is replaced
 * atomically afterwards), and its directory must take a new file.
 */
static int check_output(const char *opt, const char *path)
{
	char dir[PATH_MAX];
	struct fsafe_err fe;
	const char *slash;
	struct stat st;

	if (!path)
		return 0;
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		cli_err("lab: --%s %s: %s", opt, path, strerror(EISDIR));
		return CLI_USAGE;
	}
	if (fsafe_check_output(path, &fe)) {
		cli_err("lab: --%s %s", opt, fe.msg);
		return CLI_USAGE;
	}
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) + 1 : 1,
		 slash ? path : ".");
	if (access(dir, W_OK | X_OK)) {
		cli_err("lab: --%s %s: %s", opt, path, strerror(errno));
		return CLI_USAGE;
	}
	return 0;
}

static int parse_args(const struct cli_cmd *cmd, int argc, char **argv, struct lab_opts *o)
{
	char err[256];
	int c, ret = load_scenario(cmd, argc, argv, o);

	if (ret)
		return ret;
	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", lab_options)) != -1) {
		if (c == '?')
			return CLI_USAGE;
		ret = parse_one(cmd, c, optarg, o);
		if (ret)
			return ret;
	}
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (o->cfg.packages > o->cfg.cpus)
		return cli_usage_error(cmd, "--packages (%u) exceeds --cpus (%u)", o->cfg.packages,
				       o->cfg.cpus);
	/* Faults that could not fire, sizes memory cannot hold: refused, named. */
	if (lab_config_check(&o->cfg, err, sizeof(err))) {
		cli_err("lab: %s", err);
		return CLI_USAGE;
	}
	return check_output("trace", o->cfg.trace_path) ?: check_output("svg", o->svg);
}

/* The picture is the run's too: one that cannot be written fails the command. */
static int write_svg(const char *path, const struct lab_svg_run *runs, unsigned int n)
{
	struct fsafe_err fe;
	int err = lab_svg_write(path, runs, n, &fe);

	if (err)
		cli_err("lab: --svg %s", fe.msg);
	return err;
}

static int run_one(struct lab_opts *o)
{
	struct lab_result res;
	int err = lab_run(&o->cfg, &res);

	if (err) {
		cli_err("lab: the run could not be set up: %s", res.verdict_reason[0] ?
			res.verdict_reason : strerror(-err));
		lab_result_free(&res);
		return 3;
	}
	if (o->json)
		lab_print_json(stdout, &o->cfg, &res);
	else
		lab_print_text(stdout, &o->cfg, &res);
	if (o->svg && write_svg(o->svg, &(struct lab_svg_run){ NULL, &o->cfg, &res }, 1))
		err = 3;
	lab_result_free(&res);
	return err ? err : res.pass ? CLI_OK : CLI_FAIL;
}

static int run_compare(struct lab_opts *o)
{
	struct lab_result res[LAB_COMPARE_RUNS];
	struct lab_config cfgs[LAB_COMPARE_RUNS];
	struct lab_svg_run runs[LAB_COMPARE_RUNS];
	int err = 0, p;

	memset(res, 0, sizeof(res));
	for (p = 0; p < LAB_COMPARE_RUNS && !err; p++) {
		struct lab_config cfg = o->cfg;

		cfg.profile = lab_compare_runs[p].profile;
		cfg.hold = lab_compare_runs[p].hold;
		cfg.quiet = true;
		/* One trace file can hold one run: keep the v8 one. */
		if (p)
			cfg.trace_path = NULL;
		err = lab_run(&cfg, &res[p]);
		cfgs[p] = cfg;
		runs[p] = (struct lab_svg_run){ lab_compare_runs[p].label, &cfgs[p], &res[p] };
	}
	if (err) {
		cli_err("lab: the %s run could not be set up: %s", lab_compare_runs[p - 1].label,
			strerror(-err));
	} else if (o->json) {
		lab_print_compare_json(stdout, &o->cfg, res);
	} else {
		lab_print_compare(stdout, &o->cfg, res);
	}
	if (!err && o->svg && write_svg(o->svg, runs, LAB_COMPARE_RUNS))
		err = -EIO;
	for (p = 0; p < LAB_COMPARE_RUNS; p++)
		lab_result_free(&res[p]);
	if (err)
		return 3;
	/* Any column that fails fails the run: a script must not read PASS in it. */
	for (p = 0; p < LAB_COMPARE_RUNS; p++)
		if (!res[p].pass)
			return CLI_FAIL;
	return CLI_OK;
}

/* --explore and --replay start from the exploration's small defaults. */
static bool exploring(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--explore") || !strncmp(argv[i], "--replay", 8))
			return true;
	return false;
}

static int run_explore(const struct cli_cmd *cmd, struct lab_opts *o)
{
	if (o->cfg.driver != LOCKSTEP_SERIAL || o->compare || (o->explore && o->ex.replay))
		return cli_usage_error(cmd, "--explore/--replay: serial driver only, and not "
				       "with --compare or each other");
	o->ex.cfg = o->cfg;
	o->ex.json = o->json;
	return o->ex.replay ? lab_replay_cli(&o->ex) : lab_explore_cli(&o->ex);
}

static int lab_main(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct lab_opts o = { .ex.preemption_bound = -1 };
	int ret;

	if (exploring(argc, argv))
		lab_explore_config_init(&o.cfg);
	else
		lab_config_init(&o.cfg);
	ret = parse_args(cmd, argc, argv, &o);
	if (ret)
		return ret < 0 ? CLI_OK : ret;
	if (o.explore || o.ex.replay)
		return run_explore(cmd, &o);
	return o.compare ? run_compare(&o) : run_one(&o);
}

const struct cli_cmd cmd_lab = {
	.name = "lab",
	.summary = "run the emulated host's update/TD-build race and judge every TD",
	.run = lab_main,
	.usage = lab_usage,
};
