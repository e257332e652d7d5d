/* SPDX-License-Identifier: MIT */
/*
 * Test harness for the firmware layer: a cmocka layer over the host-side
 * firmware driver (tests/helpers/fw_driver.h), which reaches the emulated platform
 * through seamcall() and physical addresses only, the way the kernel layer
 * does, so firmware tests exercise the real register ABI. Host-side failures
 * (out of emulated memory, a bad catalogue version) fail the test here;
 * firmware statuses are returned for the test to check.
 */
#ifndef TDXUP_TESTS_FW_HARNESS_H
#define TDXUP_TESTS_FW_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "helpers/fw_driver.h"
#include "emu/module_build.h"
#include "emu/seam.h"
#include "tdxup/tdx_abi.h"

/* One SEAMCALL to a TDH leaf; a is optional. */
uint64_t h_call(struct seam_platform *p, unsigned int lp, uint16_t leaf, uint8_t ver,
		struct seam_args *a);

struct seam_platform *h_platform(unsigned int lps, unsigned int pkgs);

/* Allocate and zero one page; asserts on failure. */
uint64_t h_page(struct seam_platform *p);
uint8_t *h_map(struct seam_platform *p, uint64_t pa);

/* A signed image of a catalogue build, cached per (version, format, debug). */
const uint8_t *h_image(const char *version, unsigned int format, bool debug, size_t *len);

/*
 * Copy an image into physmem and build a SEAMLDR_PARAMS page (v8 form,
 * version 0) for it; returns the params PA.
 */
uint64_t h_params(struct seam_platform *p, const uint8_t *img, size_t len, uint32_t scenario);

/* SEAMLDR.INSTALL on every LP in order; the first failure, and its RDX in *rdx. */
uint64_t h_install_all(struct seam_platform *p, uint64_t params_pa, uint64_t *rdx);

/* LOAD a catalogue build and run the boot-time init; returns 0 or the failing status. */
uint64_t h_boot(struct seam_platform *p, const char *version);
/* The init part of h_boot only (SYS.INIT .. TDMR.INIT). */
uint64_t h_init_module(struct seam_platform *p);

/* The tests' TD is the driver's: same pages, same fields. */
#define h_td fwd_td

/* MNG.CREATE, KEY.CONFIG on each package, 6 x ADDCX. */
uint64_t h_td_create(struct seam_platform *p, struct h_td *td, uint16_t hkid);
/* MNG.INIT with a default TD_PARAMS. */
uint64_t h_td_init(struct seam_platform *p, struct h_td *td);
/* VP.CREATE, 3 x VP.ADDCX, VP.INIT v1 with RCX = guest_gpa. */
uint64_t h_td_vcpu(struct seam_platform *p, struct h_td *td, uint64_t guest_gpa);
/* SEPT tables as needed, PAGE.ADD, and 16 MR.EXTEND when measure. */
uint64_t h_td_add_page(struct seam_platform *p, struct h_td *td, uint64_t gpa,
		       const uint8_t page[PAGE_SIZE], bool measure);
/* Just the 16 EXTENDs of a page already added. */
uint64_t h_td_extend_page(struct seam_platform *p, struct h_td *td, uint64_t gpa);
uint64_t h_td_finalize(struct seam_platform *p, struct h_td *td);
/* MRTD through TDH.MNG.RD. */
uint64_t h_td_mrtd(struct seam_platform *p, struct h_td *td, uint8_t mrtd[48]);
uint16_t h_td_ctx_version(struct seam_platform *p, struct h_td *td);
/* VP.ENTER once; returns the status and the guest's counter/checksum. */
uint64_t h_td_enter(struct seam_platform *p, struct h_td *td, unsigned int lp,
		    uint64_t *counter, uint64_t *checksum);

/* The kernel's update sequence, step by step. */
uint64_t h_read_md(struct seam_platform *p, unsigned int lp, uint64_t field, uint64_t *val);
uint64_t h_shutdown(struct seam_platform *p, bool avoid_compat_sensitive);
/* INSTALL (UPDATE) on every LP, SYS.INIT, LP.INIT on every LP, SYS.UPDATE. */
uint64_t h_install_and_update(struct seam_platform *p, const char *version,
			      unsigned int update_ver, uint64_t r9);

/* Deterministic page content for GPA-keyed test pages. */
void h_fill_page(uint8_t page[PAGE_SIZE], uint64_t seed);

/*
 * Sigstruct surgery on a SEAMLDR_PARAMS built by h_params: the mapped
 * sigstruct page, and re-signing it with the test key after an edit.
 * h_params_rehash recomputes seamhash over the listed module pages.
 */
uint8_t *h_params_sigstruct(struct seam_platform *p, uint64_t params_pa);
void h_params_resign(struct seam_platform *p, uint64_t params_pa);
void h_params_rehash(struct seam_platform *p, uint64_t params_pa);
/* Module page i of a SEAMLDR_PARAMS, mapped. */
uint8_t *h_params_module_page(struct seam_platform *p, uint64_t params_pa, unsigned int i);

#endif
