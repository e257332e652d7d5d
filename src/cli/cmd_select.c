// SPDX-License-Identifier: MIT
/*
 * `tdxup select`: judge every module of a catalogue against the running
 * module, P-SEAMLDR and CPU, and name the one to install.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tdxup/select.h"
#include "tdxup/status.h"
#include "cli/target.h"

enum { SELECT_EXIT_NONE = 3 };	/* no compatible module: update would refuse */

static void select_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s select --catalog DIR [--sysroot DIR | --sysfs ROOT]\n"
		"                    [--module-version X.Y.Z] [--seamldr-version X.Y.Z]\n"
		"                    [--cpu-fms HEX] [--allow-debug] [--json]\n"
		"\n"
		"Judge every module image of an Intel-style catalogue (DIR/mapping_file.json,\n"
		"DIR/joined_files/<major.minor>/tdx_module_<x.y.z>.blob) and choose the\n"
		"newest valid one. Rules: image intact (checksum, signature, seamhash) and\n"
		"signed with a trusted key; CPU in the module's list (stepping masked);\n"
		"a min_seamldr_versions entry on the running P-SEAMLDR's major.minor with\n"
		"an update not above it; not debug-signed; TD-preserving: same major.minor\n"
		"as the running module, not older (same version allowed), running at least\n"
		"min_module_version_for_td_preserving; and, when the catalogue has the\n"
		"running version's image, the SEAM SVN P-SEAMLDR accepts and handoff\n"
		"versions [min_update_hv, module_hv] covering the running module_hv.\n"
		"\n"
		"  --catalog DIR            the catalogue\n"
		"  --sysroot DIR            the host's files under DIR (default /): running\n"
		"                           versions from DIR/sys (seamldr_version is\n"
		"                           root-only), the CPU from DIR/proc/cpuinfo\n"
		"  --sysfs ROOT             ROOT stands for /sys alone (the CPU is this\n"
		"                           machine's); not with --sysroot\n"
		"  --module-version X.Y.Z   the running module (instead of sysfs)\n"
		"  --seamldr-version X.Y.Z  the running P-SEAMLDR (instead of sysfs)\n"
		"  --cpu-fms HEX            CPUID.1.EAX (default: the target's cpuinfo)\n"
		"  --allow-debug            accept debug-signed modules\n"
		"  --json                   machine-readable: running, choice (null when\n"
		"                           none), candidates [{version, ok, verdict, reason,\n"
		"                           path}], notes\n"
		"\n"
		"exit status: 0 a module was chosen; 1 unreadable catalogue or host; 2 usage;\n"
		"3 no compatible module\n",
		cli_prog);
}

struct select_args {
	const char *catalog, *module, *seamldr;
	struct cli_target ct;
	bool cpu_set, allow_debug, json;
	struct trusted_keys declared;
	uint32_t cpu_fms;
};

static int parse_args(const struct cli_cmd *cmd, int argc, char **argv, struct select_args *a)
{
	static const struct option longopts[] = {
		{ "catalog", required_argument, NULL, 'c' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "sysroot", required_argument, NULL, 'r' },
		{ "module-version", required_argument, NULL, 'm' },
		{ "seamldr-version", required_argument, NULL, 'l' },
		{ "cpu-fms", required_argument, NULL, 'f' },
		{ "allow-debug", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int opt;

	memset(a, 0, sizeof(*a));
	cli_getopt_reset();
	while ((opt = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (opt) {
		case 'c':
			a->catalog = optarg;
			break;
		case 's':
			a->ct.sysfs_arg = optarg;
			break;
		case 'r':
			a->ct.sysroot_arg = optarg;
			break;
		case 'm':
			a->module = optarg;
			break;
		case 'l':
			a->seamldr = optarg;
			break;
		case 'd':
			a->allow_debug = true;
			break;
		case 'j':
			a->json = true;
			break;
		case 'f':
			if (cli_parse_hex32(optarg, &a->cpu_fms))
				return cli_usage_error(cmd, "select: --cpu-fms: '%s' is not hex",
						       optarg);
			a->cpu_set = true;
			break;
		case 'h':
			return -1;
		default:
			return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "select: unexpected argument '%s'", argv[optind]);
	if (!a->catalog)
		return cli_usage_error(cmd, "select: --catalog DIR is required");
	/* With every running value given, a --sysroot still says which keys the target trusts. */
	return 0;
}

static int version_arg(const struct cli_cmd *cmd, const char *opt, const char *s,
		       struct tdx_version *v)
{
	if (tdx_version_parse(s, v))
		return cli_usage_error(cmd, "select: %s: '%s' is not X.Y.Z", opt, s);
	return 0;
}

/* The running state: from options, the rest from sysfs. */
static int running(const struct cli_cmd *cmd, struct select_args *a, struct select_host *h)
{
	const char *root = a->ct.t.sysfs;
	struct tdx_sysfs_state st;
	struct sysfs_client c;
	int ret;

	memset(h, 0, sizeof(*h));
	/* select installs nothing: --allow-debug here only shows what would count. */
	h->allow_debug = a->allow_debug;
	h->accept_td_loss = a->allow_debug;
	h->cpu_fms = a->cpu_fms;
	if (a->module && version_arg(cmd, "--module-version", a->module, &h->module))
		return CLI_USAGE;
	if (a->seamldr && version_arg(cmd, "--seamldr-version", a->seamldr, &h->seamldr))
		return CLI_USAGE;
	ret = cli_target_setup(cmd, &a->ct, &c);
	if (ret)
		return ret;
	if (!a->cpu_set && cli_target_cpu_fms(&a->ct, &h->cpu_fms))
		return CLI_FAIL;
	if (cli_target_trusted_keys(&a->ct, &a->declared))
		return CLI_FAIL;
	h->trusted_keys = (const uint8_t (*)[48])a->declared.hash;
	h->nr_trusted_keys = a->declared.nr;
	if (a->module && a->seamldr)
		return 0;
	if (tdx_sysfs_state_read(&c, &st)) {
		tdx_sysroot_no_device_reason(&a->ct.t, st.reason, sizeof(st.reason));
		cli_err("%s; or give --module-version and --seamldr-version", st.reason);
		return CLI_FAIL;
	}
	if (!a->module && st.version_err) {
		cli_err("%s: cannot read the module version: %s", root, st.reason);
		return CLI_FAIL;
	}
	if (!a->seamldr && st.seamldr_err) {
		cli_err("%s: cannot read the P-SEAMLDR version: %s (root only; or give "
			"--seamldr-version)", root, strerror(-st.seamldr_err));
		return CLI_FAIL;
	}
	if (!a->module)
		h->module = st.module;
	if (!a->seamldr)
		h->seamldr = st.seamldr;
	return 0;
}

static void print_text(const struct catalog *cat, const struct select_host *h,
		       const struct select_result *r)
{
	char a[TDX_VERSION_STR_LEN], b[TDX_VERSION_STR_LEN];

	printf("running: module %s, P-SEAMLDR %s, CPU %#x\n", tdx_version_str(&h->module, a),
	       tdx_version_str(&h->seamldr, b), h->cpu_fms);
	for (size_t i = 0; i < cat->nr_notes; i++)
		printf("note: %s\n", cat->notes[i]);
	for (size_t i = 0; i < r->nr; i++)
		printf("  %-8s %-8s %s\n", tdx_version_str(&r->cands[i].version, a),
		       r->cands[i].verdict == SELECT_OK ? "ok" : "refused", r->cands[i].reason);
	if (r->choice >= 0)
		printf("choice: %s (%s)\n", tdx_version_str(&r->cands[r->choice].version, a),
		       r->cands[r->choice].blob->rel_path);
	else
		printf("choice: none (no compatible module)\n");
}

static int print_json(const struct catalog *cat, const struct select_host *h,
		      const struct select_result *r)
{
	json_t *o = json_object(), *run = json_object(), *cands = json_array(),
	       *notes = json_array();
	char a[TDX_VERSION_STR_LEN];

	if (!o || !run || !cands || !notes)
		return cli_json_print(NULL);
	json_object_set_new(run, "module_version", json_string(tdx_version_str(&h->module, a)));
	json_object_set_new(run, "seamldr_version", json_string(tdx_version_str(&h->seamldr, a)));
	json_object_set_new(run, "cpu_fms", cli_json_hexnum(h->cpu_fms, 1));
	json_object_set_new(o, "running", run);
	json_object_set_new(o, "choice", r->choice < 0 ? json_null() :
			    json_string(tdx_version_str(&r->cands[r->choice].version, a)));
	for (size_t i = 0; i < r->nr; i++) {
		const struct select_candidate *c = &r->cands[i];

		json_array_append_new(cands, json_pack("{s:s, s:b, s:s, s:s, s:s}",
			"version", tdx_version_str(&c->version, a),
			"ok", c->verdict == SELECT_OK,
			"verdict", select_verdict_name(c->verdict),
			"reason", c->reason,
			"path", c->blob->rel_path));
	}
	json_object_set_new(o, "candidates", cands);
	for (size_t i = 0; i < cat->nr_notes; i++)
		json_array_append_new(notes, json_string(cat->notes[i]));
	json_object_set_new(o, "notes", notes);
	return cli_json_print(o);
}

static int select_cmd_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct select_args a;
	struct select_host h;
	struct select_result r;
	struct catalog *cat;
	char err[512];
	int ret;

	ret = parse_args(cmd, argc, argv, &a);
	if (ret)
		return ret < 0 ? cli_help(cmd) : ret;
	ret = running(cmd, &a, &h);
	if (ret)
		return ret;
	if (catalog_load(a.catalog, &cat, err, sizeof(err))) {
		cli_err("%s", err);
		return CLI_FAIL;
	}
	if (select_run(cat, &h, &r)) {
		cli_err("out of memory");
		catalog_free(cat);
		return CLI_FAIL;
	}
	if (a.json)
		ret = print_json(cat, &h, &r);
	else
		print_text(cat, &h, &r);
	if (!ret && r.choice < 0)
		ret = SELECT_EXIT_NONE;
	select_result_free(&r);
	catalog_free(cat);
	return ret;
}

const struct cli_cmd cmd_select = {
	.name = "select",
	.summary = "choose the module to install from a catalogue",
	.run = select_cmd_run,
	.usage = select_usage,
};
