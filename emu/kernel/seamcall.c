// SPDX-License-Identifier: MIT
/*
 * SEAMCALL wrappers (arch/x86/virt/vmx/tdx/seamcall_internal.h): retry on
 * TDX_RND_NO_ENTROPY, errno mapping with a log line naming leaf and
 * status, P-SEAMLDR calls serialised by seamldr_lock, and the trace hook.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"

/* RDRAND_RETRY_LOOPS: how often sc_retry re-issues on no entropy (inferred: 10). */
#define RDRAND_RETRY_LOOPS	10

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* tdx_status_name() is NULL for a status it does not know; %s must not get NULL. */
static const char *status_name(uint64_t status)
{
	const char *name = tdx_status_name(status);

	return name ? name : "unknown status";
}

uint64_t seamcall_raw(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a)
{
	struct seamcall_record r = { .cpu = cpu, .rax = rax };
	uint64_t t0 = 0;

	if (h->cfg.hooks.seamcall) {
		r.start_us = h->kt->now_us(h->kt->ctx);
		if (!h->kt->cooperative)
			t0 = mono_ns();
	}
	r.status = seamcall(h->plat, cpu, rax, a);
	if (h->cfg.hooks.seamcall) {
		r.dur_ns = t0 ? mono_ns() - t0 : 0;
		h->cfg.hooks.seamcall(h->cfg.hooks.ctx, &r);
	}
	return r.status;
}

uint64_t sc_retry(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a)
{
	struct seam_args in = *a;
	uint64_t ret;

	/* At most RDRAND_RETRY_LOOPS calls in all, as Linux's do/while loop. */
	for (int calls = 1; ; calls++) {
		ret = seamcall_raw(h, cpu, rax, a);
		if (ret != TDX_RND_NO_ENTROPY || calls == RDRAND_RETRY_LOOPS)
			return ret;
		*a = in;
	}
}

/*
 * kernel.md 7, as Linux's seamcall_prerr: the three software values keep
 * their errnos and every other non-zero status is -EIO, warnings (bit 63
 * clear) included. The module defines warnings as success, but no caller
 * of this generic path expects one: each package's SYS.KEY.CONFIG runs
 * once, SYS.TDMR.INIT once, SYS.RD asks for known field IDs. A warning
 * here means the kernel's view and the module's disagree (e.g.
 * KEY_CONFIGURED: a package configured twice), and Linux stops rather than
 * guess. Callers that do expect a warning test the status themselves.
 */
int seamcall_status_errno(uint64_t status)
{
	switch (status) {
	case TDX_SUCCESS:
		return 0;
	case TDX_SEAMCALL_VMFAILINVALID:
		return -ENODEV;
	case TDX_SEAMCALL_GP:
		return -EOPNOTSUPP;
	case TDX_SEAMCALL_UD:
		return -EACCES;
	}
	return -EIO;
}

int seamcall_prerr(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a)
{
	uint64_t status = sc_retry(h, cpu, rax, a);
	int err = seamcall_status_errno(status);

	if (err)
		host_log(h, "tdx: SEAMCALL (%s) failed: %s (0x%016llx) on CPU %u",
			 tdx_leaf_name(rax), status_name(status),
			 (unsigned long long)status, cpu);
	return err;
}

uint64_t seamcall_on(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a)
{
	uint64_t status;

	if (cpu_hold(h, cpu))
		return TDX_SEAMCALL_VMFAILINVALID;	/* no such CPU to run on */
	status = sc_retry(h, cpu, rax, a);
	cpu_release(h, cpu);
	return status;
}

int seamldr_call(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a)
{
	uint64_t status;

	/* P-SEAMLDR admits one LP at a time: serialise every caller. */
	pthread_mutex_lock(&h->seamldr_lock);
	status = seamcall_raw(h, cpu, rax, a);
	pthread_mutex_unlock(&h->seamldr_lock);
	if (!status)
		return 0;
	host_log(h, "seamldr: SEAMCALL (%s) failed: %s (0x%016llx) on CPU %u",
		 tdx_leaf_name(rax), status_name(status),
		 (unsigned long long)status, cpu);
	/*
	 * Through seamcall_prerr's mapping (seamldr.md 1.1): every P-SEAMLDR
	 * status has bit 63 set and is -EIO; VMfailInvalid, #GP and #UD keep
	 * their own errnos.
	 */
	return seamcall_status_errno(status);
}

void host_log(struct tdx_host *h, const char *fmt, ...)
{
	char line[512];
	struct host_event ev = { .kind = HOST_EV_LOG, .cpu = -1, .text = line };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (h->cfg.log_to_stderr)
		fprintf(stderr, "%s\n", line);
	if (h->cfg.hooks.event) {
		ev.at_us = h->kt->now_us(h->kt->ctx);
		h->cfg.hooks.event(h->cfg.hooks.ctx, &ev);
	}
}

void host_event(struct tdx_host *h, enum host_event_kind kind, int cpu, int value)
{
	struct host_event ev = { .kind = kind, .cpu = cpu, .value = value };

	if (!h->cfg.hooks.event)
		return;
	ev.at_us = h->kt->now_us(h->kt->ctx);
	h->cfg.hooks.event(h->cfg.hooks.ctx, &ev);
}
