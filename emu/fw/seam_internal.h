/* SPDX-License-Identifier: MIT */
/*
 * Firmware-private view of the platform: shared by the files of emu/fw only.
 * Nothing outside emu/fw includes this; the rest of tdxup sees seam.h.
 */
#ifndef TDXUP_FW_SEAM_INTERNAL_H
#define TDXUP_FW_SEAM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu/module_build.h"
#include "emu/seam.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/tdx_abi.h"

/*
 * PAMT: per-frame metadata the module keeps in TDMR-reserved host memory.
 * It lives outside any module instance, so it survives an update exactly as
 * the real PAMT does. Type values are the TDX ABI's page types.
 */
enum pamt_type {
	PT_NDA		= 0,
	PT_RSVD		= 1,
	PT_REG		= 3,
	PT_TDR		= 4,
	PT_TDCX		= 5,
	PT_TDVPR	= 6,
	PT_EPT		= 8,
};

struct pamt_entry {
	uint8_t type;
	uint8_t level;
	uint64_t owner;		/* PA of the owning TDR */
};

/*
 * The SEAM range's data region. The handoff area sits at its start and is
 * the only part that survives an UPDATE-scenario install. Sized for the
 * largest handoff the catalogue knows (2.0.x: 24 + 1 pages).
 */
#define SEAM_DATA_RGN_PAGES	25
#define SEAM_DATA_RGN_SIZE	(SEAM_DATA_RGN_PAGES * PAGE_SIZE)
/*
 * The SEAMDB's capacity is what num_remaining_updates counts down; we keep
 * the newest SEAM_SEAMDB_LOG entries for inspection (inferred).
 */
#define SEAM_SEAMDB_LOG		64

struct install_flow {
	bool active;
	unsigned int nr_called;
	bool called[SEAM_MAX_LPS];
	bool seam_ready_snapshot;
	uint8_t seamextend_snapshot[SEAMEXTEND_SIZE];
};

struct seam_lp {
	atomic_bool in_seamcall;	/* SEAMCALL from SEAM is #UD */
	atomic_bool lp_is_busy;		/* module's per-LP busy flag (spec 3.1) */
	atomic_bool guest_running;	/* test hook: a TD guest runs here */
};

struct tdx_module;

struct seam_platform {
	struct seam_platform_config cfg;
	struct physmem *pm;
	struct pamt_entry *pamt;	/* one per frame */
	struct seam_lp lps[SEAM_MAX_LPS];

	/*
	 * The emulator runs one leaf body at a time. lp_is_busy is set before
	 * this lock is taken, so an LP waiting here still counts as "inside a
	 * SEAMCALL" for TDH.SYS.SHUTDOWN, as on hardware.
	 */
	pthread_mutex_t fw_lock;
	atomic_bool seamldr_entered;	/* one LP at a time inside P-SEAMLDR */

	bool seam_ready;
	struct tdx_module *mod;		/* current module, NULL if none */
	uint8_t data_rgn[SEAM_DATA_RGN_SIZE];

	/* P-SEAMLDR state */
	uint8_t seamextend[SEAMEXTEND_SIZE];
	struct install_flow install;
	struct seamdb_entry seamdb[SEAM_SEAMDB_LOG];	/* ring, by entry number */
	unsigned int nr_seamdb;
	uint32_t num_remaining_updates;
	bool keys_dirty;

	/* one-shot faults (seam_inject_fault) */
	enum seam_fault fault;
	unsigned int fault_lp;
	unsigned int rnd_no_entropy;
};

/* Consume one injected RDRAND failure, if any. Call under fw_lock. */
bool seam_rdrand_fails(struct seam_platform *p);
/* Consume the armed fault if it is f on lp. Call under fw_lock. */
bool seam_fault_hit(struct seam_platform *p, enum seam_fault f, unsigned int lp);
/* In the last LP's INSTALL work: f is armed and its LP called in this flow. */
bool seam_install_fault_hit(struct seam_platform *p, enum seam_fault f);

static inline struct pamt_entry *pamt_get(struct seam_platform *p, uint64_t pa)
{
	return &p->pamt[pa >> 12];
}

/* P-SEAMLDR leaves (seamldr.c) */
uint64_t seamldr_dispatch(struct seam_platform *p, unsigned int lp, uint64_t rax,
			  struct seam_args *args);

#endif /* TDXUP_FW_SEAM_INTERNAL_H */
