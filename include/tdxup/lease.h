/* SPDX-License-Identifier: MIT */
/*
 * The build lease (docs/lease.md): VMM launchers and the updater keep TD
 * builds (KVM_TDX_INIT_VM .. KVM_TDX_FINALIZE_VM) out of a module update
 * window through files in one directory, because Linux 7.2 as merged does
 * not reject an update during a build and an update inside one silently
 * corrupts that TD's MRTD.
 *
 * A builder calls lease_build_begin() before KVM_TDX_INIT_VM and
 * lease_build_end() once KVM_TDX_FINALIZE_VM has returned. The updater
 * calls lease_hold(): from then on new builds wait, builds in flight are
 * waited for (bounded), and after the update lease_release() lets waiting
 * builds go. Liveness is always an flock() held by a live process, never a
 * pid, so a crash at any point leaves nothing that blocks anyone.
 *
 * Every function returns 0 (or a count) or -errno, and on failure fills
 * the optional struct lease_err with "PATH: what went wrong". Timeouts are
 * in microseconds; 0 means one attempt, no waiting. Not async-signal-safe;
 * a handle belongs to one thread at a time.
 */
#ifndef TDXUP_LEASE_H
#define TDXUP_LEASE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The lease directory on a real host, and below a --sysroot. */
#define LEASE_DIR		"/run/tdxup/lease"
#define LEASE_DIR_REL		"run/tdxup/lease"
/* VMMs that follow the protocol declare themselves here (one file each). */
#define LEASE_DECL_DIR_REL	"etc/tdxup/lease.d"

/* Build ids and declaration names: [A-Za-z0-9._-], not starting with '.'. */
#define LEASE_ID_MAX		64
#define LEASE_DESC_MAX		200

struct lease_err {
	char msg[PATH_MAX + 128];
};

/* One build in flight, as an entry file shows it. */
struct lease_entry {
	char id[LEASE_ID_MAX + 1];	/* the entry's file name */
	bool valid;			/* content parsed; else only id is known */
	long pid;			/* the process whose lock keeps it alive */
	long long since;		/* CLOCK_REALTIME seconds at begin */
	bool cli;			/* held by a `tdxup lease begin` holder */
	char desc[LEASE_DESC_MAX + 1];
};

/* Called once per live entry (or, for a timed-out hold, per blocker). */
typedef void (*lease_entry_fn)(const struct lease_entry *ent, void *ctx);

/* A registered build; owned by the process that began it. */
struct lease_build {
	int fd;				/* the entry, locked LOCK_EX */
	int bdfd;			/* DIR/builds */
	char id[LEASE_ID_MAX + 1];
};

/* An updater's hold. */
struct lease_hold {
	int dfd, updater_fd, hold_fd, gate_fd;
};

/* true if id is a valid build id / declaration name. */
bool lease_id_valid(const char *id);

/* SYSROOT/run/tdxup/lease ("/" gives /run/tdxup/lease); -ENAMETOOLONG. */
int lease_dir_of(const char *sysroot, char *buf, size_t len);

/*
 * Register build `id` (desc may be NULL) in dir, which is created (0755)
 * if missing. Waits while an updater holds, up to timeout_us: -ETIMEDOUT.
 * -EEXIST if a live build already has this id. `cli` marks an entry kept by
 * a `tdxup lease begin` holder process (lease end may signal it); API
 * callers pass false.
 */
int lease_build_begin(struct lease_build *b, const char *dir, const char *id, const char *desc,
		      uint64_t timeout_us, bool cli, struct lease_err *e);
/*
 * Whether the kernel has a module upload open or running: the builder's
 * check for an updater that died inside its hold (docs/lease.md, "The
 * upload probe"). Returns 1 busy (why says what was seen), 0 free, or
 * -errno when it cannot tell, which counts as busy.
 */
struct lease_upload_probe {
	int (*busy)(void *ctx, char *why, size_t len);
	void *ctx;
};

/*
 * lease_build_begin with a probe (NULL: none): once the entry is
 * registered, so that any updater that scans from then on sees it, the
 * probe is asked; while it says busy the entry is removed again and the
 * builder waits, polling the probe, then registers anew. -ETIMEDOUT if the
 * timeout runs out first, as for a hold.
 */
int lease_build_begin_probe(struct lease_build *b, const char *dir, const char *id,
			    const char *desc, uint64_t timeout_us, bool cli,
			    const struct lease_upload_probe *probe, struct lease_err *e);

/*
 * The probe for a host's sysfs: sysfs (a const char *, NULL or "" for
 * "/sys") is the root under which class/firmware/tdx_module (and the legacy
 * seamldr_upload) live. Busy by lease_upload_state's rule; a missing device
 * means no update is possible there: free. Use as
 * { lease_upload_busy_sysfs, (void *)"/sys" }.
 */
int lease_upload_busy_sysfs(void *sysfs, char *why, size_t len);

/*
 * The rule every reader of the fw_upload device follows (a builder's probe,
 * the updater before loading=1, the emulator's lab), over the reader's own
 * way to read one attribute of the device: read(ctx, attr, buf, len), 0
 * with the value, trailing whitespace stripped, or -errno.
 *
 * loading is read before status: loading=0 turns status away from idle
 * before loading reads 0 (both under the loader's lock), so this order
 * never sees an upload being handed over as neither open nor running.
 * Open when loading reads anything but 0; running when status is not idle.
 * Returns the state, val holding the value that decided it; or -errno from
 * the reader, *attr naming the attribute that failed.
 */
enum lease_upload { LEASE_UPLOAD_IDLE, LEASE_UPLOAD_OPEN, LEASE_UPLOAD_RUNNING };
typedef int (*lease_attr_read)(void *ctx, const char *attr, char *buf, size_t len);
int lease_upload_state(lease_attr_read read, void *ctx, const char **attr, char *val,
		       size_t len);

/* The build is finalized (or abandoned): remove the entry, drop the lock. */
int lease_build_end(struct lease_build *b);

/*
 * For a VMM that cannot keep an entry: wait until no updater holds and no
 * registration can race this check, then return holding nothing. Only
 * useful where the caller has its own exclusion against the update (the
 * emulator's VMM); a real builder uses lease_build_begin().
 */
int lease_wait_gate(const char *dir, uint64_t timeout_us, struct lease_err *e);

/*
 * Hold builds in dir: new builds wait from the moment this is called; it
 * waits up to timeout_us for the builds already in flight. 0: held, no
 * build in flight until lease_release(). -ETIMEDOUT: builds still in
 * flight, each passed to report (if set); nothing is held and the update
 * must not proceed. -EBUSY: another updater held dir for the whole timeout.
 */
int lease_hold(struct lease_hold *h, const char *dir, uint64_t timeout_us, lease_entry_fn report,
	       void *ctx, struct lease_err *e);
void lease_release(struct lease_hold *h);

/*
 * Status, read only (nothing is created or reclaimed): each live build to
 * fn; returns their number. *holder_pid (if set) is the pid of a live
 * updater's hold, else 0. A missing dir is an empty lease.
 */
int lease_list(const char *dir, lease_entry_fn fn, void *ctx, long *holder_pid,
	       struct lease_err *e);

/*
 * `tdxup lease end` for an entry a CLI holder keeps: ask the holder to end
 * it (SIGTERM through a pidfd, so a reused pid is never signalled) and wait
 * up to timeout_us until its lock is gone; a dead holder's entry is
 * reclaimed. 0 also when no such build is in flight; -EPERM if the entry is
 * kept by a process that is not a CLI holder (it ends its own build).
 */
int lease_end_id(const char *dir, const char *id, uint64_t timeout_us, struct lease_err *e);

/*
 * Participation: SYSROOT/etc/tdxup/lease.d/NAME declares that VMM NAME
 * takes leases. lease_participating() passes each name to fn (in name
 * order) and returns their number (0: nothing declared, so a hold protects
 * nothing). Only what only root could have written counts, by fsafe's
 * rules (tdxup/fsafe.h, as trusted-keys.d): a directory or parent that is
 * not root's or is group/world-writable, a declaration that is a symlink,
 * not a regular file, another user's or writable by others is refused
 * (-EPERM, -ELOOP, -EINVAL; e names it) before fn sees any name. A README
 * and package managers' leftovers (NAME.dpkg-old, .dpkg-dist, .rpmsave...)
 * are not declarations.
 */
int lease_participate(const char *sysroot, const char *name, struct lease_err *e);
int lease_withdraw(const char *sysroot, const char *name, struct lease_err *e);
int lease_participating(const char *sysroot, void (*fn)(const char *name, void *ctx), void *ctx,
			struct lease_err *e);

/*
 * The lease's shared-state operations, as a simulator sees them (below).
 * A builder's: the probe of hold, an attempt at gate LOCK_SH, the link that
 * registers builds/ID, the gate dropped after it, the upload probe, an
 * entry's removal. The updater's: the rename that makes hold, an attempt at
 * gate LOCK_EX, a scan (or listing) of builds/, hold's unlink, the gate
 * dropped at release.
 */
enum lease_point {
	LEASE_PT_HOLD_PROBE,
	LEASE_PT_GATE_SH,
	LEASE_PT_ENTRY_LINK,
	LEASE_PT_GATE_UNSH,
	LEASE_PT_UPLOAD_PROBE,
	LEASE_PT_ENTRY_UNLINK,
	LEASE_PT_HOLD_MAKE,
	LEASE_PT_GATE_EX,
	LEASE_PT_SCAN,
	LEASE_PT_HOLD_DROP,
	LEASE_PT_GATE_UNEX,
};

/*
 * The clock of every wait above: by default CLOCK_MONOTONIC and a 2 ms
 * nanosleep between polls. A simulator that runs VMMs and the updater on
 * virtual time (the emulator's lab, whose scheduler must see every wait)
 * installs its own; NULL restores the default. Process-wide: set it while
 * no lease call is running.
 */
struct lease_clock {
	uint64_t (*now_us)(void *ctx);
	void (*sleep_us)(void *ctx, uint64_t us);
	void *ctx;
	/*
	 * Optional (NULL on a real host): called just before each lease file
	 * operation another process could observe or race, so that a
	 * simulator interleaving its actors there (the lab's explorer) sees
	 * every ordering the kernel allows between two such operations.
	 */
	void (*point)(void *ctx, enum lease_point pt);
};

void lease_set_clock(const struct lease_clock *clock);

#endif /* TDXUP_LEASE_H */
