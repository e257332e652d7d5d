// SPDX-License-Identifier: MIT
/*
 * `tdxup status --textfile DIR` and `--nfd-features FILE`: the host's
 * update state as node_exporter's textfile collector and Node Feature
 * Discovery's local source read it (docs/fleet.md). The text is built in
 * src/updater/metrics.c; this file gathers the inputs and writes the files,
 * each atomically, since both readers may look at any moment.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/status_fleet.h"
#include "tdxup/fsafe.h"
#include "tdxup/metrics.h"
#include "tdxup/select.h"

/* tdxup_tdx_module_update_available: select's choice against the running module. */
static int catalog_check(const char *dir, struct cli_target *ct,
			 const struct tdx_sysfs_state *st, struct metrics_input *in)
{
	struct select_host h = { .module = { 0 } };
	struct trusted_keys tk = { .nr = 0 };
	struct select_result r;
	struct catalog *cat;
	char err[512];

	/* Without both versions select cannot judge; a guess would page someone. */
	if (!st || st->version_err || st->seamldr_err) {
		cli_err("status: --catalog: the module or P-SEAMLDR version is unreadable; "
			"tdxup_tdx_module_update_available left out");
		return 0;
	}
	h.module = st->module;
	h.seamldr = st->seamldr;
	if (cli_target_cpu_fms(ct, &h.cpu_fms) || cli_target_trusted_keys(ct, &tk))
		return CLI_FAIL;
	h.trusted_keys = (const uint8_t (*)[48])tk.hash;
	h.nr_trusted_keys = tk.nr;
	if (catalog_load(dir, &cat, err, sizeof(err))) {
		cli_err("status: --catalog: %s", err);
		return CLI_FAIL;
	}
	if (select_run(cat, &h, &r)) {
		catalog_free(cat);
		cli_err("out of memory");
		return CLI_FAIL;
	}
	in->catalog_checked = true;
	in->update_available = r.choice >= 0 &&
			       tdx_version_cmp(&r.cands[r.choice].version, &st->module) > 0;
	select_result_free(&r);
	catalog_free(cat);
	return 0;
}

/* The last run's record, if the target keeps one; a damaged one counts as none. */
static bool read_last(struct cli_target *ct, struct last_update *lu)
{
	char path[PATH_MAX], err[128];
	int ret;

	if (last_update_path(ct->t.sysfs, path, sizeof(path)))
		return false;
	ret = last_update_read(path, lu, err, sizeof(err));
	if (ret && ret != -ENOENT)
		cli_err("status: %s: %s; the last-update metrics are left out", path,
			ret == -EINVAL ? err : strerror(-ret));
	return !ret;
}

static int write_text(const char *path, char *text)
{
	struct fsafe_err fe;
	int ret;

	if (!text) {
		cli_err("out of memory");
		return CLI_FAIL;
	}
	/* Atomic, never through a symlink, never into a FIFO (fsafe_write_output). */
	ret = fsafe_write_output(path, text, strlen(text), 0644, &fe);
	free(text);
	if (ret) {
		cli_err("status: %s", fe.msg);
		return CLI_FAIL;
	}
	return 0;
}

static int write_textfile(const struct status_fleet *sf, struct cli_target *ct,
			  const struct tdx_sysfs_state *st)
{
	struct metrics_input in = { .st = st };
	struct last_update lu;
	char path[PATH_MAX];
	int ret;

	if (sf->catalog_dir) {
		ret = catalog_check(sf->catalog_dir, ct, st, &in);
		if (ret)
			return ret;
	}
	if (read_last(ct, &lu))
		in.last = &lu;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", sf->textfile_dir,
			     METRICS_TEXTFILE_NAME) >= sizeof(path)) {
		cli_err("status: --textfile: path too long");
		return CLI_FAIL;
	}
	return write_text(path, metrics_textfile(&in));
}

int status_fleet_write(const struct status_fleet *sf, struct cli_target *ct,
		       const struct tdx_sysfs_state *st)
{
	int ret = 0;

	if (sf->textfile_dir)
		ret = write_textfile(sf, ct, st);
	if (sf->nfd_file &&
	    write_text(sf->nfd_file, metrics_nfd_features(st, time(NULL) +
							  (time_t)(sf->nfd_expiry_us / 1000000))))
		ret = CLI_FAIL;
	return ret;
}
