/* SPDX-License-Identifier: MIT */
/* The updater's sysfs ops over the emulated host's in-process tree. */
#ifndef TDXUP_EMU_SYSFS_CLIENT_TREE_H
#define TDXUP_EMU_SYSFS_CLIENT_TREE_H

#include "emu/kthread.h"
#include "emu/sysfs.h"
#include "tdxup/sysfs_client.h"

/* The in-process tree, opened with the given credentials (NULL: root). */
void sysfs_client_init_tree(struct sysfs_client *c, struct sysfs_tree *t,
			    const struct sysfs_cred *cred);
/* Use a kthread_ops clock (a simulator's virtual time). */
void sysfs_client_set_kthread_clock(struct sysfs_client *c, const struct kthread_ops *kt);

#endif /* TDXUP_EMU_SYSFS_CLIENT_TREE_H */
