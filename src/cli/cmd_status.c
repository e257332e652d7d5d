// SPDX-License-Identifier: MIT
/*
 * `tdxup status`: the runtime-update state of a TDX host as its sysfs
 * files show it. Works on a real /sys and on a mounted emulator alike.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/status_fleet.h"
#include "cli/target.h"
#include "cli/vmm_report.h"
#include "tdxup/duration.h"
#include "tdxup/metrics.h"
#include "tdxup/status.h"

/* Shorter than a second is no lifetime; beyond a week, labels outlive any timer. */
#define NFD_EXPIRY_MIN_US	1000000ULL
#define NFD_EXPIRY_MAX_US	(7ULL * 24 * 3600 * 1000000)

enum {
	STATUS_EXIT_UNAVAILABLE	= 3,	/* same meaning as update's "refused" */
	STATUS_EXIT_LOST	= 6,	/* same as update's */
};

static void status_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s status [--sysroot DIR | --sysfs ROOT] [--json]\n"
		"                    [--textfile DIR [--catalog DIR]]\n"
		"                    [--nfd-features FILE [--nfd-expiry DURATION]]\n"
		"\n"
		"Show the TDX module's runtime-update state: module version, P-SEAMLDR\n"
		"version, updates left, whether a runtime update is possible and why not,\n"
		"the upload status (and an upload left open) and the last upload error.\n"
		"Only the documented files are read (devices/faux/tdx_host,\n"
		"class/firmware/tdx_module); the v5-v7 legacy paths (tdx_host/seamldr/,\n"
		"seamldr_upload) when those are missing.\n"
		"P-SEAMLDR version and updates left are root-only files.\n"
		"Then the VMMs declared to take build leases, and whether each really does\n"
		"now: libvirt only once its daemon was started after the hook was installed\n"
		"(docs/lease.md).\n"
		"\n"
		CLI_TARGET_HELP
		"  --json         machine-readable: module_version, seamldr_version,\n"
		"                 num_remaining_updates, update_available, reason (when not\n"
		"                 available), upload_status, upload_open (loading reads 1;\n"
		"                 null: unreadable), last_error (null: unreadable),\n"
		"                 kernel_release (null: unreadable), vmms: the VMMs declared\n"
		"                 in etc/tdxup/lease.d/ [{name, protecting, why}] (null:\n"
		"                 unreadable)\n"
		"  --textfile DIR write DIR/tdxup.prom for node_exporter's textfile collector\n"
		"                 (a temporary file in DIR, fsync, rename): module and\n"
		"                 P-SEAMLDR versions (_info labels and a _version number),\n"
		"                 updates left, tdxup_tdx_module_up\n"
		"                 (0: version unreadable, e.g. the module lost), the last\n"
		"                 `update` run's result and time and the device-busy\n"
		"                 rejections seen (from SYSROOT/run/tdxup/last-update.json,\n"
		"                 which every update run that is not a dry run writes)\n"
		"  --catalog DIR  with --textfile: tdxup_tdx_module_update_available, 1 when\n"
		"                 `select`'s choice from the catalogue is newer than the\n"
		"                 running module\n"
		"  --nfd-features FILE\n"
		"                 write FILE (atomically) for Node Feature Discovery's local\n"
		"                 source: tdxup.io/tdx-module-version.full, .major, .minor,\n"
		"                 .revision, with an expiry time (empty when the version is\n"
		"                 unreadable)\n"
		"  --nfd-expiry DURATION\n"
		"                 NFD drops the labels DURATION after the write unless the\n"
		"                 file is written again (default 15m: three periods of the\n"
		"                 five-minute metrics timer; 1s to 168h)\n"
		"With --textfile or --nfd-features nothing is printed unless --json is\n"
		"given, and the exit status says whether the files were written: 0\n"
		"written, 1 not (the host's state is in the files).\n"
		"\n"
		"exit status: 0 a runtime update is possible; 1 no tdx_host device (the\n"
		"message says whether DIR/sys is empty or lacks it); 2 usage; 3 a runtime\n"
		"update is not possible now (the reason is printed; an upload in\n"
		"progress or left open is one); 6 the module is lost\n"
		"(version gives ENXIO: TDs are gone, reboot)\n",
		cli_prog);
}

static const char *errtext(int err, char *buf, size_t len)
{
	if (err == -ENXIO)
		snprintf(buf, len, "unavailable (ENXIO: module lost)");
	else if (err == -ENODEV)
		snprintf(buf, len, "absent");
	else
		snprintf(buf, len, "unreadable (%s)", strerror(-err));
	return buf;
}

/* The declared VMMs; NULL (printed as unreadable) if lease.d/ cannot be read. */
static const struct vmm_states *read_vmms(const struct cli_target *ct, struct vmm_states *s)
{
	struct lease_err e = { "" };

	if (vmm_states_read(ct->t.dir[0] ? ct->t.dir : "/", s, &e)) {
		cli_err("status: build lease declarations: %s", e.msg);
		return NULL;
	}
	return s;
}

static void print_vmms(const struct cli_target *ct)
{
	struct vmm_states s;

	if (!read_vmms(ct, &s))
		return;
	printf("build leases:\n");
	cli_print_vmms(stdout, "  ", &s);
}

static void print_text(const struct tdx_sysfs_state *st, const struct cli_target *ct)
{
	const char *root = ct->t.sysfs;
	char a[TDX_VERSION_STR_LEN], e[96];

	printf("kernel release:     %s\n", ct->release[0] ? ct->release : "unknown");

	printf("module version:     %s\n", st->version_err ? errtext(st->version_err, e, sizeof(e)) :
	       tdx_version_str(&st->module, a));
	printf("P-SEAMLDR version:  %s\n", st->seamldr_err ? errtext(st->seamldr_err, e, sizeof(e)) :
	       tdx_version_str(&st->seamldr, a));
	if (st->remaining_err)
		printf("updates left:       %s\n", errtext(st->remaining_err, e, sizeof(e)));
	else
		printf("updates left:       %u\n", st->remaining);
	if (st->fw_name)
		printf("fw_upload device:   %s/%s/%s%s\n", root, FW_CLASS_DIR, st->fw_name,
		       st->legacy_layout ? " (legacy layout)" : "");
	else
		printf("fw_upload device:   none\n");
	if (st->update_available)
		printf("runtime update:     available\n");
	else
		printf("runtime update:     not available: %s\n", st->reason);
	if (!st->fw_name) {
		print_vmms(ct);
		return;
	}
	printf("upload status:      %s\n", st->status_err ? errtext(st->status_err, e, sizeof(e)) :
	       st->upload_status);
	if (st->loading)
		printf("upload open:        yes (loading reads 1): another writer's, or one a "
		       "killed updater left half done; `%s update --cancel-stale` cancels it\n",
		       cli_prog);
	if (st->error_err)
		printf("last error:         %s\n", st->error_err == -EBUSY ?
		       "(not readable while an upload runs)" : errtext(st->error_err, e, sizeof(e)));
	else
		printf("last error:         %s\n", st->last_error[0] ? st->last_error : "none");
	print_vmms(ct);
}

static json_t *opt_version(int err, const struct tdx_version *v)
{
	char s[TDX_VERSION_STR_LEN];

	return err ? json_null() : json_string(tdx_version_str(v, s));
}

static int print_json(const struct tdx_sysfs_state *st, const struct cli_target *ct)
{
	json_t *o = json_object();

	if (!o)
		return cli_json_print(NULL);
	json_object_set_new(o, "module_version", opt_version(st->version_err, &st->module));
	json_object_set_new(o, "seamldr_version", opt_version(st->seamldr_err, &st->seamldr));
	json_object_set_new(o, "num_remaining_updates",
			    st->remaining_err ? json_null() : json_integer(st->remaining));
	json_object_set_new(o, "update_available", json_boolean(st->update_available));
	if (!st->update_available)
		json_object_set_new(o, "reason", json_string(st->reason));
	json_object_set_new(o, "fw_upload_device",
			    st->fw_name ? json_string(st->fw_name) : json_null());
	json_object_set_new(o, "upload_status",
			    st->status_err ? json_null() : json_string(st->upload_status));
	json_object_set_new(o, "upload_open",
			    st->loading_err ? json_null() : json_boolean(st->loading));
	json_object_set_new(o, "last_error",
			    st->error_err ? json_null() : json_string(st->last_error));
	json_object_set_new(o, "kernel_release",
			    ct->release[0] ? json_string(ct->release) : json_null());
	{
		struct vmm_states s;

		json_object_set_new(o, "vmms", read_vmms(ct, &s) ? cli_json_vmms(&s) :
				    json_null());
	}
	return cli_json_print(o);
}

static int status_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "sysfs", required_argument, NULL, 's' },
		{ "sysroot", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "textfile", required_argument, NULL, 't' },
		{ "nfd-features", required_argument, NULL, 'n' },
		{ "catalog", required_argument, NULL, 'c' },
		{ "nfd-expiry", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct status_fleet sf = { .nfd_expiry_us = METRICS_NFD_EXPIRY_S * 1000000ULL };
	bool expiry_set = false;
	struct cli_target ct = { 0 };
	struct tdx_sysfs_state st;
	struct sysfs_client c;
	bool json = false;
	int opt, ret;

	cli_getopt_reset();
	while ((opt = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (opt) {
		case 's':
			ct.sysfs_arg = optarg;
			break;
		case 'r':
			ct.sysroot_arg = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 't':
			sf.textfile_dir = optarg;
			break;
		case 'n':
			sf.nfd_file = optarg;
			break;
		case 'c':
			sf.catalog_dir = optarg;
			break;
		case 'e':
			if (parse_duration_us(optarg, &sf.nfd_expiry_us) ||
			    sf.nfd_expiry_us < NFD_EXPIRY_MIN_US || sf.nfd_expiry_us > NFD_EXPIRY_MAX_US)
				return cli_usage_error(cmd, "status: --nfd-expiry: '%s' is not a "
						       "duration from 1s to 168h", optarg);
			expiry_set = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return CLI_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(cmd, "status: unexpected argument '%s'", argv[optind]);
	if (sf.catalog_dir && !sf.textfile_dir)
		return cli_usage_error(cmd, "status: --catalog goes with --textfile");
	if (expiry_set && !sf.nfd_file)
		return cli_usage_error(cmd, "status: --nfd-expiry goes with --nfd-features");
	ret = cli_target_setup(cmd, &ct, &c);
	if (ret)
		return ret;
	ret = tdx_sysfs_state_read(&c, &st);
	if (ret)
		tdx_sysroot_no_device_reason(&ct.t, st.reason, sizeof(st.reason));
	if (sf.textfile_dir || sf.nfd_file) {
		if (json)
			print_json(&st, &ct);
		return status_fleet_write(&sf, &ct, ret ? NULL : &st);
	}
	if (json)
		print_json(&st, &ct);
	else if (ret)
		cli_err("%s", st.reason);
	else
		print_text(&st, &ct);
	if (ret)
		return CLI_FAIL;
	if (st.version_err == -ENXIO)
		return STATUS_EXIT_LOST;
	return st.update_available ? CLI_OK : STATUS_EXIT_UNAVAILABLE;
}

const struct cli_cmd cmd_status = {
	.name = "status",
	.summary = "runtime-update state of a TDX host (sysfs)",
	.run = status_run,
	.usage = status_usage,
};
