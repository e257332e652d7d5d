// SPDX-License-Identifier: MIT
/*
 * What a lab run is refused for before anything starts: faults that could
 * not fire on this host, under this driver or in this run, outcomes the
 * driver cannot make deterministic, and sizes the emulated memory cannot
 * hold. Each refusal names its reason; a run that would silently do
 * something else than asked never starts.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lab/lab.h"
#include "lab/td_kvm.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"

/*
 * Frames a TD holds besides its private pages (upper bounds): TDR, the TDCS
 * (6 pages in every catalogue build), TDVPR and 3 TDCX pages, the TD_PARAMS
 * page of INIT_VM and the source page of INIT_MEM_REGION.
 */
#define TD_CONTROL_FRAMES	(1 + 6 + 1 + 3 + 1 + 1)
/*
 * The host's own frames: 2 TDMR pages, SEAMLDR.INFO's buffer and one update
 * request at its largest (params, sigstruct pages, module pages).
 */
#define HOST_RESERVE_FRAMES	(2 + 1 + 1 + SEAMLDR_MAX_NR_SIG_PAGES + SEAMLDR_MAX_NR_MODULE_PAGES)
/* Running TDs in the lab and in serve's workload measure this many pages. */
#define RUNNING_TD_PAGES	4

const char *lab_fault_name(enum lab_fault_kind k)
{
	static const char *const names[] = {
		[LAB_FAULT_INSTALL_RECOVERABLE] = "install-recoverable",
		[LAB_FAULT_INSTALL_UNRECOVERABLE] = "install-unrecoverable",
		[LAB_FAULT_LP_INIT] = "lp-init",
		[LAB_FAULT_SYS_UPDATE] = "sys-update",
		[LAB_FAULT_OFFLINE_CPU] = "offline-cpu",
		[LAB_FAULT_RND_NO_ENTROPY] = "rnd-no-entropy",
		[LAB_FAULT_CORRUPT_IMAGE] = "corrupt-image",
		[LAB_FAULT_MIG_INTERRUPTED] = "mig-interrupted",
	};

	return (unsigned int)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

bool lab_fault_takes_cpu(enum lab_fault_kind k)
{
	return k == LAB_FAULT_INSTALL_RECOVERABLE || k == LAB_FAULT_INSTALL_UNRECOVERABLE ||
	       k == LAB_FAULT_LP_INIT || k == LAB_FAULT_OFFLINE_CPU;
}

bool lab_fault_takes_count(enum lab_fault_kind k)
{
	return k == LAB_FAULT_RND_NO_ENTROPY || k == LAB_FAULT_MIG_INTERRUPTED;
}

/* One firmware slot: the platform holds a single armed INSTALL/LP.INIT/UPDATE fault. */
static bool fault_uses_slot(enum lab_fault_kind k)
{
	return k == LAB_FAULT_INSTALL_RECOVERABLE || k == LAB_FAULT_INSTALL_UNRECOVERABLE ||
	       k == LAB_FAULT_LP_INIT || k == LAB_FAULT_SYS_UPDATE;
}

/* arm_faults arms a fault with attempt 0 or 1 before every round, others before theirs. */
static bool same_round(const struct lab_fault *a, const struct lab_fault *b)
{
	return a->attempt <= 1 || b->attempt <= 1 || a->attempt == b->attempt;
}

/* The checks that need nothing but the fault itself (scenario files use them too). */
int lab_fault_check(const struct lab_fault *f, char *err, size_t len)
{
	if (f->kind == LAB_FAULT_OFFLINE_CPU && f->arg == 0) {
		snprintf(err, len, "%s: CPU 0 cannot go offline (the boot CPU, as on Linux x86; "
			 "the kernel's hotplug call gives -EBUSY)", lab_fault_name(f->kind));
		return -EINVAL;
	}
	if (lab_fault_takes_count(f->kind) && !f->arg) {
		snprintf(err, len, "%s: count 0 injects nothing", lab_fault_name(f->kind));
		return -EINVAL;
	}
	if (!lab_fault_takes_cpu(f->kind) && !lab_fault_takes_count(f->kind) && f->arg) {
		snprintf(err, len, "%s takes no CPU or count%s", lab_fault_name(f->kind),
			 f->kind == LAB_FAULT_SYS_UPDATE ?
			 ": TDH.SYS.UPDATE runs once, on the lead CPU" : "");
		return -EINVAL;
	}
	return 0;
}

/* The module the host runs when a fault of that round is armed. */
static const struct module_build *module_at(const struct lab_config *cfg,
					    const struct lab_fault *f)
{
	return module_build_find(f->attempt > 1 ? cfg->to : cfg->from);
}

static int check_fault(const struct lab_config *cfg, unsigned int i, char *err, size_t len)
{
	const struct lab_fault *f = &cfg->faults[i];
	const struct module_build *b = module_at(cfg, f);
	const char *name = lab_fault_name(f->kind);
	int n;

	n = snprintf(err, len, "fault %u: ", i);
	if (n < 0 || (size_t)n >= len)
		n = 0;
	if (lab_fault_check(f, err + n, len - (size_t)n))
		return -EINVAL;
	if (lab_fault_takes_cpu(f->kind) && f->arg >= cfg->cpus) {
		snprintf(err + n, len - (size_t)n, "%s on CPU %u, but the host has %u CPU(s)", name,
			 f->arg, cfg->cpus);
		return -EINVAL;
	}
	if (f->attempt > cfg->updates) {
		snprintf(err + n, len - (size_t)n, "%s armed before update %u, but the operator "
			 "runs %u update(s)", name, f->attempt, cfg->updates);
		return -EINVAL;
	}
	if (f->kind == LAB_FAULT_MIG_INTERRUPTED && b && !b->update_compat) {
		snprintf(err + n, len - (size_t)n, "%s: module %s keeps no migration counter "
			 "(no update compatibility), so nothing would refuse", name, b->version);
		return -EINVAL;
	}
	for (unsigned int j = 0; j < i; j++) {
		const struct lab_fault *g = &cfg->faults[j];

		if (!same_round(f, g))
			continue;
		if (fault_uses_slot(f->kind) && fault_uses_slot(g->kind)) {
			snprintf(err + n, len - (size_t)n, "%s and fault %u (%s) armed for the same "
				 "update: the platform holds one such fault, the later would "
				 "replace the earlier", name, j, lab_fault_name(g->kind));
			return -EINVAL;
		}
		if (f->kind == g->kind && f->kind == LAB_FAULT_OFFLINE_CPU && f->arg == g->arg) {
			snprintf(err + n, len - (size_t)n, "%s: CPU %u is already taken offline by "
				 "fault %u", name, f->arg, j);
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- emulated memory ------------------------------------------------- */

/* Secure EPT tables KVM adds for the range: one per 2 MiB, 1 GiB, 512 GiB block. */
static uint64_t sept_tables(uint64_t gpa, unsigned int pages)
{
	uint64_t end = gpa + (uint64_t)pages * PAGE_SIZE, n = 0;

	for (int level = 1; level <= 3; level++) {
		uint64_t span = (uint64_t)PAGE_SIZE << (9 * level);

		n += (end - 1) / span - gpa / span + 1;
	}
	return n;
}

uint64_t lab_td_frames(unsigned int pages)
{
	return pages + sept_tables(TD_KVM_GPA_BASE, pages) + TD_CONTROL_FRAMES;
}

uint64_t lab_frames_needed(unsigned int builders, unsigned int pages, unsigned int running)
{
	return (uint64_t)builders * lab_td_frames(pages) +
	       (uint64_t)running * lab_td_frames(RUNNING_TD_PAGES) + HOST_RESERVE_FRAMES;
}

static uint64_t frames_mib(uint64_t frames)
{
	return (frames * PAGE_SIZE + (1ULL << 20) - 1) >> 20;
}

int lab_memory_check(unsigned int builders, unsigned int pages, unsigned int running,
		     uint64_t host_frames, char *err, size_t len)
{
	uint64_t need = lab_frames_needed(builders, pages, running);

	/* Frame 0 is the null address and never handed out. */
	if (need <= host_frames - 1)
		return 0;
	snprintf(err, len, "%u builder(s) of %u pages and %u running TD(s) need %llu MiB of "
		 "emulated memory, the host has %llu MiB", builders, pages, running,
		 (unsigned long long)frames_mib(need), (unsigned long long)(host_frames >> 8));
	return -ENOMEM;
}

int lab_config_check(const struct lab_config *cfg, char *err, size_t len)
{
	if (cfg->packages > cfg->cpus) {
		snprintf(err, len, "%u packages but %u CPU(s): every package needs a CPU",
			 cfg->packages, cfg->cpus);
		return -EINVAL;
	}
	if (cfg->running + cfg->builders > LAB_MAX_TDS || !cfg->pages || cfg->pages > 4096) {
		snprintf(err, len, "%u running TDs and %u builders of %u pages: at most %u TDs "
			 "of 1 to 4096 pages", cfg->running, cfg->builders, cfg->pages, LAB_MAX_TDS);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < cfg->nr_faults; i++)
		if (check_fault(cfg, i, err, len))
			return -EINVAL;
	/*
	 * Under threads the actors run on the wall clock: whether a build is
	 * in flight when the update lands is the OS scheduler's doing, so an
	 * outcome that needs a straddling build would come and go by run.
	 */
	if (cfg->driver == LOCKSTEP_THREADS && cfg->expect && !strcmp(cfg->expect, "erratum")) {
		snprintf(err, len, "expect \"erratum\" needs the serial driver: under threads, "
			 "whether a build straddles the update is up to the OS scheduler");
		return -EINVAL;
	}
	return lab_memory_check(cfg->builders, cfg->pages, cfg->running,
				SEAM_DEFAULT_PHYSMEM_FRAMES, err, len);
}
