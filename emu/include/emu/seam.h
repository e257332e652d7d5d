/* SPDX-License-Identifier: MIT */
/*
 * The emulated SEAM platform: logical processors in packages, physical
 * memory, SEAM_READY, the SEAMDB and the two pieces of SEAM firmware (the
 * current TDX module and the P-SEAMLDR). Everything above reaches the
 * firmware only through seamcall() with the real register ABI and through
 * physical addresses in the platform's physmem.
 */
#ifndef TDXUP_SEAM_H
#define TDXUP_SEAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/physmem.h"

struct seam_platform;

/* Registers in and out of a SEAMCALL besides RAX. */
struct seam_args {
	uint64_t rcx, rdx, r8, r9, r10, r11, r12, r13, r14, r15;
};

#define SEAM_MAX_LPS		512
#define SEAM_MAX_PACKAGES	8
#define SEAM_MAX_TRUSTED_KEYS	8
/* Emulated physical memory unless a config says otherwise: 256 MiB. */
#define SEAM_DEFAULT_PHYSMEM_FRAMES	(1u << 16)

struct seam_platform_config {
	unsigned int nr_lps;		/* logical processors, 1..SEAM_MAX_LPS */
	unsigned int nr_packages;	/* 1..nr_lps; emu/topology.h splits the LPs */
	uint32_t cpu_fms;		/* CPUID.1.EAX of every socket */
	uint16_t seamldr_major, seamldr_minor, seamldr_update;
	uint32_t num_remaining_updates;	/* free SEAMDB entries */
	bool debug_platform;		/* accepts debug-signed modules */
	bool seamldr_strict;		/* 2023 P-SEAMLDR: params version must be 0 */
	uint64_t physmem_frames;	/* 0: a default size */
	/* Key hashes P-SEAMLDR trusts besides the project's test key. */
	uint8_t trusted_key_hash[SEAM_MAX_TRUSTED_KEYS][48];
	unsigned int nr_trusted_keys;
};

/* Defaults: 8 LPs in 2 packages, SPR FMS, P-SEAMLDR 1.5.01, 16 updates. */
void seam_platform_config_init(struct seam_platform_config *cfg);

struct seam_platform *seam_platform_create(const struct seam_platform_config *cfg);
void seam_platform_destroy(struct seam_platform *p);

struct physmem *seam_physmem(struct seam_platform *p);
unsigned int seam_nr_lps(const struct seam_platform *p);
unsigned int seam_nr_packages(const struct seam_platform *p);
unsigned int seam_lp_package(const struct seam_platform *p, unsigned int lp);

/*
 * Execute SEAMCALL on logical processor lp. RAX bit 63 routes to P-SEAMLDR,
 * otherwise to the current TDX module. Returns the status (RAX); output
 * registers are written back into *args. When SEAM_READY is clear or no
 * module is loaded a module leaf returns TDX_SEAMCALL_VMFAILINVALID, the
 * software value the kernel maps to -ENODEV.
 */
uint64_t seamcall(struct seam_platform *p, unsigned int lp, uint64_t rax,
		  struct seam_args *args);

/* Read-only platform facts for tests and reports (not part of the ABI). */
struct seam_platform_state {
	bool seam_ready;
	bool module_loaded;
	uint32_t num_remaining_updates;
	unsigned int seamdb_entries;
	uint16_t major, minor, update;	/* current module, if any */
	int sys_state;			/* -1 when no module */
	unsigned int td_build_count;
};
void seam_platform_get_state(struct seam_platform *p, struct seam_platform_state *st);

/*
 * SEAMDB: one entry per module installed since the last LOAD. Returns how
 * many there are; copies up to max of the newest 64, oldest first.
 */
struct seamdb_entry {
	uint16_t major, minor, update;
	uint8_t seamhash[48];
};
unsigned int seam_seamdb(struct seam_platform *p, struct seamdb_entry *out, unsigned int max);

/*
 * Test and fault hooks: the platform's "hardware" side, never reachable from
 * a SEAMCALL. They let tests reproduce conditions that need real silicon
 * (a guest running on another LP, an RNG without entropy, a flash failure).
 */
/* Mark lp as in SEAM non-root (running a TD guest): lp_is_busy stays set. */
void seam_lp_set_guest_running(struct seam_platform *p, unsigned int lp, bool running);

enum seam_fault {
	SEAM_FAULT_NONE,
	SEAM_FAULT_INSTALL_RECOVERABLE,	/* INSTALL's last-LP work fails early: ENOENTROPY */
	SEAM_FAULT_INSTALL_UNRECOVERABLE, /* fails after the range is written: ENOENTROPY, RDX 1 */
	SEAM_FAULT_LP_INIT,		/* TDH.SYS.LP.INIT fails on that LP */
	SEAM_FAULT_SYS_UPDATE,		/* TDH.SYS.UPDATE fails */
};
/*
 * Arm a one-shot fault; lp selects the LP where it applies. INSTALL faults
 * fail the next install flow lp takes part in, in the last LP's work
 * (whichever LP's call is the last), so they fire under any call order.
 */
void seam_inject_fault(struct seam_platform *p, enum seam_fault f, unsigned int lp);
/*
 * The current module holds n interrupted migration sessions (its
 * mig_interrupted_count), as an interrupted TDH.EXPORT.STATE.* would leave
 * it. -ENODEV without a module that has the counter (1.5.24+).
 */
int seam_set_mig_interrupted(struct seam_platform *p, uint16_t n);
/* The next n RDRAND-consuming leaves return TDX_RND_NO_ENTROPY. */
void seam_inject_rnd_no_entropy(struct seam_platform *p, unsigned int n);

#endif /* TDXUP_SEAM_H */
