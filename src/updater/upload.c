// SPDX-License-Identifier: MIT
/*
 * The update client, part 2: the fw_upload protocol (kernel.md 9-10) and
 * what to make of its answer (userspace.md 1, 3 items 6-9).
 *
 *   status must be idle -> loading=1 -> data in chunks -> loading=0 ->
 *   poll status until idle (no fixed limit: TDX's write op runs the whole
 *   update inside "transferring") -> read error.
 *
 * Before the first byte: the device must be idle and not loading. An
 * upload someone else has open, or one a killed updater left half done, is
 * reported (or, when asked, cancelled), never written into or silently
 * discarded: the host lock keeps other tdxup runs out, so whatever holds
 * the device is not ours to judge.
 *
 * device-busy (v8: a TD build or an interrupted migration is in flight;
 * nothing changed) is retried with exponential back-off and seeded jitter
 * until the retry window closes. Any other error is told apart by reading
 * version: readable and unchanged means nothing changed; ENXIO means the
 * old module was shut down and the new one never came up, and nothing is
 * ever retried after that.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "updater/update_internal.h"

#define REPORT_EVERY_US		(5ULL * 1000000)
#define ERR_DEVICE_BUSY		"device-busy"
#define ERR_FW_INVALID		"firmware-invalid"
#define IN_PROGRESS		"upload-in-progress"

/* splitmix64: small, seedable, and the same on every platform. */
static uint64_t next_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* "<progress>:<error>" ends with the error name. */
static bool error_is(const char *err, const char *name)
{
	const char *colon = strrchr(err, ':');

	return !strcmp(colon ? colon + 1 : err, name);
}

static void fw_path(struct upd *u, const char *file, char *buf, size_t size)
{
	tdx_fw_path(&u->st, file, buf, size);
}

static int write_str(struct upd *u, const char *file, const char *val)
{
	char path[PATH_MAX];

	fw_path(u, file, path, sizeof(path));
	return sysfs_client_write_str(u->c, path, val);
}

static ssize_t read_str(struct upd *u, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];

	fw_path(u, file, path, sizeof(path));
	return sysfs_client_read_str(u->c, path, buf, size);
}

/* The caller's guard (update_opts.guard): true to stop, why in u->stop_why. */
static bool guard(struct upd *u, enum update_guard g)
{
	u->stop_why = u->o->guard ? u->o->guard(u->o->guard_ctx, g) : NULL;
	u->stop_at = g;
	return u->stop_why != NULL;
}

/*
 * data takes any offset and may take less than asked: the real core takes
 * at most a page per write(). One open for the whole image where the
 * backend can (nothing in the protocol ties a write to its open).
 */
static int write_data(struct upd *u)
{
	size_t off = 0, chunk = u->o->chunk ? u->o->chunk : UPDATE_DEFAULT_CHUNK;
	char path[PATH_MAX];
	ssize_t n;

	fw_path(u, "data", path, sizeof(path));
	if (u->c->write_stream)
		return u->c->write_stream(u->c, path, u->sent, u->sent_len, chunk);
	while (off < u->sent_len) {
		size_t count = u->sent_len - off < chunk ? u->sent_len - off : chunk;

		if (guard(u, UPDATE_GUARD_POLL))
			return -ECANCELED;
		n = u->c->write(u->c, path, u->sent + off, count, off);
		if (n < 0)
			return (int)n;
		if (!n)
			return -EIO;
		off += (size_t)n;
	}
	return 0;
}

/* Poll until idle: progress on change and every few seconds, a generous limit. */
static int wait_idle(struct upd *u, char *status, size_t size)
{
	uint64_t start = sysfs_client_now_us(u->c), next = start + REPORT_EVERY_US, now;
	char last[32] = "";
	ssize_t n;

	for (;;) {
		n = read_str(u, "status", status, size);
		if (n < 0)
			return (int)n;
		if (!strcmp(status, "idle"))
			return 0;
		if (strcmp(status, last)) {
			upd_progress(u, "status: %s", status);
			snprintf(last, sizeof(last), "%s", status);
		}
		now = sysfs_client_now_us(u->c);
		if (now - start >= u->o->poll_timeout_us)
			return -ETIMEDOUT;
		if (now >= next) {
			upd_progress(u, "still %s after %llu s", status,
				     (unsigned long long)((now - start) / 1000000));
			next += REPORT_EVERY_US;
		}
		sysfs_client_sleep_us(u->c, u->o->poll_us);
	}
}

/*
 * The device before our first write: 0 when free; else the outcome is set
 * (refused: someone's upload is open or running) and -1 returned. A probe
 * (--check) reads only: a stale upload --cancel-stale would cancel is a
 * warning.
 */
int upd_device_free(struct upd *u, bool probe)
{
	char status[32], loading[8];
	ssize_t n;

	n = read_str(u, "status", status, sizeof(status));
	if (n < 0) {
		upd_outcome(u, UPDATE_ERROR, "cannot read the fw_upload status: %s",
			    strerror((int)-n));
		return -1;
	}
	if (strcmp(status, "idle")) {
		upd_outcome(u, UPDATE_REFUSED, "the fw_upload device is busy (status %s): an "
			    "upload that is not this run's is in progress; nothing was written, "
			    "retry once it is idle", status);
		return -1;
	}
	n = read_str(u, "loading", loading, sizeof(loading));
	if (n < 0 || strcmp(loading, "1"))
		return 0;
	if (!u->o->cancel_stale) {
		upd_outcome(u, UPDATE_REFUSED, "an upload is open (loading reads 1): another "
			    "writer, or one left half done by a killed updater; nothing was "
			    "written. If no one else is updating this host, --cancel-stale "
			    "cancels it (the partial data is discarded, nothing reaches the "
			    "module)");
		return -1;
	}
	if (probe) {
		upd_warn(u, "an upload is open (loading reads 1): a real run cancels it "
			 "(--cancel-stale)");
		return 0;
	}
	upd_warn(u, "cancelled a half-done upload (loading was 1)");
	if (write_str(u, "loading", "-1")) {
		upd_outcome(u, UPDATE_ERROR, "cannot cancel the half-done upload");
		return -1;
	}
	return 0;
}

/*
 * Drop our open upload (loading=-1). If that write fails the bytes stay in
 * the kernel's buffer until its loading timeout, and anyone's loading=0
 * would hand them over: say so, never "cancelled".
 */
static void abort_ours(struct upd *u)
{
	int ret = write_str(u, "loading", "-1");

	u->abort_failed = ret != 0;
	if (ret)
		upd_warn(u, "could not cancel our open upload (loading=-1: %s): the kernel "
			 "drops it at its loading timeout; until then a loading=0 by anyone "
			 "would start it", strerror(-ret));
}

/* lease_upload_state's reader over the client: an attribute of our device. */
static int read_fw_attr(void *u, const char *attr, char *buf, size_t len)
{
	ssize_t n = read_str(u, attr, buf, len);

	return n < 0 ? (int)n : 0;
}

/*
 * Before every loading=1, the first and each retry: no upload may be open.
 * A status other than idle is one running (loading=1 would be ignored and
 * data fail with ENODEV); loading reading 1 is one open, someone's
 * loading=1 and data not yet handed over: writing loading=1 would discard
 * their bytes and then mix ours with theirs, and P-SEAMLDR refuses such a
 * mix only after the old module is shut down. The host lock keeps other
 * tdxup runs on this device out; this keeps out every other writer (a
 * shell, a tool in another mount namespace). -EAGAIN with why in err.
 */
static int nobody_uploading(struct upd *u, char *err, size_t len)
{
	const char *attr;
	char val[32];
	int ret = lease_upload_state(read_fw_attr, u, &attr, val, sizeof(val));

	if (ret < 0)
		return ret;
	if (ret == LEASE_UPLOAD_IDLE)
		return 0;
	snprintf(err, len, IN_PROGRESS ":%s%s", ret == LEASE_UPLOAD_OPEN ? "loading=" : "", val);
	return -EAGAIN;
}

/*
 * The kernel's buffer just before loading=0 must be our image, byte for
 * byte: a writer that slipped in between the check above and our last
 * byte (its loading=1 restarts the buffer, its data lands among ours) has
 * mixed it, and nothing after loading=0 could stop the module from being
 * shut down for it. data stays readable until the hand-over (Linux's
 * firmware loader and the emulator alike). -EILSEQ mixed, -ENODEV someone
 * handed it over already; a backend that cannot read data back leaves
 * the upload unverified, said in the progress.
 */
static int same_as_sent(struct upd *u, char *err, size_t len)
{
	char path[PATH_MAX], *buf = malloc(u->sent_len + 2);
	ssize_t n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	fw_path(u, "data", path, sizeof(path));
	n = u->c->read(u->c, path, buf, u->sent_len + 2);
	if (n == -ENODEV || n == -ETIME) {
		ret = (int)n;
	} else if (n < 0) {
		upd_progress(u, "cannot read data back (%s): the kernel's buffer is not "
			     "verified", strerror((int)-n));
	} else if ((size_t)n != u->sent_len || memcmp(buf, u->sent, u->sent_len)) {
		size_t at = 0;

		while (at < (size_t)n && at < u->sent_len && buf[at] == (char)u->sent[at])
			at++;
		snprintf(err, len, "%zu bytes, differs at %zu", (size_t)n, at);
		ret = -EILSEQ;
	}
	free(buf);
	return ret;
}

/*
 * An upload may be running that we cannot call ours: wait for the device
 * to be idle (the build hold stays on until then) and leave the verdict to
 * the version (-EINPROGRESS; upd_upload reads u->unsure). Whether it ran
 * is unknown, so it counts as started: an I/O error now is "unknown".
 */
static int unsure_upload(struct upd *u, const char *why, int err, char *status, size_t size)
{
	int ret;

	u->started = true;
	snprintf(u->unsure, sizeof(u->unsure), "%s%s%s", why, err ? ": " : "",
		 err ? strerror(-err) : "");
	upd_progress(u, "%s: waiting for the device to be idle before judging", u->unsure);
	ret = wait_idle(u, status, size);
	return ret ? ret : -EINPROGRESS;
}

/*
 * One upload. 0 with the error file in err ("" on success); -EAGAIN when
 * another upload holds the device (why in err); else -errno, state unknown
 * only if the upload had started (-ETIMEDOUT).
 */
static int upload_once(struct upd *u, char *err, size_t len)
{
	char status[32];
	ssize_t n;
	int ret;

	/* A new attempt: nothing of it has reached the kernel yet. */
	u->started = false;
	u->unsure[0] = '\0';
	ret = nobody_uploading(u, err, len);
	if (ret)
		return ret;
	if (guard(u, UPDATE_GUARD_OPEN))
		return -ECANCELED;
	ret = write_str(u, "loading", "1");
	if (ret)
		return ret;
	upd_progress(u, "uploading %zu bytes (v0x%x image)", u->sent_len, u->r->format);
	ret = write_data(u);
	if (!ret)
		ret = same_as_sent(u, err, len);
	if (ret) {
		/* Abort so the partial image is dropped, not started. */
		abort_ours(u);
		if (ret != -ENODEV)
			return ret;
		/*
		 * Someone's loading=0 came between our loading=1 and now: an
		 * upload runs, of our bytes or of theirs, and shuts the module
		 * down like ours would. Builds stay held until it has ended.
		 */
		return unsure_upload(u, "another writer handed the upload over (loading=0) "
				     "while ours was open", 0, status, sizeof(status));
	}
	/* The last moment a stop costs nothing: after loading=0 the kernel runs it. */
	if (guard(u, UPDATE_GUARD_POLL)) {
		abort_ours(u);
		return -ECANCELED;
	}
	ret = write_str(u, "loading", "0");
	if (ret == -EBUSY) {
		/* fw_upload_start: another upload is finishing (kernel.md 9). */
		snprintf(err, len, IN_PROGRESS);
		return -EAGAIN;
	}
	if (ret)
		/* The write may have reached the kernel before it failed (or timed out). */
		return unsure_upload(u, "the write of loading=0 failed", ret, status,
				     sizeof(status));
	u->started = true;
	ret = wait_idle(u, status, sizeof(status));
	if (ret)
		return ret;
	/* error is -EBUSY unless idle; another upload may have started since. */
	n = read_str(u, "error", err, len);
	return n < 0 ? (int)n : 0;
}

/*
 * The files stopped answering. Before loading=0 nothing reached the module;
 * after it the kernel runs the update on its own, so only a fresh look at
 * the host can tell what happened (ENOTCONN: the sysroot's server is gone).
 */
static enum update_outcome io_error(struct upd *u, int ret)
{
	const char *gone = ret == -ENOTCONN ? " (the sysfs server is gone: a dead mount)" :
			   ret == -ETIME ? " (a sysfs file did not answer in time: a stopped "
					   "server?)" : "";

	if (!u->started)
		return upd_outcome(u, UPDATE_ERROR, "sysfs I/O error before the upload started: "
				   "%s%s; loading=0 was never written, the module was not "
				   "touched by this run", strerror(-ret), gone);
	return upd_outcome(u, UPDATE_ERROR, "sysfs I/O error after the upload started: %s%s; "
			   "the kernel runs the update on its own, so whether the module was "
			   "replaced, left or lost is unknown: check `tdxup status`",
			   strerror(-ret), gone);
}

/* How abort_ours went, for the outcome's reason. */
static const char *cancelled(const struct upd *u)
{
	return u->abort_failed ? "the upload is NOT cancelled (loading=-1 failed: see the "
				 "warning above)" : "the upload was cancelled (loading=-1)";
}

/* The guard stopped the attempt before loading=0 (upload_once: -ECANCELED). */
static enum update_outcome stopped(struct upd *u)
{
	if (u->stop_at == UPDATE_GUARD_OPEN)
		return upd_outcome(u, UPDATE_REFUSED, "stopped (%s) before the upload: nothing "
				   "was written", u->stop_why);
	return upd_outcome(u, UPDATE_REFUSED, "stopped (%s) before loading=0: %s, nothing "
			   "reached the module", u->stop_why, cancelled(u));
}

/* The guard stopped between attempts: the last one's outcome stands. */
static enum update_outcome stopped_after(struct upd *u, enum update_outcome o, const char *err)
{
	return upd_outcome(u, o, "%s after attempt %zu; stopped (%s) before trying again: "
			   "nothing changed", err, u->r->nr_attempts, u->stop_why);
}

static void record(struct upd *u, const char *err, uint64_t start)
{
	struct update_result *r = u->r;
	struct update_attempt *a;

	if (r->nr_attempts < UPDATE_MAX_ATTEMPTS) {
		a = &r->attempts[r->nr_attempts];
		/* Cut to the record's size: an unsure upload's why is longer. */
		snprintf(a->error, sizeof(a->error), "%.*s", (int)sizeof(a->error) - 1, err);
		a->at_ms = (start - u->t0) / 1000;
		a->format = r->format;
	}
	r->nr_attempts++;
}

/* Sleep before the next try; false when the retry window is over. */
static bool back_off(struct upd *u, uint64_t *delay, uint64_t deadline, const char *err)
{
	uint64_t now = sysfs_client_now_us(u->c), d;

	if (now >= deadline)
		return false;
	/* Equal jitter: half the delay fixed, half random, so retries spread out. */
	d = *delay / 2 + next_rand(&u->rng) % (*delay / 2 + 1);
	if (d > deadline - now)
		d = deadline - now;
	/* Milliseconds below a second: the emulator backs off on that scale. */
	if (d < 1000000)
		upd_progress(u, "attempt %zu: %s; retrying in %.1f ms (%.1f s left)",
			     u->r->nr_attempts, err, d / 1e3, (deadline - now) / 1e6);
	else
		upd_progress(u, "attempt %zu: %s; retrying in %.1f s (%.1f s left)",
			     u->r->nr_attempts, err, d / 1e6, (deadline - now) / 1e6);
	sysfs_client_sleep_us(u->c, d);
	*delay = *delay * 2 > u->o->backoff_max_us ? u->o->backoff_max_us : *delay * 2;
	if (!*delay)
		*delay = 1;
	return true;
}

static enum update_outcome after_success(struct upd *u)
{
	struct update_result *r = u->r;
	char got[TDX_VERSION_STR_LEN];
	struct tdx_version now;
	int ret;

	ret = tdx_read_module_version(u->c, &now);
	if (ret == -ENXIO)
		return upd_outcome(u, UPDATE_LOST, "the upload reported success but version "
				   "gives ENXIO: module lost, TDs are gone, reboot required");
	if (ret) {
		upd_warn(u, "cannot re-read the module version: %s", strerror(-ret));
		snprintf(got, sizeof(got), "%s", r->to);
	} else {
		tdx_version_str(&now, got);
		/* Success means the target runs: anything else is not an update. */
		if (tdx_version_cmp(&now, &u->target))
			return upd_outcome(u, UPDATE_ERROR, "the upload reported success but the "
					   "module version is now %s, not the target %s; check "
					   "`tdxup status`", got, r->to);
	}
	/*
	 * Not re-read: each read of num_remaining_updates is a serialised
	 * P-SEAMLDR call, so a run reads it once; an update uses one.
	 */
	r->remaining_after = r->remaining_before - 1;
	return upd_outcome(u, UPDATE_UPDATED, "updated the TDX module from %s to %s",
			   r->from, got);
}

/*
 * Not busy, not success: the version tells what happened. Sets *again
 * when the auto-detected image version should be tried in the other form.
 */
static enum update_outcome after_failure(struct upd *u, const char *err, size_t fi, bool *again)
{
	char vs[TDX_VERSION_STR_LEN];
	struct tdx_version now;
	int ret = tdx_read_module_version(u->c, &now);

	*again = false;
	if (ret == -ENXIO)
		return upd_outcome(u, UPDATE_LOST, "update failed (%s) after the old module was "
				   "shut down: module lost, TDs are gone, reboot required", err);
	if (ret)
		return upd_outcome(u, UPDATE_ERROR, "update failed (%s) and the module version "
				   "cannot be read: %s", err, strerror(-ret));
	if (tdx_version_cmp(&now, &u->from))
		return upd_outcome(u, UPDATE_ERROR, "update failed (%s) but the module version "
				   "changed from %s to %s", err, u->r->from,
				   tdx_version_str(&now, vs));
	if (error_is(err, ERR_FW_INVALID) && fi + 1 < u->nr_formats) {
		upd_progress(u, "the kernel rejected the v0x%x image with nothing changed; "
			     "trying v0x%x (image format heuristic)", u->formats[fi],
			     u->formats[fi + 1]);
		*again = true;
		return UPDATE_FAILED;
	}
	return upd_outcome(u, UPDATE_FAILED, "update failed (%s): nothing changed, TDs are "
			   "safe; still running %s", err, u->r->from);
}

/*
 * After unsure_upload: the device is idle again and only the version can
 * say what the upload that ran did. Unchanged is not a failure of ours:
 * it is reported as unchanged (refused), never retried over.
 */
static enum update_outcome judge_by_version(struct upd *u)
{
	char vs[TDX_VERSION_STR_LEN];
	struct tdx_version now;
	int ret = tdx_read_module_version(u->c, &now);

	if (ret == -ENXIO)
		return upd_outcome(u, UPDATE_LOST, "%s; once the device was idle the module was "
				   "gone (version gives ENXIO): TDs are gone, reboot required",
				   u->unsure);
	if (ret)
		return upd_outcome(u, UPDATE_ERROR, "%s; the module version cannot be read: %s; "
				   "check `tdxup status`", u->unsure, strerror(-ret));
	if (!tdx_version_cmp(&now, &u->target))
		return after_success(u);
	if (tdx_version_cmp(&now, &u->from))
		return upd_outcome(u, UPDATE_ERROR, "%s; the module version changed from %s to "
				   "%s; check `tdxup status`", u->unsure, u->r->from,
				   tdx_version_str(&now, vs));
	return upd_outcome(u, UPDATE_REFUSED, "%s; builds were held until the device was idle "
			   "again and the module still runs %s: nothing changed, not retrying",
			   u->unsure, u->r->from);
}

/* Never retry over a lost module: read version before every retry. */
static bool module_gone(struct upd *u)
{
	struct tdx_version now;

	if (tdx_read_module_version(u->c, &now) != -ENXIO)
		return false;
	upd_outcome(u, UPDATE_LOST, "the module is gone (version gives ENXIO) although the "
		    "kernel answered device-busy; not retrying: TDs are gone, reboot required");
	return true;
}

static enum update_outcome give_up_busy(struct upd *u, const char *err)
{
	return upd_outcome(u, UPDATE_BUSY, "still busy (%s) after %zu attempts in %llu ms: "
			   "a TD build or migration kept the module update-sensitive; nothing "
			   "changed, retry later", err, u->r->nr_attempts,
			   (unsigned long long)((sysfs_client_now_us(u->c) - u->t0) / 1000));
}

enum update_outcome upd_upload(struct upd *u)
{
	uint64_t delay = u->o->backoff_min_us ? u->o->backoff_min_us : 1, deadline;
	enum update_outcome out;
	char err[64];
	size_t fi = 0;
	bool again;
	int ret;

	u->rng = u->o->seed;
	if (upd_device_free(u, false))
		return u->r->outcome;
	u->t0 = sysfs_client_now_us(u->c);
	deadline = u->t0 + u->o->retry_for_us;
	for (;;) {
		uint64_t start = sysfs_client_now_us(u->c);

		err[0] = '\0';
		ret = upload_once(u, err, sizeof(err));
		if (ret == -ECANCELED)
			return stopped(u);
		if (ret == -EINPROGRESS && u->unsure[0]) {
			record(u, u->unsure, start);
			return judge_by_version(u);
		}
		record(u, ret && ret != -EAGAIN ? strerror(-ret) : err, start);
		if (ret == -ETIMEDOUT)
			return upd_outcome(u, UPDATE_ERROR, "status did not return to idle within "
					   "%llu s: the update may still be running; check "
					   "`tdxup status`",
					   (unsigned long long)(u->o->poll_timeout_us / 1000000));
		/* Our first write is loading=1: refused there, nothing was written. */
		if ((ret == -EXDEV || ret == -ELOOP) && u->r->nr_attempts == 1)
			return upd_outcome(u, UPDATE_REFUSED, "class/firmware/%s/loading is not a "
					   "sysfs file (a link, a plain file, or not on sysfs or a "
					   "FUSE mount): refusing to write; nothing was written",
					   u->st.fw_name);
		if (ret == -EILSEQ)
			return upd_outcome(u, UPDATE_REFUSED, "the kernel's data buffer did not hold "
					   "our image before loading=0 (%s; sent %zu): another "
					   "writer wrote into this upload; %s, nothing reached the "
					   "module", err, u->sent_len, cancelled(u));
		if (ret && ret != -EAGAIN)
			return io_error(u, ret);
		if (!ret && !err[0])
			return after_success(u);
		if (ret == -EAGAIN)
			return upd_outcome(u, UPDATE_REFUSED, "another writer took the fw_upload "
					   "device (%s) between our attempts; stopped, nothing of "
					   "ours reached the module", err);
		if (error_is(err, ERR_DEVICE_BUSY)) {
			u->r->busy_rejections++;
			if (guard(u, UPDATE_GUARD_SETTLED))
				return module_gone(u) ? u->r->outcome :
				       stopped_after(u, UPDATE_BUSY, err);
			if (!back_off(u, &delay, deadline, err))
				return give_up_busy(u, err);
			if (module_gone(u))
				return u->r->outcome;
			continue;
		}
		out = after_failure(u, err, fi, &again);
		if (!again)
			return out;
		if (guard(u, UPDATE_GUARD_SETTLED))
			return stopped_after(u, UPDATE_FAILED, err);
		if (upd_prepare_format(u, u->formats[++fi]))
			return u->r->outcome;
	}
}
