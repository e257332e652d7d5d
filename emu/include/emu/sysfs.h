/* SPDX-License-Identifier: MIT */
/*
 * An in-process sysfs: a tree of directories, attribute files and links
 * with kernfs/sysfs semantics. The kernel layer registers attributes with
 * show/store (text) or read/write (binary) handlers; userspace reaches them
 * only through the path-based file calls at the bottom, which the FUSE
 * front end (tdxup serve) maps one to one onto real files.
 */
#ifndef TDXUP_SYSFS_H
#define TDXUP_SYSFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "emu/kthread.h"
#include "tdxup/page.h"

#define SYSFS_PAGE_SIZE	PAGE_SIZE	/* a sysfs buffer is one page */

/* Who opens a file: root (uid 0) or not; capabilities beyond that. */
struct sysfs_cred {
	uint32_t uid;
	bool cap_sys_rawio;
};

extern const struct sysfs_cred sysfs_cred_root;
extern const struct sysfs_cred sysfs_cred_user;	/* uid 1000, no caps */

struct sysfs_attr_ops {
	/* Text attribute: fill buf (SYSFS_PAGE_SIZE bytes); length or -errno. */
	ssize_t (*show)(void *priv, char *buf);
	/* Text attribute: one write() of up to a page; count or -errno. */
	ssize_t (*store)(void *priv, const struct sysfs_cred *cred, const char *buf, size_t count);
	/* Binary attribute. */
	ssize_t (*read)(void *priv, char *buf, size_t count, uint64_t off);
	ssize_t (*write)(void *priv, const struct sysfs_cred *cred, const char *buf, size_t count,
			 uint64_t off);
};

struct sysfs_tree;
struct sysfs_node;

struct sysfs_tree *sysfs_tree_create(void);
void sysfs_tree_destroy(struct sysfs_tree *t);
struct sysfs_node *sysfs_root(struct sysfs_tree *t);

/* Create (or find) a directory; path may have several components. */
struct sysfs_node *sysfs_mkdir(struct sysfs_node *parent, const char *path);
/* Create one new directory; NULL if the name exists (kernfs's -EEXIST). */
struct sysfs_node *sysfs_create_dir(struct sysfs_node *parent, const char *name);
/* Attribute files: a text file when bin is false. mode as in chmod. */
struct sysfs_node *sysfs_create_file(struct sysfs_node *dir, const char *name, unsigned int mode,
				     const struct sysfs_attr_ops *ops, void *priv, bool bin);
/* A symlink; target is stored as given (relative targets as on Linux). */
struct sysfs_node *sysfs_create_link(struct sysfs_node *dir, const char *name, const char *target);
/*
 * Remove a node and everything below it. Waits until no handler of the
 * node's files is running (kernfs's active-reference drain), so a caller
 * may free priv afterwards. A handler must not remove its own file. Node
 * memory lives as long as the tree, so removing a node twice (or a node
 * already removed with its parent) is harmless.
 */
void sysfs_remove(struct sysfs_node *node);
/*
 * How sysfs_remove waits for running handlers: by default a condition
 * variable; with kt set, kt->relax() polling, so that a deterministic
 * scheduler keeps control of every wait.
 */
void sysfs_tree_set_kthread_ops(struct sysfs_tree *t, const struct kthread_ops *kt);

/* ---- the userspace side ---- */

enum sysfs_type { SYSFS_DIR, SYSFS_FILE, SYSFS_LINK };

struct sysfs_stat {
	enum sysfs_type type;
	unsigned int mode;		/* permission bits */
	uint64_t size;			/* SYSFS_PAGE_SIZE for text attributes, 0 for binary */
	uint64_t ino;
};

struct sysfs_file;

/* flags: O_RDONLY / O_WRONLY / O_RDWR, O_TRUNC ignored (as on sysfs). Links
 * are followed. Returns 0 or -ENOENT, -EACCES, -EISDIR... */
int sysfs_open(struct sysfs_tree *t, const char *path, int flags, const struct sysfs_cred *cred,
	       struct sysfs_file **f);
ssize_t sysfs_read(struct sysfs_file *f, char *buf, size_t count, uint64_t off);
ssize_t sysfs_write(struct sysfs_file *f, const char *buf, size_t count, uint64_t off);
void sysfs_close(struct sysfs_file *f);

/* follow_links: stat (true) or lstat (false). */
int sysfs_stat(struct sysfs_tree *t, const char *path, bool follow_links, struct sysfs_stat *st);
int sysfs_readlink(struct sysfs_tree *t, const char *path, char *buf, size_t size);
/* Calls fn for every entry of a directory, in creation order. */
int sysfs_readdir(struct sysfs_tree *t, const char *path,
		  int (*fn)(void *arg, const char *name, const struct sysfs_stat *st), void *arg);

/*
 * Conveniences: whole-file read (NUL-terminated) and one write at offset 0.
 * Each read()/write() moves at most a page, as on sysfs; for a binary file
 * sysfs_write_file therefore loops at increasing offsets like cat(1) does.
 */
ssize_t sysfs_read_file(struct sysfs_tree *t, const char *path, const struct sysfs_cred *cred,
			char *buf, size_t size);
ssize_t sysfs_write_file(struct sysfs_tree *t, const char *path, const struct sysfs_cred *cred,
			 const void *buf, size_t count);

#endif /* TDXUP_SYSFS_H */
