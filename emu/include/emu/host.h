/* SPDX-License-Identifier: MIT */
/*
 * The emulated TDX host: SEAM platform + the host kernel of the "Runtime
 * TDX module update" series (tdx, seamldr, tdx_host, fw_upload, KVM). It is
 * the one entry point the CLI, `tdxup serve` and `tdxup lab` use.
 */
#ifndef TDXUP_HOST_H
#define TDXUP_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/kthread.h"
#include "emu/seam.h"
#include "emu/sysfs.h"

/* Kernel behaviour profiles (docs/architecture.md, 7 "Kernel profiles"). */
enum kernel_profile {
	KERNEL_PROFILE_V8,		/* the seed: SHUTDOWN with AVOID_COMPAT_SENSITIVE */
	KERNEL_PROFILE_MAINLINE,	/* Linux 7.2 as merged: no mitigation */
	KERNEL_PROFILE_DETECT,		/* option 2: SYS.UPDATE v1 with bit 47 */
};

const char *kernel_profile_name(enum kernel_profile p);
/* Its /proc/sys/kernel/osrelease: "7.1.0-tdx-v8", "7.2.0", "7.2.0-tdx-detect". */
const char *kernel_profile_release(enum kernel_profile p);
int kernel_profile_parse(const char *s, enum kernel_profile *p);

/* How stop_machine runs the lockstep update. */
enum lockstep_driver {
	LOCKSTEP_THREADS,	/* one stopper thread per CPU, the kernel's ack loop */
	LOCKSTEP_SERIAL,	/* stage by stage, CPU by CPU, deterministic */
};

enum sysfs_layout {
	SYSFS_LAYOUT_FINAL,	/* seamldr_version, num_remaining_updates, tdx_module */
	SYSFS_LAYOUT_LEGACY,	/* adds seamldr/{version,num_remaining_updates}, seamldr_upload */
};

/* Faults a host can inject (one-shot unless said otherwise). */
enum host_fault {
	HOST_FAULT_INSTALL_RECOVERABLE,		/* the INSTALL flow CPU k calls in fails early */
	HOST_FAULT_INSTALL_UNRECOVERABLE,	/* ... after the module range is written */
	HOST_FAULT_LP_INIT,			/* TDH.SYS.LP.INIT fails on CPU k */
	HOST_FAULT_SYS_UPDATE,			/* TDH.SYS.UPDATE fails */
	HOST_FAULT_RND_NO_ENTROPY,		/* the next k RDRAND users get no entropy */
	HOST_FAULT_MIG_INTERRUPTED,		/* k interrupted migrations: not one-shot */
};

struct seamcall_record {
	unsigned int cpu;
	uint64_t rax;		/* leaf and version (bit 63: P-SEAMLDR) */
	uint64_t status;
	uint64_t start_us;	/* kthread now_us() at entry */
	uint64_t dur_ns;	/* measured (threads) or 0 */
};

enum host_event_kind {
	HOST_EV_LOG,			/* a printk line: text */
	HOST_EV_STW_BEGIN,		/* stop_machine took every CPU */
	HOST_EV_STAGE,			/* lockstep stage: value = state, cpu = -1 or the CPU */
	HOST_EV_STW_END,		/* released; value = result (0 or -errno) */
	HOST_EV_STW_ENTER,		/* stop_machine called: the CPUs not stopped yet */
};

struct host_event {
	enum host_event_kind kind;
	int cpu;
	int value;
	uint64_t at_us;
	const char *text;
};

struct tdx_host_hooks {
	void *ctx;
	void (*seamcall)(void *ctx, const struct seamcall_record *r);
	void (*event)(void *ctx, const struct host_event *ev);
};

struct tdx_host_config {
	unsigned int nr_cpus;		/* 1..512 */
	unsigned int nr_packages;	/* 1..8 */
	const char *boot_module;	/* catalogue version, default "1.5.25" */
	uint16_t seamldr_major, seamldr_minor, seamldr_update;
	uint32_t num_remaining_updates;
	uint32_t cpu_fms;
	enum kernel_profile profile;
	enum lockstep_driver driver;
	enum sysfs_layout layout;
	bool seamret_erratum;		/* CPU has X86_BUG_SEAMRET_INVD_VMCS */
	bool log_to_stderr;
	const struct kthread_ops *kt;	/* NULL: kthread_default_ops() */
	struct tdx_host_hooks hooks;
};

void tdx_host_config_init(struct tdx_host_config *cfg);

struct tdx_host;

/* Boots the platform: BIOS LOAD of the boot module on every LP, then
 * tdx_enable() and the tdx_host device. NULL with *err set on failure. */
struct tdx_host *tdx_host_create(const struct tdx_host_config *cfg, int *err);
void tdx_host_destroy(struct tdx_host *h);

struct sysfs_tree *tdx_host_sysfs(struct tdx_host *h);
struct seam_platform *tdx_host_platform(struct tdx_host *h);
const struct tdx_host_config *tdx_host_config(const struct tdx_host *h);

int tdx_host_cpu_offline(struct tdx_host *h, unsigned int cpu);
int tdx_host_cpu_online(struct tdx_host *h, unsigned int cpu);
bool tdx_host_cpu_is_online(struct tdx_host *h, unsigned int cpu);

void tdx_host_inject(struct tdx_host *h, enum host_fault f, unsigned int arg);

/* The kernel's view of the module; false once the module is lost. */
bool tdx_host_module_initialized(struct tdx_host *h);
/* Cached version, as the `version` attribute shows it; -ENXIO when lost. */
int tdx_host_module_version(struct tdx_host *h, uint16_t *major, uint16_t *minor,
			    uint16_t *update);

/* Counters the host keeps for reports. */
struct tdx_host_stats {
	unsigned int updates_attempted;
	unsigned int updates_applied;
	unsigned int busy_rejections;	/* -EBUSY from the compat-sensitive check */
	unsigned int updates_failed;
	uint64_t last_stw_us;
	uint64_t total_stw_us;
};
void tdx_host_get_stats(struct tdx_host *h, struct tdx_host_stats *st);

/* Run the update directly (what tdx_fw_write does): 0 or -errno. */
int tdx_host_install_module(struct tdx_host *h, const uint8_t *data, size_t len);

#endif /* TDXUP_HOST_H */
