/* SPDX-License-Identifier: MIT */
/*
 * The host kernel's private state and the functions its files share. File
 * names follow the kernel files they mirror: cpu.c (CPUs, hotplug lock,
 * stop_machine), seamcall.c (arch/x86/virt/vmx/tdx/seamcall_internal.h),
 * tdx.c (arch/x86/virt/vmx/tdx/tdx.c), seamldr.c (.../seamldr.c),
 * tdx_host.c (drivers/virt/coco/tdx-host/tdx-host.c), fw_upload.c
 * (drivers/base/firmware_loader/sysfs_upload.c), kvm_tdx.c
 * (arch/x86/kvm/vmx/tdx.c), profile.c (which posting we behave as).
 */
#ifndef TDXUP_KERNEL_KERNEL_H
#define TDXUP_KERNEL_KERNEL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu/host.h"
#include "tdxup/tdx_abi.h"
#include "kernel/fw_upload.h"

/* ---- profile.c ---- */

struct profile_desc {
	const char *name;
	const char *release;		/* /proc/sys/kernel/osrelease (inferred strings) */
	bool shutdown_avoid_compat;	/* v8 16/21: RCX |= bit 16, -EBUSY path */
	unsigned int image_version;	/* 0x100 (v8) or 0x200 (v9+, mainline) */
	bool busy_is_device_busy;	/* tdx_fw_write maps -EBUSY to device-busy */
	bool update_v1_compat;		/* TDH.SYS.UPDATE v1 with R9 bit 47 */
	bool lead_is_cpu0;		/* mainline: CPU 0; v8: first online */
	bool refresh_in_stop_machine;	/* mainline refreshes inside RUN_UPDATE */
	bool handoff_read_fatal;	/* mainline fails if module_hv cannot be read */
	bool params_v8_form;		/* SEAMLDR_PARAMS reserved[80] form */
};

const struct profile_desc *profile_get(enum kernel_profile p);

/* ---- cpu.c ---- */

struct kcpu {
	unsigned int id;
	unsigned int package;
	bool online;
	bool held;		/* inside a preempt-disabled section (a SEAMCALL) */
	bool stopped;		/* taken by stop_machine */
};

enum module_update_state {
	MODULE_UPDATE_START,
	MODULE_UPDATE_SHUTDOWN,
	MODULE_UPDATE_CPU_INSTALL,
	MODULE_UPDATE_CPU_INIT,
	MODULE_UPDATE_RUN_UPDATE,
	MODULE_UPDATE_DONE,
};

const char *module_update_state_name(enum module_update_state s);

/* Per-CPU work of one lockstep state; 0 or -errno. */
typedef int (*lockstep_step_fn)(struct tdx_host *h, unsigned int cpu,
				enum module_update_state state, void *data);

struct stopper;

struct host_cpus {
	unsigned int nr;
	struct kcpu *cpu;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int stop_pending;	/* a stop_machine waits: no new holds */
	unsigned int hotplug_readers;
	bool hotplug_writer;
	struct stopper *stoppers;	/* threads driver, one per CPU */
};

int cpus_init(struct tdx_host *h);
void cpus_exit(struct tdx_host *h);
/* Enter/leave a preempt-disabled section on cpu. -ENODEV if offline. */
int cpu_hold(struct tdx_host *h, unsigned int cpu);
void cpu_release(struct tdx_host *h, unsigned int cpu);
void cpus_read_lock(struct tdx_host *h);
void cpus_read_unlock(struct tdx_host *h);
unsigned int num_online_cpus(struct tdx_host *h);
int first_online_cpu(struct tdx_host *h);
bool cpu_online(struct tdx_host *h, unsigned int cpu);
int cpu_set_online(struct tdx_host *h, unsigned int cpu, bool online);
/*
 * stop_machine_cpuslocked() running the lockstep update: every online CPU
 * is taken (between two SEAMCALLs of other work, never inside one), then
 * the states START+1 .. DONE-1 run with step() on each CPU, aborting on
 * the first failure. Returns the first non-zero step result.
 */
int stop_machine_lockstep(struct tdx_host *h, lockstep_step_fn step, void *data);

/* ---- seamcall.c ---- */

/* One SEAMCALL on a CPU the caller holds (or that stop_machine holds). */
uint64_t seamcall_raw(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a);
/* Retry while TDX_RND_NO_ENTROPY (a bounded number of times). */
uint64_t sc_retry(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a);
/* sc_retry + errno mapping with a log line naming leaf and status. */
int seamcall_prerr(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a);
/* Hold a CPU, sc_retry, release: for SEAMCALLs outside stop_machine. */
uint64_t seamcall_on(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a);
/* P-SEAMLDR call under seamldr_lock; any error -> -EIO (VMfailInvalid -ENODEV). */
int seamldr_call(struct tdx_host *h, unsigned int cpu, uint64_t rax, struct seam_args *a);
int seamcall_status_errno(uint64_t status);
/* The leaf's name for log lines (tdx_leaf_name, include/tdxup/status_name.h). */
const char *tdx_leaf_name(uint64_t rax);
#define seamcall_leaf_name(rax) tdx_leaf_name(rax)

void host_log(struct tdx_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void host_event(struct tdx_host *h, enum host_event_kind kind, int cpu, int value);

/* ---- tdx.c ---- */

struct tdx_sys_info {
	uint16_t major, minor, update;
	uint32_t build_date;
	uint16_t build_num;
	uint64_t features0;
	uint16_t tdcs_base_size, tdvps_base_size;
	uint64_t attributes_fixed0, attributes_fixed1, xfam_fixed0, xfam_fixed1;
};

struct tdx_state {
	pthread_mutex_t lock;		/* sysinit_lock + readers of sysinfo (order: 6) */
	bool initialized;		/* tdx_module_initialized */
	bool sysinit_done;
	int sysinit_ret;
	bool *lp_initialized;		/* per CPU */
	struct tdx_sys_info sysinfo;
	bool sysinfo_valid;		/* tdx_get_sysinfo() != NULL */
	uint16_t global_hkid;
	uint64_t hkid_bitmap;		/* HKIDs handed to TDs */
	uint64_t tdmr_pages[2];
	bool lost;			/* a failed update after shutdown */
};

int tdx_enable(struct tdx_host *h);
void tdx_exit(struct tdx_host *h);
int tdx_cpu_enable(struct tdx_host *h, unsigned int cpu);
/* Copy of the cached sysinfo; false when tdx_get_sysinfo() would be NULL. */
bool tdx_get_sysinfo(struct tdx_host *h, struct tdx_sys_info *out);
bool tdx_supports_runtime_update(struct tdx_host *h);
int tdx_module_shutdown(struct tdx_host *h, unsigned int cpu);
int tdx_module_run_update(struct tdx_host *h, unsigned int cpu);
int tdx_module_refresh_version(struct tdx_host *h, unsigned int cpu);
int tdx_hkid_alloc(struct tdx_host *h);
void tdx_hkid_free(struct tdx_host *h, int hkid);
/* Hotplug online callback: LP.INIT on a returning CPU. */
int tdx_online_cpu(struct tdx_host *h, unsigned int cpu);

/* ---- seamldr.c ---- */

struct seamldr_info {
	uint32_t version, attributes, vendor_id, build_date;
	uint16_t build_num, minor_version, major_version, update_version;
	uint32_t acm_x2apicid, num_remaining_updates;
};

int seamldr_get_info(struct tdx_host *h, struct seamldr_info *info);
int seamldr_install_module(struct tdx_host *h, const uint8_t *data, size_t len);

/* ---- tdx_host.c ---- */

int tdx_host_device_init(struct tdx_host *h);
void tdx_host_device_exit(struct tdx_host *h);

/* ---- the host ---- */

/*
 * Lock order of the kernel layer, outermost first. A lock may be taken
 * while holding only locks above it.
 *
 *  1. An open attribute file's lock (emu/sysfs, kernfs's of->mutex): show
 *     and store run under it, so everything below nests inside it.
 *  2. KVM: vcpu->mutex, then kvm->lock (a vCPU ioctl takes both, a VM
 *     ioctl only kvm->lock).
 *     fw_upload (fw_upload.c): worker_lock, then fw_lock, then the core's
 *     progress lock. worker_lock is held while joining a worker that may
 *     still take the other two on its way out. The worker runs the
 *     driver's write op holding none of them, so an update nests under
 *     no fw_upload lock.
 *  3. update_lock: one update at a time (seamldr_install_module).
 *  4. cpus_read_lock(): the hotplug read side. The update takes it under
 *     update_lock, KVM's TD creation under kvm->lock.
 *  5. A CPU hold (cpu_hold, the preempt-disabled section around a
 *     SEAMCALL), or stop_machine, which takes every online CPU. Nothing
 *     above may be taken while a CPU is held: stop_machine runs under
 *     update_lock and cpus_read_lock and waits for every hold to end, so
 *     a holder waiting for either would never be let go.
 *  6. Inside a held CPU or stop_machine, the kernel's spinlocks and
 *     sysinit_lock, never nested with each other: seamldr_lock (P-SEAMLDR
 *     calls), tdx.lock (sysinit_lock: SYS.INIT once, under it one
 *     SEAMCALL), and the lockstep ack lock (cpu.c, update_data.lock). tdx.lock
 *     is also taken without a CPU (sysinfo readers, HKID allocation under
 *     kvm->lock), so it must never be held while taking a CPU.
 *  7. Leaves, taken last and held across no other lock: cpus.lock (the
 *     CPUs' own bookkeeping, inside cpu_hold, cpus_read_lock and
 *     stop_machine), stats_lock, the lab's event hooks.
 *
 * Why: this mirrors Linux, where mutexes (kvm->lock, the fw_upload and
 * update mutexes) come before cpus_read_lock, which comes before the
 * non-sleeping regions (preempt off, stop_machine) and the raw spinlocks
 * inside them. A sleeping lock taken inside a preempt-off region is a bug
 * there; here it is a deadlock with stop_machine.
 */
struct tdx_host {
	struct tdx_host_config cfg;
	const struct profile_desc *profile;
	const struct kthread_ops *kt;
	struct seam_platform *plat;
	struct physmem *pm;
	struct host_cpus cpus;
	struct tdx_state tdx;
	pthread_mutex_t seamldr_lock;	/* serialises P-SEAMLDR calls (order: 6) */
	pthread_mutex_t update_lock;	/* one update at a time (order: 3) */
	struct sysfs_tree *sysfs;
	struct sysfs_node *tdx_host_dev;
	struct fw_upload *fwl;
	struct fw_upload *fwl_legacy;
	pthread_mutex_t stats_lock;	/* a leaf (order: 7) */
	struct tdx_host_stats stats;
};

#endif /* TDXUP_KERNEL_KERNEL_H */
