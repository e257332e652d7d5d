/* SPDX-License-Identifier: MIT */
/*
 * Planted bugs: what the explorer must catch (tests/lab/plant_explore.c).
 * Only the test's own copies of the libraries are compiled with TDXUP_PLANT
 * (CMakeLists.txt, plain builds); there each bug is a branch taken when the
 * test sets its bit in tdxup_plant, a variable only the test defines. Every
 * other object, the products' included, compiles tdxup_planted() to false:
 * no branch, no variable, nothing anyone could set.
 */
#ifndef TDXUP_PLANT_H
#define TDXUP_PLANT_H

#include <stdbool.h>

enum tdxup_plant_bug {
	/* emu/fw: a SHUTDOWN refused for a TD build leaves the module shut down. */
	PLANT_REFUSAL_SHUTS_DOWN	= 1u << 0,
	/* src/updater: the hold policy asked for, no hold taken. */
	PLANT_HOLD_SKIPPED		= 1u << 1,
	/* emu/lab: the VMM ends its build lease just before FINALIZE_VM. */
	PLANT_LEASE_END_EARLY		= 1u << 2,
	/* src/updater: the hold is released before the upload, not after its outcome. */
	PLANT_RELEASE_EARLY		= 1u << 3,
	/* src/lease: a builder registers without looking at hold again under the gate. */
	PLANT_NO_RECHECK		= 1u << 4,
	/* emu/lab: the explorer's relation forgets that a scan reads the entries builders write. */
	PLANT_DEP_DROPPED		= 1u << 5,
};

#ifdef TDXUP_PLANT
extern unsigned int tdxup_plant;

static inline bool tdxup_planted(enum tdxup_plant_bug bug)
{
	return tdxup_plant & bug;
}
#else
static inline bool tdxup_planted(enum tdxup_plant_bug bug)
{
	(void)bug;
	return false;
}
#endif

#endif /* TDXUP_PLANT_H */
