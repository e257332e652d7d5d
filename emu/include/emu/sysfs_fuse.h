/* SPDX-License-Identifier: MIT */
/*
 * The FUSE front end of the in-process sysfs (tdxup serve): mounts a tree
 * on a real directory so that cat, echo, dd and the production updater's
 * POSIX backend reach the very attribute handlers the in-process tests use.
 */
#ifndef TDXUP_SYSFS_FUSE_H
#define TDXUP_SYSFS_FUSE_H

#include <stdbool.h>

#include "emu/sysfs.h"

/*
 * A read-only file beside the tree (a procfs file of a sysroot), or, with
 * link set, a symlink (a sysroot's writable run/ pointing at a real
 * directory, for what must be a real file system: the build lease's flocks).
 */
struct sysfs_fuse_file {
	const char *path;	/* "/proc/cpuinfo" */
	const char *text;	/* its contents; must outlive the mount */
	const char *link;	/* NULL, or the link's target */
};

struct sysfs_fuse_opts {
	/*
	 * Where the tree appears: NULL or "" at the mount's root (the mount is
	 * a /sys), "/sys" under it (the mount is a sysroot, with files).
	 */
	const char *tree_at;
	/*
	 * Files beside the tree, 0444 and root-owned like procfs's; the
	 * directories on their paths (and tree_at's) are made up, 0555.
	 */
	const struct sysfs_fuse_file *files;
	size_t nr_files;
	/*
	 * Let users other than the mounter in (FUSE's allow_other), so that
	 * mode bits can be seen refusing them. Needs root or user_allow_other
	 * in /etc/fuse.conf.
	 */
	bool allow_other;
	bool debug;		/* libfuse's request trace on stderr */
	bool single_thread;	/* one FUSE thread instead of a pool */
};

struct sysfs_fuse;

/*
 * Mounts t on dir. The tree must outlive the mount. 0 or -errno (-EIO when
 * libfuse refused; it says why on stderr).
 */
int sysfs_fuse_mount(struct sysfs_tree *t, const char *dir, const struct sysfs_fuse_opts *opts,
		     struct sysfs_fuse **out);
/*
 * Serves requests until SIGINT, SIGTERM or SIGHUP arrives or the mount goes
 * away (fusermount3 -u). Block those signals in the whole process before
 * creating any thread, so that they reach the loop: this call installs
 * libfuse's handlers, then unblocks them in the calling thread only (FUSE's
 * own threads keep them blocked), and blocks them again before it returns,
 * so that a repeated stop signal cannot kill the caller's teardown.
 * 0 or -errno.
 */
int sysfs_fuse_run(struct sysfs_fuse *sf);
/* Unmounts (if still mounted) and frees. */
void sysfs_fuse_destroy(struct sysfs_fuse *sf);

#endif /* TDXUP_SYSFS_FUSE_H */
