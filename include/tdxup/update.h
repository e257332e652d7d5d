/* SPDX-License-Identifier: MIT */
/*
 * The update client (userspace.md 3): every pre-check before anything is
 * written, the fw_upload protocol (kernel.md 9), retries on device-busy
 * with seeded, jittered exponential back-off, and a distinct outcome for
 * "nothing changed" and "module lost". It is a library call: it never
 * exits and never prints, so the CLI, the tests and the simulator's
 * operator (in-process backend, virtual clock) all use it as is.
 */
#ifndef TDXUP_UPDATE_H
#define TDXUP_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxup/attest.h"
#include "tdxup/duration.h"
#include "tdxup/sysfs_client.h"

enum update_outcome {
	UPDATE_UPDATED,		/* the target is running now */
	UPDATE_CURRENT,		/* already running the target (or nothing newer) */
	UPDATE_DRY_RUN,		/* every pre-check passed; nothing written */
	UPDATE_REFUSED,		/* a pre-check failed; nothing written */
	UPDATE_BUSY,		/* still device-busy when the retry window closed */
	UPDATE_FAILED,		/* the kernel refused it; version unchanged, TDs safe */
	UPDATE_LOST,		/* version gives ENXIO: module lost, TDs gone */
	UPDATE_ERROR,		/* I/O error or timeout: state unknown */
};

/* The CLI's exit status for an outcome (documented in `tdxup update --help`). */
enum {
	UPDATE_EXIT_OK		= 0,	/* updated, current, dry run */
	UPDATE_EXIT_ERROR	= 1,	/* unexpected error; check `tdxup status` */
	UPDATE_EXIT_USAGE	= 2,
	UPDATE_EXIT_REFUSED	= 3,
	UPDATE_EXIT_BUSY	= 4,
	UPDATE_EXIT_FAILED	= 5,
	UPDATE_EXIT_LOST	= 6,
};

int update_exit_code(enum update_outcome o);
const char *update_outcome_name(enum update_outcome o);	/* "updated", ... */

/*
 * The points of an upload where the caller may want to stop or defer
 * termination (update_opts.guard).
 */
enum update_guard {
	UPDATE_GUARD_OPEN,	/* just before loading=1: nothing written yet */
	UPDATE_GUARD_POLL,	/* before each data write and before loading=0 */
	UPDATE_GUARD_SETTLED,	/* an attempt's outcome is known, another may follow */
};

#define UPDATE_DEFAULT_RETRY_FOR_US	(60ULL * 1000000)
#define UPDATE_DEFAULT_POLL_TIMEOUT_US	(600ULL * 1000000)
#define UPDATE_DEFAULT_POLL_US		(100ULL * 1000)
#define UPDATE_DEFAULT_BACKOFF_MIN_US	(1000ULL * 1000)
#define UPDATE_DEFAULT_BACKOFF_MAX_US	(16ULL * 1000000)
#define UPDATE_DEFAULT_CHUNK		(64u * 1024)

struct update_opts {
	/* What to install: an image (path or bytes), or the catalogue's choice. */
	const char *image_path;
	const uint8_t *image;
	size_t image_len;
	/* With an image: its metadata (rules, running image); alone: choose. */
	const char *catalog_dir;
	/* Catalogue: this version, not the newest. Image: its version if unknown. */
	const char *version;
	bool cpu_fms_set;		/* else CPUID.1.EAX of this CPU */
	uint32_t cpu_fms;
	/*
	 * Where the run is recorded (tdxup/last_update.h): NULL, beside the
	 * sysfs root when it is a directory named sys (last_update_path); ""
	 * nowhere. A dry run is never recorded.
	 */
	const char *state_path;
	/* Safety overrides: honoured only with accept_td_loss (select.h). */
	bool allow_debug;
	const uint8_t (*forced_keys)[48];
	size_t nr_forced_keys;
	bool accept_td_loss;
	bool force_downgrade;
	/* Install even when the target already runs: a same-version re-install
	 * is TD-preserving like any update (userspace.md 2.2). */
	bool reinstall;
	/*
	 * Declarative: the target is `version` (or, without one, the
	 * catalogue's choice), and a host already running it is current
	 * before any image or catalogue is read, so a rerun is a no-op
	 * even where the image is gone. Not with reinstall.
	 */
	bool ensure;
	bool dry_run;
	/*
	 * With dry_run: also what a real run would meet before its first
	 * byte, read-only: the host lock probed (never taken), the
	 * fw_upload device idle and not loading, the builds in flight a
	 * hold would wait for. The outcome is the one a real run would
	 * have, except busy (the future decides) and what the upload says.
	 */
	bool check;
	/* 0: detect (see update.c, "Image format"); 0x100 or 0x200: force. */
	unsigned int image_format;
	/* The target's /proc/sys/kernel/osrelease; NULL: unknown (detect from sysfs). */
	const char *kernel_release;
	/* Said instead of the generic "no tdx_host device" (tdx_sysroot_no_device_reason). */
	const char *no_device_reason;
	/* The keys the target declares (trusted_keys_load), beside Intel's. */
	const uint8_t (*trusted_keys)[48];
	size_t nr_trusted_keys;
	uint64_t retry_for_us;		/* device-busy window; 0: one attempt */
	uint64_t poll_timeout_us;	/* status back to idle */
	uint64_t poll_us;
	uint64_t backoff_min_us, backoff_max_us;
	uint64_t seed;			/* jitter */
	size_t chunk;			/* bytes per data write() */
	/*
	 * The host-wide lock (tdxup/host_lock.h), taken for the whole run;
	 * NULL: none (an in-process caller that serialises its own updates).
	 */
	const char *lock_path;
	const char *lock_what;		/* recorded for whoever finds it taken */
	/* Refuse when fewer than this many updates would be left afterwards. */
	unsigned int keep_updates;
	/* A half-done upload found at the start (loading=1): cancel, not refuse. */
	bool cancel_stale;
	/*
	 * Safety rule 3 (tdxup/hold_policy.h decides): hold_refuse set refuses
	 * the update with that reason once every pre-check has passed (a dry
	 * run included, so it answers as a real run would); lease_dir set
	 * holds TD builds there (docs/lease.md) from before the first byte
	 * until the upload's outcome is known, waiting up to hold_timeout_us
	 * for builds in flight.
	 */
	const char *hold_refuse;
	const char *lease_dir;
	/*
	 * The operator's declaration of the kernel's busy rejection
	 * (--kernel-busy: "yes" or "no"), kept in the run's record; NULL:
	 * none, not established.
	 */
	const char *kernel_busy;
	uint64_t hold_timeout_us;
	/*
	 * Termination (NULL: none). The library never touches signals: the
	 * lab's in-process operator runs this code on threads whose signals
	 * are not its own, so the process's owner (the CLI, cmd_update.c)
	 * decides. guard() returns NULL to go on, or what asks to stop (e.g.
	 * "SIGTERM"): at OPEN nothing is written; at POLL the open upload is
	 * cancelled (loading=-1), so nothing reaches the module; at SETTLED
	 * no further attempt is made. Between OPEN and the outcome the caller
	 * holds termination back: from loading=0 until status is idle again
	 * the kernel is updating on its own and nothing may stop the hold.
	 */
	const char *(*guard)(void *ctx, enum update_guard g);
	void *guard_ctx;
	/* One line of progress at a time (no newline); NULL: silent. */
	void (*progress)(void *ctx, const char *line);
	void *progress_ctx;
};

void update_opts_init(struct update_opts *o);

#define UPDATE_MAX_ATTEMPTS	64
#define UPDATE_MAX_WARNINGS	4

struct update_attempt {
	char error[64];			/* the error file ("" on success), or why no upload */
	uint64_t at_ms;			/* its start, since the first one's */
	unsigned int format;		/* image version sent */
};

struct update_result {
	enum update_outcome outcome;
	char from[24], to[24];		/* "" when unknown */
	char reason[512];
	unsigned int format;		/* image version sent (or that would be) */
	char format_reason[128];	/* why that one: "kernel 7.2.0 takes 0x200" */
	bool converted;
	uint32_t remaining_before, remaining_after;
	size_t nr_attempts;		/* all of them; the first UPDATE_MAX_ATTEMPTS kept */
	struct update_attempt attempts[UPDATE_MAX_ATTEMPTS];
	size_t nr_warnings;
	char warnings[UPDATE_MAX_WARNINGS][256];
	/* The build hold: taken, how long the builds in flight took, how many. */
	bool held_builds;
	uint64_t hold_wait_ms;
	unsigned int builds_waited;
	/* device-busy answers met, all of them (attempts keeps the first few). */
	unsigned int busy_rejections;
	/* update_opts.kernel_busy, for the record. */
	const char *kernel_busy;
	/* After UPDATE_UPDATED: what the host now reports (tdxup/attest.h). */
	bool has_attestation;
	struct tdx_attestation attestation;
};

/*
 * The exit status of a run made with o: update_exit_code(), except that a
 * dry run or check writes nothing, so what only an upload can tell (5
 * failed, 6 lost) is never its status: a module it finds lost (outcome
 * UPDATE_LOST, the reason says so) is 3, refused by a pre-check.
 */
int update_exit_status(const struct update_opts *o, enum update_outcome v);

/* Run it. Returns the outcome (also in r->outcome). */
enum update_outcome update_run(struct sysfs_client *c, const struct update_opts *o,
			       struct update_result *r);


#endif /* TDXUP_UPDATE_H */
