/* SPDX-License-Identifier: MIT */
/*
 * A minimal host-side driver of the emulated SEAM firmware, for the demo and
 * the benchmarks: it reaches the firmware only through seamcall() and
 * physical addresses, like the kernel layer, but without the kernel's
 * policy (no stop_machine, no errno mapping, single-threaded). Every
 * function returns the first failing SEAMCALL status, 0 on success, or
 * FWD_ENOMEM when the host side ran out of emulated physical memory.
 */
#ifndef TDXUP_FW_DRIVER_H
#define TDXUP_FW_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu/module_build.h"
#include "emu/seam.h"

/* A host-side failure, not a firmware status (class 0xFF, like Linux's). */
#define FWD_ENOMEM		0x8000FF000000000CULL

uint64_t fwd_call(struct seam_platform *p, unsigned int lp, uint16_t leaf, uint8_t ver,
		  struct seam_args *a);
/* One zeroed page of emulated physical memory. */
uint64_t fwd_page(struct seam_platform *p, uint64_t *pa);

/*
 * Copy a TDX-BLOB image (v0x100 or v0x200) into physical memory and build a
 * SEAMLDR_PARAMS page (version 0) for it.
 */
uint64_t fwd_params(struct seam_platform *p, const uint8_t *img, size_t len,
		    uint32_t scenario, uint64_t *params_pa);
/*
 * SEAMLDR.INSTALL on every LP, in order; stops at the first failure. rdx
 * (optional) gets RDX of the last call made: P-SEAMLDR's extended error.
 */
uint64_t fwd_install_all(struct seam_platform *p, uint64_t params_pa, uint64_t *rdx);
/* SYS.INIT, then SYS.LP.INIT on every LP. */
uint64_t fwd_sys_init(struct seam_platform *p);
/* The boot-time rest: SYS.CONFIG, SYS.KEY.CONFIG per package, SYS.TDMR.INIT. */
uint64_t fwd_sys_config(struct seam_platform *p);
/* LOAD a signed image of build b (format 0x100) and initialise it. */
uint64_t fwd_boot(struct seam_platform *p, const struct module_build *b);

uint64_t fwd_read_md(struct seam_platform *p, unsigned int lp, uint64_t field, uint64_t *val);
/* TDH.SYS.SHUTDOWN with HV = the module's MODULE_HV, as Linux asks. */
uint64_t fwd_shutdown(struct seam_platform *p, bool avoid_compat_sensitive);
/* TDH.SYS.UPDATE of the given leaf version; r9 = enabling flags (v1). */
uint64_t fwd_sys_update(struct seam_platform *p, uint8_t version, uint64_t r9);

struct fwd_td {
	uint64_t tdr;
	uint64_t tdcs[6];
	uint64_t tdvpr;
	uint64_t tdvpx[3];
	uint64_t params;
	uint16_t hkid;
	uint64_t guest_gpa;
};

/* MNG.CREATE, MNG.KEY.CONFIG on each package, 6 x MNG.ADDCX. */
uint64_t fwd_td_create(struct seam_platform *p, struct fwd_td *td, uint16_t hkid);
/* MNG.INIT with a small TD_PARAMS: the build begins. */
uint64_t fwd_td_init(struct seam_platform *p, struct fwd_td *td);
/* VP.CREATE, 3 x VP.ADDCX, VP.INIT v1 with the guest's work page GPA in RCX. */
uint64_t fwd_td_vcpu(struct seam_platform *p, struct fwd_td *td, uint64_t guest_gpa);
/* The SEPT tables above gpa, added as needed. */
uint64_t fwd_td_sept(struct seam_platform *p, struct fwd_td *td, uint64_t gpa);
/* SEPT as needed, PAGE.ADD of a copy of page, then 16 MR.EXTEND if measure. */
uint64_t fwd_td_add_page(struct seam_platform *p, struct fwd_td *td, uint64_t gpa,
			 const uint8_t page[PAGE_SIZE], bool measure);
/* The 16 MR.EXTENDs (256 bytes each) of a page already added at gpa. */
uint64_t fwd_td_extend_page(struct seam_platform *p, struct fwd_td *td, uint64_t gpa);
uint64_t fwd_td_finalize(struct seam_platform *p, struct fwd_td *td);
/* TDH.MNG.RD of one TD-scope field. */
uint64_t fwd_td_rd(struct seam_platform *p, struct fwd_td *td, uint64_t field, uint64_t *val);
uint64_t fwd_td_mrtd(struct seam_platform *p, struct fwd_td *td, uint8_t mrtd[48]);
/*
 * One TDH.VP.ENTER on lp; the guest's step counter and work-page checksum
 * come back in *counter and *checksum (each optional).
 */
uint64_t fwd_td_enter(struct seam_platform *p, struct fwd_td *td, unsigned int lp,
		      uint64_t *counter, uint64_t *checksum);

/* Deterministic page content (xorshift64 from seed), for GPA-keyed TD pages. */
void fwd_fill_page(uint8_t page[PAGE_SIZE], uint64_t seed);

#endif /* TDXUP_FW_DRIVER_H */
