/* SPDX-License-Identifier: MIT */
/*
 * Which module to install: Intel's selection rules (userspace.md 2.2) plus
 * the checks a better updater adds (3, item 4). Every candidate gets a
 * verdict and a human reason; the choice is the newest valid candidate.
 */
#ifndef TDXUP_SELECT_H
#define TDXUP_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxup/catalog.h"

/* What the candidates are judged against. */
struct select_host {
	struct tdx_version module;		/* running module */
	struct tdx_version seamldr;		/* running P-SEAMLDR */
	uint32_t cpu_fms;			/* CPUID.1.EAX */
	bool allow_downgrade;			/* update --force-downgrade */
	/* Sigstruct of the running version's image, for SVN and HV (may be NULL). */
	const struct sigstruct *running_sig;
	/* Keys the target declares trusted, beside Intel's (trusted-keys.d). */
	const uint8_t (*trusted_keys)[48];
	size_t nr_trusted_keys;
	/*
	 * Overrides that can lose every TD if the platform's P-SEAMLDR refuses
	 * the image (it checks after the shutdown): keys the operator forces,
	 * and debug-signed images. Honoured only with accept_td_loss, which the
	 * operator states separately, naming the risk.
	 */
	const uint8_t (*forced_keys)[48];
	size_t nr_forced_keys;
	bool allow_debug;
	bool accept_td_loss;
};

/* In the order the checks run; the first failing one is the verdict. */
enum select_verdict {
	SELECT_OK,
	SELECT_BAD_IMAGE,		/* damaged: checksum, signature, seamhash... */
	SELECT_UNTRUSTED_KEY,
	SELECT_CPU,
	SELECT_SEAMLDR,			/* no min_seamldr_versions entry fits */
	SELECT_DEBUG,
	SELECT_MAJOR_MINOR,		/* other line: not TD-preserving */
	SELECT_OLDER,			/* a downgrade */
	SELECT_MIN_TD_PRESERVING,	/* running is below the release's minimum source */
	SELECT_SVN,			/* P-SEAMLDR would refuse the SEAM SVN */
	SELECT_HV,			/* handoff versions do not cover the running one */
};

const char *select_verdict_name(enum select_verdict v);

#define SELECT_REASON_LEN	320

struct select_candidate {
	struct tdx_version version;
	const struct catalog_blob *blob;
	enum select_verdict verdict;
	char reason[SELECT_REASON_LEN];
};

struct select_result {
	struct select_candidate *cands;		/* newest first */
	size_t nr;
	int choice;				/* index into cands, or -1 */
	bool running_in_catalog;		/* SVN and HV checks were possible */
};

/*
 * Judge one image. rel (the catalogue's metadata for the version) may be
 * NULL, for an image given by path: the P-SEAMLDR minimum and the minimum
 * TD-preserving source are then not checked, and the reason says so.
 */
enum select_verdict select_check(const struct select_host *h, const struct tdx_version *v,
				 const struct image_facts *img, const struct catalog_release *rel,
				 char *reason, size_t len);

/* Judge every blob of the catalogue. 0 or -ENOMEM. */
int select_run(const struct catalog *cat, const struct select_host *h, struct select_result *r);
void select_result_free(struct select_result *r);

/* CPUID.1.EAX of this CPU: 0, or -EOPNOTSUPP off x86. */
int cpu_fms_host(uint32_t *fms);

#endif /* TDXUP_SELECT_H */
