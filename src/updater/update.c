// SPDX-License-Identifier: MIT
/*
 * The update client, part 1: every pre-check, before anything is written
 * (userspace.md 3). The host must show the fw_upload device and updates
 * left; the image must verify offline (checksum, sigstruct, signature,
 * seamhash, a trusted key), be compatible with the CPU, the P-SEAMLDR and
 * the running module by select's rules, and not be a downgrade; it is sent
 * in the image version the kernel takes. The upload itself is upload.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tdxup/host_lock.h"
#include "tdxup/image.h"
#include "tdxup/last_update.h"
#include "tdxup/plant.h"
#include "tdxup/select.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sysroot.h"
#include "updater/update_internal.h"

void update_opts_init(struct update_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->retry_for_us = UPDATE_DEFAULT_RETRY_FOR_US;
	o->poll_timeout_us = UPDATE_DEFAULT_POLL_TIMEOUT_US;
	o->poll_us = UPDATE_DEFAULT_POLL_US;
	o->backoff_min_us = UPDATE_DEFAULT_BACKOFF_MIN_US;
	o->backoff_max_us = UPDATE_DEFAULT_BACKOFF_MAX_US;
	o->chunk = UPDATE_DEFAULT_CHUNK;
}

static const struct {
	const char *name;
	int exit_code;
} outcomes[] = {
	[UPDATE_UPDATED] = { "updated", UPDATE_EXIT_OK },
	[UPDATE_CURRENT] = { "current", UPDATE_EXIT_OK },
	[UPDATE_DRY_RUN] = { "dry-run", UPDATE_EXIT_OK },
	[UPDATE_REFUSED] = { "refused", UPDATE_EXIT_REFUSED },
	[UPDATE_BUSY] = { "busy", UPDATE_EXIT_BUSY },
	[UPDATE_FAILED] = { "failed", UPDATE_EXIT_FAILED },
	[UPDATE_LOST] = { "lost", UPDATE_EXIT_LOST },
	[UPDATE_ERROR] = { "error", UPDATE_EXIT_ERROR },
};

int update_exit_code(enum update_outcome o)
{
	if ((unsigned int)o >= sizeof(outcomes) / sizeof(outcomes[0]))
		return UPDATE_EXIT_ERROR;
	return outcomes[o].exit_code;
}

int update_exit_status(const struct update_opts *o, enum update_outcome v)
{
	int ret = update_exit_code(v);

	if ((o->dry_run || o->check) && (ret == UPDATE_EXIT_FAILED || ret == UPDATE_EXIT_LOST))
		return UPDATE_EXIT_REFUSED;
	return ret;
}

const char *update_outcome_name(enum update_outcome o)
{
	if ((unsigned int)o >= sizeof(outcomes) / sizeof(outcomes[0]))
		return "error";
	return outcomes[o].name;
}


/* ---- reporting ---- */

enum update_outcome upd_outcome(struct upd *u, enum update_outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->r->reason, sizeof(u->r->reason), fmt, ap);
	va_end(ap);
	u->r->outcome = o;
	return o;
}

/* Set the outcome and stop: for the pre-checks, which return 0 to go on. */
static int upd_stop(struct upd *u, enum update_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int upd_stop(struct upd *u, enum update_outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(u->r->reason, sizeof(u->r->reason), fmt, ap);
	va_end(ap);
	u->r->outcome = o;
	return -1;
}

void upd_warn(struct upd *u, const char *fmt, ...)
{
	struct update_result *r = u->r;
	va_list ap;

	if (r->nr_warnings >= UPDATE_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->warnings[r->nr_warnings], sizeof(r->warnings[0]), fmt, ap);
	va_end(ap);
	upd_progress(u, "warning: %s", r->warnings[r->nr_warnings++]);
}

void upd_progress(struct upd *u, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!u->o->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	u->o->progress(u->o->progress_ctx, line);
}

/* ---- the host ---- */

static const char *root_hint(int err)
{
	return err == -EACCES || err == -EPERM ? " (root only: run as root)" : "";
}

/* Refuse unless the host can be read; a lost module is its own outcome. */
static int read_host(struct upd *u)
{
	struct tdx_sysfs_state *st = &u->st;

	if (tdx_sysfs_state_read(u->c, st))
		return upd_stop(u, UPDATE_REFUSED, "%s", u->o->no_device_reason ?
				u->o->no_device_reason : st->reason);
	if (st->version_err == -ENXIO)
		return upd_stop(u, UPDATE_LOST, "%s", st->reason);
	if (st->version_err)
		return upd_stop(u, UPDATE_REFUSED, "%s", st->reason);
	if (st->seamldr_err)
		return upd_stop(u, UPDATE_REFUSED, "cannot read the P-SEAMLDR version: %s%s",
				strerror(-st->seamldr_err), root_hint(st->seamldr_err));
	u->from = st->module;
	tdx_version_str(&u->from, u->r->from);
	u->r->remaining_before = st->remaining;
	return 0;
}

/*
 * --ensure X.Y.Z: the state asked for holds already, so nothing else is
 * read (the image or catalogue may be gone from a host updated before).
 */
static int ensure_satisfied(struct upd *u)
{
	struct tdx_version want;

	if (!u->o->ensure || !u->o->version || tdx_version_parse(u->o->version, &want) ||
	    tdx_version_cmp(&want, &u->from))
		return 0;
	strcpy(u->r->to, u->r->from);
	return upd_stop(u, UPDATE_CURRENT, "already running %s", u->r->from);
}

static int host_selector(struct upd *u, struct select_host *h)
{
	const struct update_opts *o = u->o;

	memset(h, 0, sizeof(*h));
	h->module = u->from;
	h->seamldr = u->st.seamldr;
	h->allow_debug = o->allow_debug;
	h->allow_downgrade = o->force_downgrade;
	h->trusted_keys = o->trusted_keys;
	h->nr_trusted_keys = o->nr_trusted_keys;
	h->forced_keys = o->forced_keys;
	h->nr_forced_keys = o->nr_forced_keys;
	h->accept_td_loss = o->accept_td_loss;
	if (o->cpu_fms_set)
		h->cpu_fms = o->cpu_fms;
	else if (cpu_fms_host(&h->cpu_fms))
		return upd_stop(u, UPDATE_REFUSED,
				"cannot read CPUID.1.EAX on this machine: pass --cpu-fms");
	if (u->cat) {
		const struct catalog_blob *b = catalog_find_blob(u->cat, &u->from);

		if (b && b->facts.intact)
			h->running_sig = &b->facts.sig;
	}
	return 0;
}

/* ---- the image ---- */

static int read_image(struct upd *u, const char *path)
{
	int ret = read_file(path, &u->img, &u->len);

	if (ret)
		return upd_stop(u, UPDATE_REFUSED, "%s: %s", path, strerror(-ret));
	return 0;
}

/* tdx_module_<x.y.z>.blob, as Intel names its files. */
static int version_from_name(const char *path, struct tdx_version *v)
{
	const char *base = strrchr(path, '/');
	char ver[TDX_VERSION_STR_LEN];
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (strncmp(base, "tdx_module_", 11) || len < 16 || strcmp(base + len - 5, ".blob") ||
	    len - 16 >= sizeof(ver))
		return -EINVAL;
	memcpy(ver, base + 11, len - 16);
	ver[len - 16] = '\0';
	return tdx_version_parse(ver, v);
}

/* Which module an image given by the user is. */
static int image_version(struct upd *u)
{
	const struct update_opts *o = u->o;
	const char *what = o->image_path ? o->image_path : "the image";
	char a[TDX_VERSION_STR_LEN], b[TDX_VERSION_STR_LEN];
	struct tdx_version given;

	if (o->version && tdx_version_parse(o->version, &given))
		return upd_stop(u, UPDATE_REFUSED, "--version %s: not X.Y.Z", o->version);
	if (o->version && u->facts.has_desc && tdx_version_cmp(&given, &u->facts.desc_version))
		return upd_stop(u, UPDATE_REFUSED, "%s is module %s, not %s (--version)", what,
				tdx_version_str(&u->facts.desc_version, a),
				tdx_version_str(&given, b));
	if (o->version)
		u->target = given;
	else if (u->facts.has_desc)
		u->target = u->facts.desc_version;
	else if (!o->image_path || version_from_name(o->image_path, &u->target))
		return upd_stop(u, UPDATE_REFUSED,
				"cannot tell which module version %s is (no build descriptor, "
				"name not tdx_module_<x.y.z>.blob): pass --version", what);
	if (u->cat)
		u->rel = catalog_find_release(u->cat, &u->target);
	return 0;
}

static int load_given_image(struct upd *u)
{
	const struct update_opts *o = u->o;

	if (o->image) {
		u->img = malloc(o->image_len ? o->image_len : 1);
		if (!u->img)
			return upd_stop(u, UPDATE_ERROR, "out of memory");
		memcpy(u->img, o->image, o->image_len);
		u->len = o->image_len;
	} else if (read_image(u, o->image_path)) {
		return -1;
	}
	image_facts_get(u->img, u->len, &u->facts);
	if (!u->facts.intact)
		return upd_stop(u, UPDATE_REFUSED, "%s: bad image: %s",
				o->image_path ? o->image_path : "image", u->facts.problem);
	return image_version(u);
}

static bool any_newer(const struct select_result *sr, const struct tdx_version *from)
{
	for (size_t i = 0; i < sr->nr; i++)
		if (tdx_version_cmp(&sr->cands[i].version, from) > 0)
			return true;
	return false;
}

/* --version X: it must be in the catalogue and pass; the newest is only advice. */
static int pick_version(struct upd *u, const struct select_result *sr, int *idx)
{
	char vs[TDX_VERSION_STR_LEN];
	struct tdx_version want;

	if (tdx_version_parse(u->o->version, &want))
		return upd_stop(u, UPDATE_REFUSED, "--version %s: not X.Y.Z", u->o->version);
	for (size_t i = 0; i < sr->nr; i++) {
		if (tdx_version_cmp(&sr->cands[i].version, &want))
			continue;
		if (sr->cands[i].verdict != SELECT_OK)
			return upd_stop(u, UPDATE_REFUSED, "%s: %s", u->o->version,
					sr->cands[i].reason);
		if (sr->choice >= 0 && (size_t)sr->choice != i)
			upd_warn(u, "%s is not the newest compatible module in the catalogue (%s is)",
				 u->o->version, tdx_version_str(&sr->cands[sr->choice].version, vs));
		*idx = (int)i;
		return 0;
	}
	return upd_stop(u, UPDATE_REFUSED, "version %s is not in the catalogue %s",
			u->o->version, u->cat->dir);
}

/* Nothing valid: current when nothing is newer, else refuse with the newest's reason. */
static int nothing_to_pick(struct upd *u, const struct select_result *sr)
{
	char vs[TDX_VERSION_STR_LEN];

	if (!any_newer(sr, &u->from)) {
		strcpy(u->r->to, u->r->from);
		return upd_stop(u, UPDATE_CURRENT, "no newer module in the catalogue; "
				"running %s", u->r->from);
	}
	return upd_stop(u, UPDATE_REFUSED, "no compatible module in the catalogue; "
			"newest %s: %s", tdx_version_str(&sr->cands[0].version, vs),
			sr->cands[0].reason);
}

/*
 * A blob the catalogue load could not read (a FIFO, a device, no
 * permission) is no verdict on its module, unlike a damaged image: it may
 * be the newest valid one. Choosing below it silently would install an
 * older module than asked, or call a host that is behind current (every
 * rerun of `--ensure latest` would exit 0 on a fleet that never moves), so
 * the catalogue's choice is refused while one newer than what it would
 * pick (or, nothing to pick, than the running module) cannot be read.
 * Any other is a warning: the run is right without it, but it is said.
 */
static int unreadable_blobs(struct upd *u, const struct select_result *sr)
{
	const struct tdx_version *floor = sr->choice >= 0 ? &sr->cands[sr->choice].version :
					  &u->from;
	char vs[TDX_VERSION_STR_LEN];
	struct tdx_version want;
	bool named = u->o->version && !tdx_version_parse(u->o->version, &want);

	for (size_t i = 0; i < u->cat->nr_blobs; i++) {
		const struct catalog_blob *b = &u->cat->blobs[i];

		if (!b->read_err || (named && !tdx_version_cmp(&b->version, &want)))
			continue;	/* --version's own blob: its refusal says why */
		if (!u->o->version && tdx_version_cmp(&b->version, floor) > 0)
			return upd_stop(u, UPDATE_REFUSED, "catalogue: %s: %s: it may hold the "
					"newest module, so the catalogue's choice cannot be made "
					"(without it: %s%s); nothing written: fix or remove the "
					"file, or name a version (--version, --ensure X.Y.Z)",
					b->rel_path, b->facts.problem, sr->choice >= 0 ? "" :
					"none newer than the running ", tdx_version_str(floor, vs));
		upd_warn(u, "catalogue: %s: %s: not considered", b->rel_path, b->facts.problem);
	}
	return 0;
}

static int pick_from_catalog(struct upd *u, const struct select_host *h)
{
	struct select_result sr;
	int idx = -1, ret;

	if (select_run(u->cat, h, &sr))
		return upd_stop(u, UPDATE_ERROR, "out of memory");
	ret = unreadable_blobs(u, &sr);
	if (!ret && u->o->version)
		ret = pick_version(u, &sr, &idx);
	else if (!ret && sr.choice < 0)
		ret = nothing_to_pick(u, &sr);
	else if (!ret)
		idx = sr.choice;
	if (!ret) {
		u->target = sr.cands[idx].version;
		u->rel = &u->cat->releases[sr.cands[idx].blob->release];
		upd_progress(u, "selected %s (%s)", sr.cands[idx].blob->rel_path,
			     sr.cands[idx].reason);
		ret = read_image(u, sr.cands[idx].blob->path);
	}
	select_result_free(&sr);
	if (ret)
		return ret;
	/* Judge the bytes we read now, not the ones read at catalogue load. */
	image_facts_get(u->img, u->len, &u->facts);
	return 0;
}

static int load_catalog(struct upd *u)
{
	char err[512];

	if (!u->o->catalog_dir)
		return 0;
	if (catalog_load(u->o->catalog_dir, &u->cat, err, sizeof(err)))
		return upd_stop(u, UPDATE_REFUSED, "catalogue: %s", err);
	return 0;
}

/* ---- pre-checks on the target ---- */

static int check_target(struct upd *u, const struct select_host *h)
{
	char reason[SELECT_REASON_LEN];
	struct tdx_sysfs_state *st = &u->st;

	tdx_version_str(&u->target, u->r->to);
	if (!u->facts.intact)
		return upd_stop(u, UPDATE_REFUSED, "bad image: %s", u->facts.problem);
	if (!tdx_version_cmp(&u->target, &u->from) && (!u->o->reinstall || u->o->ensure))
		return upd_stop(u, UPDATE_CURRENT, "already running %s", u->r->from);
	if (!st->fw_name)
		return upd_stop(u, UPDATE_REFUSED, "%s", st->reason);
	if (st->remaining_err || !st->remaining)
		return upd_stop(u, UPDATE_REFUSED, "%s", st->reason);
	/* The budget read once, in read_host: each read is a P-SEAMLDR call. */
	if (st->remaining - 1 < u->o->keep_updates)
		return upd_stop(u, UPDATE_REFUSED, "num_remaining_updates is %u: this update "
				"would leave %u, below --keep-updates %u", st->remaining,
				st->remaining - 1, u->o->keep_updates);
	if (select_check(h, &u->target, &u->facts, u->rel, reason, sizeof(reason)) != SELECT_OK)
		return upd_stop(u, UPDATE_REFUSED, "%s: %s", u->r->to, reason);
	return 0;
}

/*
 * Image format. No sysfs file says which image version the kernel takes:
 * v5-v8 take v0x100 (tdx_blob), mainline 7.2 only v0x200 (tdx_image).
 *  - --image-format forces one version, with no second try;
 *  - the kernel release, when the target shows it (osrelease): 7.2 and
 *    later v0x200, earlier ones (the postings on 7.1) v0x100; one version,
 *    so that no update starts with an attempt the kernel refuses (the
 *    version rule is inferred: kernel.md 1-2 date the postings and the
 *    merge, no file states it);
 *  - a kernel that says nothing (inferred, userspace.md 3 item 5):
 *    legacy layout (tdx_host/seamldr/, or only the seamldr_upload device):
 *    a v5-v7 kernel, v0x100; tdx_host/seamldr_version (v8 and mainline
 *    look alike): v0x200 first, since every merged kernel wants it, and if
 *    the kernel answers firmware-invalid with the version readable and
 *    unchanged, once more as v0x100. The kernel checks the header before
 *    anything touches the module (kernel.md 3, seamldr.md 6), so that
 *    second try is safe; anything else: v0x100, the only version Intel
 *    publishes.
 */
static void choose_formats(struct upd *u)
{
	const struct tdx_sysfs_state *st = &u->st;
	bool legacy = st->legacy_layout || (st->fw_name && !strcmp(st->fw_name, FW_NAME_LEGACY));
	char *why = u->r->format_reason;
	size_t len = sizeof(u->r->format_reason);
	unsigned int fmt;

	u->nr_formats = 0;
	if (u->o->image_format) {
		u->formats[u->nr_formats++] = u->o->image_format;
		snprintf(why, len, "--image-format 0x%x", u->o->image_format);
	} else if (u->o->kernel_release &&
		   !kernel_release_image_format(u->o->kernel_release, &fmt)) {
		u->formats[u->nr_formats++] = fmt;
		snprintf(why, len, "kernel %s takes 0x%x", u->o->kernel_release, fmt);
	} else if (!legacy && st->seamldr_version_attr) {
		u->formats[u->nr_formats++] = TDX_IMAGE_VERSION_2;
		u->formats[u->nr_formats++] = TDX_BLOB_VERSION_1;
		snprintf(why, len, "kernel release unknown; tdx_host/seamldr_version: 0x200, "
			 "0x100 if refused");
	} else {
		u->formats[u->nr_formats++] = TDX_BLOB_VERSION_1;
		snprintf(why, len, "kernel release unknown; %s: 0x100",
			 legacy ? "legacy layout" : "no seamldr_version");
	}
}

int upd_prepare_format(struct upd *u, unsigned int fmt)
{
	char err[256];
	uint8_t *out;

	if (u->sent != u->img)
		free(u->sent);
	u->sent = NULL;
	u->r->format = fmt;
	u->r->converted = fmt != u->facts.format;
	if (!u->r->converted) {
		u->sent = u->img;
		u->sent_len = u->len;
		return 0;
	}
	/* Only the header page changes; the size stays (seamldr.md 6.3). */
	if (tdx_image_convert(u->img, u->len, fmt, &out, err, sizeof(err)))
		return upd_stop(u, UPDATE_REFUSED, "cannot convert the v0x%x image to v0x%x: %s",
				u->facts.format, fmt, err);
	u->sent = out;
	u->sent_len = u->len;
	return 0;
}

/* ---- the build hold (safety rule 3) ---- */

static void note_blocker(const struct lease_entry *ent, void *ctx)
{
	struct upd *u = ctx;
	size_t n = strlen(u->blockers);

	snprintf(u->blockers + n, sizeof(u->blockers) - n, "%s%s (pid %ld%s%s)", n ? ", " : "",
		 ent->id, ent->pid, ent->valid && ent->desc[0] ? ", " : "",
		 ent->valid ? ent->desc : "");
}

static unsigned int count_builds(const char *dir)
{
	int n = lease_list(dir, NULL, NULL, NULL, NULL);

	return n > 0 ? (unsigned int)n : 0;
}

/*
 * New builds wait from here on; the ones in flight are waited for. A build
 * still in flight at the timeout means no update: nothing was written.
 */
static int hold_builds(struct upd *u)
{
	uint64_t t0 = sysfs_client_now_us(u->c);
	struct lease_err e = { "" };
	unsigned int before;
	int ret;

	if (!u->o->lease_dir || tdxup_planted(PLANT_HOLD_SKIPPED))
		return 0;
	before = count_builds(u->o->lease_dir);
	upd_progress(u, "holding new TD builds (%s); %u in flight", u->o->lease_dir, before);
	ret = lease_hold(&u->hold, u->o->lease_dir, u->o->hold_timeout_us, note_blocker, u, &e);
	if (ret == -ETIMEDOUT)
		return upd_stop(u, UPDATE_BUSY, "TD build(s) still in flight after %llu ms of "
				"holding new ones: %s; nothing changed, retry when they finish",
				(unsigned long long)(u->o->hold_timeout_us / 1000), u->blockers);
	if (ret)
		return upd_stop(u, UPDATE_REFUSED, "cannot hold TD builds: %s", e.msg[0] ? e.msg :
				strerror(-ret));
	u->held = true;
	u->r->held_builds = true;
	u->r->builds_waited = before;
	u->r->hold_wait_ms = (sysfs_client_now_us(u->c) - t0) / 1000;
	upd_progress(u, "TD builds held: none in flight (waited %llu ms)",
		     (unsigned long long)u->r->hold_wait_ms);
	return 0;
}

static bool dry(const struct upd *u)
{
	return u->o->dry_run || u->o->check;
}

/*
 * --check: what a real run meets between its pre-checks and its first
 * byte, read only. The host lock was probed at the start (take_host_lock).
 */
static int check_now(struct upd *u)
{
	unsigned int n;

	if (upd_device_free(u, true))
		return -1;
	if (!u->o->lease_dir)
		return 0;
	n = count_builds(u->o->lease_dir);
	if (n)
		upd_warn(u, "%u TD build(s) in flight: a real run holds new builds and waits up "
			 "to %llu ms for these (then busy, nothing changed)", n,
			 (unsigned long long)(u->o->hold_timeout_us / 1000));
	return 0;
}

static int load_target(struct upd *u, struct select_host *h)
{
	if (u->o->image || u->o->image_path)
		return load_given_image(u);
	if (!u->cat)
		return upd_stop(u, UPDATE_REFUSED, "nothing to install: give an image or "
				"a catalogue");
	return pick_from_catalog(u, h);
}

static enum update_outcome run(struct upd *u)
{
	struct select_host h;

	if (read_host(u) || ensure_satisfied(u) || load_catalog(u) || host_selector(u, &h) ||
	    load_target(u, &h) || check_target(u, &h))
		return u->r->outcome;
	choose_formats(u);
	upd_progress(u, "image format 0x%x: %s", u->formats[0], u->r->format_reason);
	if (upd_prepare_format(u, u->formats[0]))
		return u->r->outcome;
	if (u->o->hold_refuse)
		return upd_outcome(u, UPDATE_REFUSED, "%s", u->o->hold_refuse);
	if (u->o->check && check_now(u))
		return u->r->outcome;
	if (dry(u))
		return upd_outcome(u, UPDATE_DRY_RUN, "every pre-check passed: would install %s "
				   "over %s as a v0x%x image (%s)", u->r->to, u->r->from,
				   u->r->format, u->r->format_reason);
	if (hold_builds(u))
		return u->r->outcome;
	if (u->held && tdxup_planted(PLANT_RELEASE_EARLY)) {
		lease_release(&u->hold);
		u->held = false;
	}
	return upd_upload(u);
}

/* --check: a held or planted lock refuses as a real run would; the lock is never taken. */
static int probe_host_lock(struct upd *u)
{
	char msg[HOST_LOCK_HOLDER_LEN] = "";
	int ret = host_lock_probe(u->o->lock_path, msg, sizeof(msg));

	if (ret == -EBUSY)
		return upd_stop(u, UPDATE_REFUSED, "another update of this host is running: %s "
				"holds %s; a real run would be refused, nothing was written",
				msg, u->o->lock_path);
	if (ret == -EACCES)
		upd_warn(u, "cannot tell whether another update holds %s: %s%s",
			 u->o->lock_path, strerror(-ret), root_hint(ret));
	else if (ret)
		return upd_stop(u, UPDATE_REFUSED, "the host's update lock is unsafe: %s; a real "
				"run would be refused, nothing was written",
				msg[0] ? msg : strerror(-ret));
	return 0;
}

/* Safety rule 2: one update per device; the lock covers the pre-checks too. */
static int take_host_lock(struct upd *u, int *fd)
{
	char msg[HOST_LOCK_HOLDER_LEN] = "";
	int ret;

	*fd = -1;
	if (!u->o->lock_path)
		return 0;
	if (u->o->check)
		return probe_host_lock(u);
	ret = host_lock_take(u->o->lock_path, u->o->lock_what, fd, msg, sizeof(msg));
	if (ret == -EBUSY)
		return upd_stop(u, UPDATE_REFUSED, "another update of this host is running: %s "
				"holds %s; one update per host at a time, nothing was written",
				msg, u->o->lock_path);
	if (ret)
		return upd_stop(u, UPDATE_REFUSED, "cannot take the host's update lock: %s%s; "
				"nothing was written", msg[0] ? msg : strerror(-ret),
				root_hint(ret));
	return 0;
}

/*
 * Monitoring's record of the run (tdxup/last_update.h), written under the
 * host lock so the running totals never lose a run. A failure to record
 * is reported, never turned into a failed update.
 */
static void record_run(struct upd *u)
{
	const char *path = u->o->state_path;
	char buf[PATH_MAX], err[PATH_MAX + 128];
	int ret;

	/* --check is read-only too: it answers for a run, it is none. */
	if (dry(u) || u->r->outcome == UPDATE_DRY_RUN || (path && !*path))
		return;
	/* Under a sysroot served by a stopped FUSE server the write would hang. */
	if (u->c->timed_out[0]) {
		upd_warn(u, "the run is not recorded: %s did not answer in time",
			 u->c->timed_out);
		return;
	}
	if (!path) {
		if (last_update_path(u->c->root, buf, sizeof(buf)))
			return;
		path = buf;
	}
	ret = last_update_record(path, u->r, (int64_t)time(NULL), err, sizeof(err));
	if (ret)
		upd_warn(u, "cannot record the run: %s", err);
}

static void attest_result(struct upd *u)
{
	struct update_result *r = u->r;

	if (r->outcome == UPDATE_UPDATED)
		r->has_attestation = !tdx_attestation_from_image(u->img, u->len,
								 &r->attestation, NULL, 0);
}

enum update_outcome update_run(struct sysfs_client *c, const struct update_opts *o,
			       struct update_result *r)
{
	struct upd u = { .c = c, .o = o, .r = r };
	enum update_outcome ret;
	int lock_fd;

	memset(r, 0, sizeof(*r));
	r->outcome = UPDATE_ERROR;
	r->kernel_busy = o->kernel_busy;
	if (take_host_lock(&u, &lock_fd))
		return r->outcome;
	ret = run(&u);
	/* Builds resume only once the outcome is known: the upload has ended. */
	if (u.held)
		lease_release(&u.hold);
	attest_result(&u);
	record_run(&u);
	host_lock_drop(lock_fd);
	if (u.sent != u.img)
		free(u.sent);
	free(u.img);
	catalog_free(u.cat);
	return ret;
}
