/* SPDX-License-Identifier: MIT */
/*
 * The record of the last update run, for monitoring (`tdxup status
 * --textfile`, docs/fleet.md). Every update_run() that is not a dry run
 * and got the host lock, refused by a pre-check or not, replaces
 * SYSROOT/run/tdxup/last-update.json while it still holds that lock: its result, when it ended, from and to, and the
 * device-busy rejections it met, added to a running total.
 *
 * Under run/, not var/lib/ (a choice, inferred): a runtime update does not
 * outlive a reboot (the BIOS loads the boot module again), so a record
 * from an earlier boot would describe a module no longer running; the
 * total is a Prometheus counter, and counters may reset.
 *
 * The file is small JSON: {"result": "updated", "timestamp": 1767225600,
 * "from": "1.5.24", "to": "1.5.25", "busy_rejections": 2,
 * "busy_rejections_total": 5, "runs_total": 3}.
 */
#ifndef TDXUP_LAST_UPDATE_H
#define TDXUP_LAST_UPDATE_H

#include <stddef.h>
#include <stdint.h>

#include "tdxup/update.h"

#define LAST_UPDATE_DIR		"run/tdxup"
#define LAST_UPDATE_FILE	"last-update.json"

struct last_update {
	char result[16];		/* update_outcome_name() */
	int64_t timestamp;		/* end of the run, Unix seconds */
	char from[24], to[24];		/* "" when unknown */
	uint64_t busy_rejections;	/* in that run */
	uint64_t busy_rejections_total;	/* in every run recorded since the file appeared */
	uint64_t runs_total;
};

/*
 * The record beside a sysfs directory: "X/sys" (a sysroot's, or /sys)
 * gives "X/run/tdxup/last-update.json". 0, -ENOENT when the directory is
 * not named sys (an arbitrary tree given as --sysfs has no sysroot to keep
 * it in), -ENAMETOOLONG.
 */
int last_update_path(const char *sysfs_root, char *buf, size_t size);

/* 0, -ENOENT (no run recorded), -EINVAL (not a record: reason in err), -errno. */
int last_update_read(const char *path, struct last_update *lu, char *err, size_t errlen);

/*
 * Record r as the last run, ended at now: the totals continue those of
 * the record found (none, or an unreadable one: from zero). Creates the
 * directory (exactly 0755, and refused unless only root could change it)
 * and replaces the file atomically (0644), never through a symlink and
 * never into a FIFO or device (fsafe_write_output). 0 or -errno, with
 * "PATH: why" in err (err may be NULL).
 */
int last_update_record(const char *path, const struct update_result *r, int64_t now,
		       char *err, size_t errlen);

#endif /* TDXUP_LAST_UPDATE_H */
