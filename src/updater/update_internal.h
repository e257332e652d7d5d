/* SPDX-License-Identifier: MIT */
/* Shared between update.c (pre-checks) and upload.c (the fw_upload protocol). */
#ifndef TDXUP_USER_UPDATE_INTERNAL_H
#define TDXUP_USER_UPDATE_INTERNAL_H

#include "tdxup/catalog.h"
#include "tdxup/lease.h"
#include "tdxup/status.h"
#include "tdxup/update.h"

struct upd {
	struct sysfs_client *c;
	const struct update_opts *o;
	struct update_result *r;
	struct tdx_sysfs_state st;
	struct tdx_version from, target;
	struct catalog *cat;
	const struct catalog_release *rel;	/* target's catalogue entry, or NULL */
	uint8_t *img;				/* the image as given (owned) */
	size_t len;
	struct image_facts facts;
	unsigned int formats[2];		/* versions to send, in order */
	size_t nr_formats;
	uint8_t *sent;				/* img in the format being sent */
	size_t sent_len;
	uint64_t t0;
	uint64_t rng;
	struct lease_hold hold;
	bool held;
	bool started;				/* this attempt's loading=0 was taken */
	bool abort_failed;			/* our loading=-1 was refused */
	char unsure[128];			/* why an upload that ran may not be ours */
	const char *stop_why;			/* what the guard stopped for, or NULL */
	enum update_guard stop_at;		/* and where */
	char blockers[256];			/* builds still in flight at a timed-out hold */
};

enum update_outcome upd_outcome(struct upd *u, enum update_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void upd_warn(struct upd *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void upd_progress(struct upd *u, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make u->sent the image in format fmt; refuses with the reason on failure. */
int upd_prepare_format(struct upd *u, unsigned int fmt);

/* upload.c: the device free before the first byte (probe: read only, for --check). */
int upd_device_free(struct upd *u, bool probe);
/* upload.c: the attempts, retries and the check afterwards. */
enum update_outcome upd_upload(struct upd *u);

#endif /* TDXUP_USER_UPDATE_INTERNAL_H */
