/* SPDX-License-Identifier: MIT */
/*
 * The 4 KiB page: the unit of every TDX structure, TDX-BLOB image and
 * physical address the spec speaks of (tdx-module.md, seamldr.md 3, 6).
 * The one definition for both programs; every "4096 meaning a page" is
 * PAGE_SIZE.
 *
 * Spelled token for token as glibc's <sys/user.h> spells them, so that a
 * file which also includes that header sees an identical redefinition,
 * which C allows, rather than a clash.
 */
#ifndef TDXUP_PAGE_H
#define TDXUP_PAGE_H

#define PAGE_SHIFT		12
#define PAGE_SIZE		(1UL << PAGE_SHIFT)
#define PAGE_MASK		(~(PAGE_SIZE-1))

#endif /* TDXUP_PAGE_H */
