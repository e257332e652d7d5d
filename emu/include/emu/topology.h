/* SPDX-License-Identifier: MIT */
/*
 * The board's CPU topology: which package each logical processor sits in.
 * The firmware (SEAM platform) and the host kernel both need the answer and
 * must agree on it, as CPUID and the ACPI tables agree on real hardware.
 */
#ifndef TDXUP_EMU_TOPOLOGY_H
#define TDXUP_EMU_TOPOLOGY_H

/*
 * Contiguous and balanced: LPs are numbered package by package and the
 * package sizes differ by at most one, e.g. 6 LPs in 4 packages as 2, 1,
 * 2, 1 (inferred; real sockets are symmetric, an uneven count only happens
 * in the emulator). floor(lp * nr_packages / nr_lps) gives every
 * package at least one LP whenever nr_packages <= nr_lps: consecutive LPs
 * step by at most one package, LP 0 is in package 0 and the last LP in
 * package nr_packages - 1. A ceil-sized split (lp / ceil(lps / packages))
 * leaves trailing packages empty, e.g. 5 LPs in 4 packages as 2, 2, 1, 0,
 * and SYS.KEY.CONFIG then never reaches the empty ones.
 */
static inline unsigned int topology_lp_package(unsigned int lp, unsigned int nr_lps,
					       unsigned int nr_packages)
{
	return (unsigned int)((unsigned long long)lp * nr_packages / nr_lps);
}

#endif /* TDXUP_EMU_TOPOLOGY_H */
