/* SPDX-License-Identifier: MIT */
/*
 * Files only root could have written (docs/security.md).
 *
 * A real TDX host is shared: other local users, VMM service users and
 * containers can create names in world-writable directories, plant
 * symlinks and FIFOs, and open any file they can read (flock(2) needs only
 * a read-only descriptor). Everything tdxup trusts (signing-key lists, VMM
 * declarations) or locks (the host update lock, the build lease) therefore
 * goes through these checks, modelled on sshd's StrictModes:
 *
 *  - "owned by us" means owned by root or by the effective uid of the
 *    caller: for a root updater that is root only; a developer's lab run
 *    may use its own directories, which only it and root can change.
 *  - A checked directory is not a symlink, is owned by us and is not
 *    writable by group or others (unless the caller allows a sticky,
 *    group-writable directory: the lease's builds/).
 *  - Every directory above it is owned by us and not writable by group or
 *    others, except a root-owned sticky directory (/tmp, /run/lock): in
 *    one, nobody but root can rename or remove what root owns, so a
 *    root-owned entry below it cannot be swapped. Symlinks above are
 *    resolved first (realpath), and the resolved chain is what is checked.
 *  - Files are opened O_NOFOLLOW|O_NONBLOCK (a FIFO never blocks) and must
 *    be regular.
 *
 * Every function returns 0 (or a descriptor) or a negative errno, and
 * fills err with "PATH: why", for a message that names the file.
 */
#ifndef TDXUP_FSAFE_H
#define TDXUP_FSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct fsafe_err {
	char msg[512];
};

/* Accept a directory that is group-writable when it is also sticky. */
#define FSAFE_GROUP_STICKY	0x1u

/* PATH (a directory) and its ancestors, by the rules above. */
int fsafe_check_dir(const char *path, unsigned int flags, struct fsafe_err *err);

/*
 * Open NAME (one component) in the directory DIRFD read-only, for trust:
 * regular, owned by us, not writable by group or others. DESC names the
 * directory in messages.
 */
int fsafe_open_trusted(int dirfd, const char *desc, const char *name, struct fsafe_err *err);

/*
 * Make sure directory PATH exists with owner us, group GID (-1: keep) and
 * exactly MODE (permission and sticky bits). Created with MODE whatever
 * the umask; an existing one is refused if it is a symlink, not a
 * directory, owned by someone else, or grants more than MODE. Parents are
 * created 0755 and checked by fsafe_check_dir's rules.
 */
int fsafe_ensure_dir(const char *path, unsigned int mode, gid_t gid, struct fsafe_err *err);

/*
 * Open or create NAME in DIRFD for locking, read-write (O_RDWR|O_CREAT,
 * O_NOFOLLOW, O_CLOEXEC), with owner us, group GID (-1: keep) and exactly
 * MODE whatever the umask. An existing file must be regular, owned by us,
 * and grant nothing beyond MODE; else it is refused (never chmod'ed into
 * shape: someone else made it). Returns the descriptor.
 */
int fsafe_open_lock(int dirfd, const char *desc, const char *name, unsigned int mode, gid_t gid,
		    struct fsafe_err *err);

/*
 * Replace PATH atomically with LEN bytes: a temporary file in PATH's
 * directory (O_EXCL, mode MODE), fsync, rename over PATH, fsync the
 * directory. An existing PATH that is a symlink or not a regular file is
 * refused and left untouched (-ELOOP, -EINVAL).
 */
int fsafe_write_output(const char *path, const void *buf, size_t len, unsigned int mode,
		       struct fsafe_err *err);

/*
 * What fsafe_write_output would refuse at PATH now, for a command that
 * checks its outputs before a long run: 0 if PATH is absent or a regular
 * file; a symlink -ELOOP, anything else -EINVAL, as fsafe_write_output
 * says them.
 */
int fsafe_check_output(const char *path, struct fsafe_err *err);

/*
 * A log written while a program runs (it cannot be replaced atomically):
 * open or create PATH write-only (MODE less the umask, as any log), never
 * through a symlink (-ELOOP), only a regular file (-EINVAL), truncated.
 * Returns a blocking descriptor.
 */
int fsafe_open_log(const char *path, unsigned int mode, struct fsafe_err *err);

/*
 * Whether a flock is held on FD's file, by process PID (any if PID < 0):
 * 1 or 0 as /proc/locks shows it (the process that took each lock), or
 * -errno when it cannot be read. Nothing is locked to find out.
 */
int fsafe_flock_held(int fd, long pid);

/* Is uid "us" (root or the caller's effective uid)? */
bool fsafe_uid_ok(uid_t uid);

#endif /* TDXUP_FSAFE_H */
