/* SPDX-License-Identifier: MIT */
/*
 * The sysfs tree's private structures, shared by tree.c (structure, path
 * walk, active references) and file.c (the userspace side). Locking and
 * lifetime rules are described at the top of tree.c.
 */
#ifndef TDXUP_SYSFS_TREE_INTERNAL_H
#define TDXUP_SYSFS_TREE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "emu/sysfs.h"

#define SYSFS_MAX_LINKS		40	/* MAXSYMLINKS in the VFS */
#define SYSFS_NAME_MAX		255


struct sysfs_node {
	struct sysfs_tree *tree;
	struct sysfs_node *parent;
	/* directory: children in creation order */
	struct sysfs_node *children;
	struct sysfs_node *last_child;
	struct sysfs_node *next;
	struct sysfs_node *all_next;	/* every node of the tree, for freeing */
	char *name;
	enum sysfs_type type;
	unsigned int mode;
	uint64_t ino;
	/* file */
	struct sysfs_attr_ops ops;
	void *priv;
	bool bin;
	/* link */
	char *target;
	/* under tree->lock */
	unsigned int active;
	bool removed;
};

struct sysfs_tree {
	pthread_mutex_t lock;
	pthread_cond_t drained;
	const struct kthread_ops *kt;
	struct sysfs_node *root;
	struct sysfs_node *all;
	uint64_t next_ino;
	unsigned int nr_open;
	bool destroyed;
};

struct sysfs_file {
	struct sysfs_node *node;
	struct sysfs_cred cred;
	bool can_read;
	bool can_write;
	pthread_mutex_t lock;
	/* text files: the page show() produced, as seq_file keeps it */
	char *page;
	size_t page_len;
	bool page_valid;
};

/* tree.c: for file.c */
int sysfs_lookup(struct sysfs_tree *t, const char *path, bool follow_last,
		 struct sysfs_node **out);
void sysfs_fill_stat(const struct sysfs_node *n, struct sysfs_stat *st);
bool sysfs_get_active(struct sysfs_node *n);
void sysfs_put_active(struct sysfs_node *n);
void sysfs_tree_free(struct sysfs_tree *t);

#endif /* TDXUP_SYSFS_TREE_INTERNAL_H */
