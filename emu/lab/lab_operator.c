// SPDX-License-Identifier: MIT
/*
 * The operator: runs the production updater (src/updater/update.c) against the
 * emulated host's sysfs tree, on the lab's clock, with the scenario's
 * faults armed just before it starts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab_internal.h"
#include "lab/explore.h"
#include "emu/module_build.h"
#include "emu/sysfs_client_tree.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"
#include "tdxup/update.h"

/*
 * The updater's progress lines are all the lab sees of it while it runs:
 * they say when a hold begins and when each attempt's upload starts.
 */
static void progress(void *ctx, const char *line)
{
	struct lab *lab = ctx;

	lab_note(lab, "operator: %s", line);
	pthread_mutex_lock(&lab->lock);
	if (lab->trace)
		trace_instant(lab->trace, TRACE_PID_OPERATOR, 0, line, lab_now_ns(lab), NULL, NULL);
	if (!strncmp(line, "holding new TD builds", 21))
		lab->hold_begin_ns = lab_now_ns(lab);
	if (!strncmp(line, "uploading ", 10) && lab->nr_uploads < LAB_MAX_ATTEMPTS)
		lab->upload_ns[lab->nr_uploads++] = lab_now_ns(lab);
	pthread_mutex_unlock(&lab->lock);
}

/* The signed image of the target build; a fault may corrupt a module page. */
static int make_image(struct lab *lab)
{
	const struct module_build *b = module_build_find(lab->cfg->to);
	struct module_image_opts opts = { .format = TDX_BLOB_VERSION_1 };
	int err;

	if (!b)
		return -ENOENT;
	if (lab->cfg->image) {
		/* Prebuilt (exploration): the same image, without signing it again. */
		lab->image = malloc(lab->cfg->image_len);
		if (!lab->image)
			return -ENOMEM;
		memcpy(lab->image, lab->cfg->image, lab->cfg->image_len);
		lab->image_len = lab->cfg->image_len;
		err = 0;
	} else {
		err = module_image_build(b, &opts, &lab->image, &lab->image_len);
	}
	if (err)
		return err;
	for (unsigned int i = 0; i < lab->cfg->nr_faults; i++)
		if (lab->cfg->faults[i].kind == LAB_FAULT_CORRUPT_IMAGE)
			lab->image[lab->image_len - PAGE_SIZE + 100] ^= 0x5A;
	return 0;
}

static void arm_faults(struct lab *lab, unsigned int round)
{
	for (unsigned int i = 0; i < lab->cfg->nr_faults; i++) {
		const struct lab_fault *f = &lab->cfg->faults[i];

		if (f->attempt > 1 && f->attempt != round)
			continue;
		switch (f->kind) {
		case LAB_FAULT_INSTALL_RECOVERABLE:
			tdx_host_inject(lab->h, HOST_FAULT_INSTALL_RECOVERABLE, f->arg);
			break;
		case LAB_FAULT_INSTALL_UNRECOVERABLE:
			tdx_host_inject(lab->h, HOST_FAULT_INSTALL_UNRECOVERABLE, f->arg);
			break;
		case LAB_FAULT_LP_INIT:
			tdx_host_inject(lab->h, HOST_FAULT_LP_INIT, f->arg);
			break;
		case LAB_FAULT_SYS_UPDATE:
			tdx_host_inject(lab->h, HOST_FAULT_SYS_UPDATE, f->arg);
			break;
		case LAB_FAULT_RND_NO_ENTROPY:
			tdx_host_inject(lab->h, HOST_FAULT_RND_NO_ENTROPY, f->arg);
			break;
		case LAB_FAULT_MIG_INTERRUPTED:
			tdx_host_inject(lab->h, HOST_FAULT_MIG_INTERRUPTED, f->arg);
			break;
		case LAB_FAULT_OFFLINE_CPU: {
			/* lab_config_check refused what cannot go offline; say it if one did not. */
			int err = tdx_host_cpu_offline(lab->h, f->arg);

			if (err)
				lab_note(lab, "host: CPU %u did not go offline: %s", f->arg,
					 strerror(-err));
			else
				lab_note(lab, "host: CPU %u offline", f->arg);
			break;
		}
		case LAB_FAULT_CORRUPT_IMAGE:
			break;
		}
	}
}

/* The operator's sysfs client, and the tree's own write below it. */
struct op_client {
	struct sysfs_client c;
	struct lab *lab;
	ssize_t (*write)(struct sysfs_client *c, const char *path, const void *buf,
			 size_t count, uint64_t off);
};

/*
 * Under the hold, each write of loading (1 opens the upload, 0 hands it to
 * the kernel, -1 cancels it) is an interleaving point: a builder's upload
 * probe may come between any two (LAB_FP_UPLOAD, explore.c). The data
 * between loading=1 and loading=0, and the kernel's run of the update,
 * belong to the step that wrote loading: nobody else writes the device,
 * and the operator's unit keeps the token while the fw_upload worker
 * lives. The lab's builders probe only under the hold; elsewhere nobody
 * else reads the device, and an attempt stays one step, so that a retry
 * after a timeout stays part of its back-to-back run (explore.c, Timeouts).
 */
static ssize_t op_write(struct sysfs_client *c, const char *path, const void *buf,
			size_t count, uint64_t off)
{
	struct op_client *oc = (struct op_client *)c;
	const char *base = strrchr(path, '/');

	if (oc->lab->cfg->hold && !strcmp(base ? base + 1 : path, "loading"))
		lab_point(oc->lab, LAB_FP_UPLOAD);
	return oc->write(c, path, buf, count, off);
}

static void read_version(struct sysfs_client *c, char *buf, size_t size)
{
	if (sysfs_client_read_str(c, "devices/faux/tdx_host/version", buf, size) < 0)
		snprintf(buf, size, "(lost)");
}

/* What a picture's marker says about one attempt. */
static const char *attempt_mark(const struct update_result *r, const char *error)
{
	if (strstr(error, "device-busy"))
		return "device-busy";
	if (!error[0] && r->outcome == UPDATE_UPDATED)
		return "updated";
	return "failed";
}

/*
 * uploads: the index in lab->upload_ns of this round's first upload. An
 * attempt that never uploaded ends its round, so the rest map in order.
 */
static void record_result(struct lab *lab, const struct update_result *r, uint64_t t0_us,
			  unsigned int uploads)
{
	struct lab_result *res = lab->res;

	pthread_mutex_lock(&lab->lock);
	snprintf(res->outcome, sizeof(res->outcome), "%s", update_outcome_name(r->outcome));
	if (r->outcome == UPDATE_UPDATED)
		res->updates_applied++;
	for (size_t i = 0; i < r->nr_attempts && i < UPDATE_MAX_ATTEMPTS; i++) {
		struct lab_attempt *a;

		if (res->nr_attempts == LAB_MAX_ATTEMPTS)
			break;
		a = &res->attempts[res->nr_attempts++];
		a->at_us = t0_us + r->attempts[i].at_ms * 1000;
		a->start_ns = uploads + i < lab->nr_uploads ? lab->upload_ns[uploads + i] :
			      a->at_us * 1000;
		snprintf(a->error, sizeof(a->error), "%s", r->attempts[i].error);
		snprintf(a->mark, sizeof(a->mark), "%s", attempt_mark(r, a->error));
		if (strstr(r->attempts[i].error, "device-busy"))
			res->busy_rejections++;
	}
	pthread_mutex_unlock(&lab->lock);
}

static void set_opts(struct lab *lab, struct update_opts *o, unsigned int round)
{
	update_opts_init(o);
	o->image = lab->image;
	o->image_len = lab->image_len;
	o->version = lab->cfg->to;
	/* The operator knows the kernel: v8 takes v0x100, the later series v0x200. */
	o->image_format = lab->cfg->profile == KERNEL_PROFILE_V8 ? 0x100 : 0x200;
	o->cpu_fms_set = true;
	o->cpu_fms = 0x806f8;
	/* The emulated platform's P-SEAMLDR takes the test key, and says so. */
	o->trusted_keys = (const uint8_t (*)[48])tdxup_test_key_hash();
	o->nr_trusted_keys = 1;
	o->retry_for_us = lab->cfg->retry == LAB_RETRY_BACKOFF ? lab->cfg->retry_for_us : 0;
	/* Builds take milliseconds here, so back off on that scale. */
	o->backoff_min_us = lab->cfg->backoff_min_us ? lab->cfg->backoff_min_us : 1000;
	o->backoff_max_us = lab->cfg->backoff_max_us ? lab->cfg->backoff_max_us : 16000;
	/* The hold policy: `update --hold-builds on`, over the builders' leases. */
	if (lab->cfg->hold) {
		o->lease_dir = lab->lease_dir;
		o->hold_timeout_us = lab->cfg->retry_for_us;
	}
	o->poll_us = 100;
	o->seed = lab->cfg->seed + round;
	/* Later rounds install the same module again: each is a real update. */
	o->reinstall = round > 1;
	o->progress = progress;
	o->progress_ctx = lab;
}

void operator_fn(void *arg)
{
	struct lab *lab = arg;
	struct op_client oc = { .lab = lab };
	struct sysfs_client *c = &oc.c;
	struct update_opts o;
	struct update_result *r = calloc(1, sizeof(*r));

	if (!r || make_image(lab)) {
		lab_note(lab, "operator: cannot prepare the %s image", lab->cfg->to);
		goto out;
	}
	sysfs_client_init_tree(c, tdx_host_sysfs(lab->h), NULL);
	sysfs_client_set_kthread_clock(c, lab->kt);
	oc.write = c->write;
	c->write = op_write;
	/* Its back-off and polls end in timeouts the explorer must try too. */
	if (lab->sched)
		c->sleep_us = lab_sched_sleep_timed;
	read_version(c, lab->res->version_before, sizeof(lab->res->version_before));
	/* Exploring, when the update starts is a choice. */
	if (!lab->cfg->chooser)
		lab->kt->sleep_us(lab->kt->ctx, lab->cfg->update_at_us);
	/* The builds' share of the time so far: the workload's occupancy. */
	lab->op_start_ns = lab_now_ns(lab);
	if (lab->op_start_ns)
		lab->res->occupancy = (double)lab_busy_ns(lab) / (double)lab->op_start_ns;
	for (unsigned int round = 1; round <= lab->cfg->updates; round++) {
		uint64_t t0 = lab_now_ns(lab) / 1000, t0_ns = lab_now_ns(lab);
		unsigned int uploads = lab->nr_uploads;

		arm_faults(lab, round);
		lab_note(lab, "operator: tdxup update %s (round %u)", lab->cfg->to, round);
		memset(r, 0, sizeof(*r));
		set_opts(lab, &o, round);
		lab->hold_begin_ns = 0;
		update_run(c, &o, r);
		record_result(lab, r, t0, uploads);
		/* The hold lasts until update_run has released it, on return. */
		if (lab->hold_begin_ns)
			lab_record(lab, LAB_SPAN_HOLD, 0, lab->hold_begin_ns, lab_now_ns(lab),
				   !r->held_builds);
		lab_record(lab, LAB_SPAN_UPDATE, 0, t0_ns, lab_now_ns(lab), (int)r->outcome);
		if (r->held_builds)
			lab->res->held_builds = true;
		lab_note(lab, "operator: result %s%s%s", update_outcome_name(r->outcome),
			 r->reason[0] ? ": " : "", r->reason);
		if (r->outcome != UPDATE_UPDATED && r->outcome != UPDATE_CURRENT)
			break;
	}
	read_version(c, lab->res->version_after, sizeof(lab->res->version_after));
	lab->op_end_ns = lab_now_ns(lab);
	lab->res->update_us = (lab->op_end_ns - lab->op_start_ns) / 1000;
out:
	atomic_store(&lab->update_done, true);
	free(r);
}
