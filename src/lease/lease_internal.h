/* SPDX-License-Identifier: MIT */
/* Shared by the build lease's files (src/lease/); docs/lease.md is the protocol. */
#ifndef TDXUP_LEASE_INTERNAL_H
#define TDXUP_LEASE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tdxup/lease.h"

#define LEASE_HOLD	"hold"
#define LEASE_GATE	"gate"
#define LEASE_UPDATER	"updater"
#define LEASE_BUILDS	"builds"
/* First line of a build entry and of the hold file. */
#define LEASE_ENTRY_MAGIC	"tdxup-lease-build 1"
#define LEASE_HOLD_MAGIC	"tdxup-lease-hold 1"
/*
 * Modes (docs/lease.md, "Files"), set whatever the umask. Non-members of
 * LEASE_GROUP cannot enter the directory, so they can open (hence flock)
 * nothing in it; builds/ is sticky so members cannot rename each other's
 * entries; the updater lock is root's alone.
 */
#define LEASE_GROUP		"tdxup-lease"
#define LEASE_DIR_MODE		0750
#define LEASE_BUILDS_MODE	01770
#define LEASE_SHARED_MODE	0640
#define LEASE_UPDATER_MODE	0600
#define LEASE_ENTRY_MODE	0640
/* How often a waiter looks again. */
#define LEASE_POLL_US	2000

#define LEASE_OFLAGS	(O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)

void lease_seterr(struct lease_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

uint64_t lease_now_us(void);
/* now + timeout, saturating. */
uint64_t lease_deadline(uint64_t timeout_us);
void lease_pause(void);
/* The clock's point hook, if any (tdxup/lease.h, struct lease_clock). */
void lease_point(enum lease_point pt);

/* LEASE_GROUP's gid for what root creates; (gid_t)-1 (keep) for others. */
gid_t lease_group(void);
/*
 * A directory as a descriptor, checked by fsafe's rules (flags: fsafe's);
 * with create, made with exactly mode and gid when missing (parents 0755).
 * -ENOENT without create when missing.
 */
int lease_open_dir_mode(const char *dir, bool create, unsigned int mode, gid_t gid,
			unsigned int flags, struct lease_err *e);
/* The lease directory: LEASE_DIR_MODE, LEASE_GROUP. */
int lease_open_dir(const char *dir, bool create, struct lease_err *e);
/* DIR/builds: LEASE_BUILDS_MODE (group-writable and sticky), LEASE_GROUP. */
int lease_open_builds(int dfd, const char *dir, bool create, struct lease_err *e);
/*
 * gate, hold's temporary, updater: opened read-write, created with exactly
 * mode (group LEASE_GROUP when mode grants it any bits); an existing one
 * must be regular, ours and no wider than mode.
 */
int lease_open_own(int dfd, const char *dir, const char *name, unsigned int mode,
		   struct lease_err *e);
/*
 * gate or hold opened read-only by a builder, who may not be root: root's
 * (or ours), regular, not writable by group or others. -ENOENT if missing.
 */
int lease_open_root(int dfd, const char *dir, const char *name, struct lease_err *e);
/*
 * A file that must be a regular file: O_NOFOLLOW|O_NONBLOCK, then fstat.
 * A symlink gives -ELOOP, anything else not regular -EINVAL, both named.
 */
int lease_open_reg(int dfd, const char *dir, const char *name, int flags,
		   struct lease_err *e);
/* flock(op|LOCK_NB) until it succeeds or deadline: 0, -ETIMEDOUT, -errno. */
int lease_lock_until(int fd, int op, uint64_t deadline);
/* The same on gate, each attempt a point (LEASE_PT_GATE_SH or _EX by op). */
int lease_lock_gate(int fd, int op, uint64_t deadline);
/* Whole-file write at offset 0. */
int lease_write_all(int fd, const char *buf, size_t len);
/* true if dfd/name is the inode fd has open. */
bool lease_same_file(int dfd, const char *name, int fd);

/*
 * The one way anything but a live owner removes an entry (a build or a
 * leftover temporary): take its lock, check the name still names the
 * locked inode, unlink. 1 reclaimed, 0 live (or gone), -errno.
 */
int lease_reclaim(int bdfd, const char *name);

/* Parse an entry's content (NUL-terminated); false if not a valid entry. */
bool lease_entry_parse(const char *name, const char *buf, struct lease_entry *ent);
/* Read and parse an open entry. */
void lease_entry_read(int fd, const char *name, struct lease_entry *ent);

/*
 * Whether a live updater holds dir: 1 held (*pid its pid if known), 0 not,
 * -errno (a hold that is not a regular file is refused).
 */
int lease_hold_held(int dfd, const char *dir, long *pid, struct lease_err *e);

#endif /* TDXUP_LEASE_INTERNAL_H */
