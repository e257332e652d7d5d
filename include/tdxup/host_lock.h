/* SPDX-License-Identifier: MIT */
/*
 * One update per fw_upload device at a time (safety rule 2). Two updaters
 * writing the same fw_upload device interleave their bytes in the kernel's
 * buffer; P-SEAMLDR then refuses the image after the old module is shut
 * down, and every TD is lost. So every update holds an flock(2) on a file
 * keyed to the identity of the device it writes, not to a path: the
 * st_dev/st_ino of SYS/class/firmware/tdx_module (links followed), as
 *
 *   /run/tdxup/lock/fwdev-MAJ:MIN-INO.lock	(an emulator's FUSE mount)
 *   /run/tdxup/lock/fwdev-sysfs-INO.lock	(a real sysfs)
 *
 * A bind mount of the tree, or another spelling of its path, reaches the
 * same directory and so the same lock; two different trees never share
 * one. A real sysfs is one kernfs tree per kernel whose inode numbers are
 * the same in every sysfs mount, while each mount made in another network
 * namespace (a container's /sys) has its own st_dev: there the inode alone
 * names the device. The lock dies with its process, so a killed updater
 * leaves no wedge.
 *
 * The directory is 0700 root:root and the files 0600 root:root, created
 * so whatever the umask: nobody else can open a lock file, so nobody else
 * can flock(2) it and block an update. A directory or file someone else
 * made, a symlink, a FIFO, or one that grants more than those modes is
 * refused, named (include/tdxup/fsafe.h).
 */
#ifndef TDXUP_HOST_LOCK_H
#define TDXUP_HOST_LOCK_H

#include <stddef.h>

#define HOST_LOCK_DIR		"/run/tdxup/lock"
#define HOST_LOCK_DIR_MODE	0700
#define HOST_LOCK_FILE_MODE	0600
#define HOST_LOCK_HOLDER_LEN	384

/*
 * The lock file for the fw_upload device under a sysfs root, in dir
 * (NULL: HOST_LOCK_DIR). When the root has no fw_upload device the root
 * directory's own identity stands in ("sysfs-MAJ:MIN-INO.lock": nothing
 * can be uploaded there, but the run's record is still serialised).
 * device, when not NULL, gets the path whose identity was taken. 0 or
 * -errno.
 */
int host_lock_path(const char *sysfs_root, const char *dir, char *out, size_t size,
		   char *device, size_t device_len);

/*
 * Take the lock without waiting: 0 with *fd set; -EBUSY with who holds it
 * ("pid 1234 (tdxup update of /sys/class/firmware/tdx_module) since
 * 2026-12-04T18:00:00Z") in msg; or -errno with why in msg (a symlink, a
 * FIFO, a file or directory not root's or granting too much: named).
 */
int host_lock_take(const char *path, const char *what, int *fd, char *msg, size_t len);
void host_lock_drop(int fd);

/*
 * Whether someone holds the lock, without taking it, not even shared (a
 * check run must never make a real updater's try fail): the flock(2)
 * locks the kernel lists in /proc/locks, matched by device and inode.
 * Nothing is created. 0 free (or no lock file yet); -EBUSY held, with the
 * holder's line in msg; -EACCES when it cannot be told (not root); any
 * other -errno: what host_lock_take would refuse, why in msg.
 */
int host_lock_probe(const char *path, char *msg, size_t len);

#endif /* TDXUP_HOST_LOCK_H */
