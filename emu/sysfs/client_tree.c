// SPDX-License-Identifier: MIT
/*
 * The updater's sysfs ops over the emulated host's in-process tree: how the
 * lab's operator and the tests run the real updater against an emulated
 * host without a FUSE mount. The updater sees only struct sysfs_client.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "emu/sysfs.h"
#include "emu/sysfs_client_tree.h"

static ssize_t tree_read(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	struct sysfs_file *f;
	size_t len = 0;
	ssize_t n;
	int ret;

	if (!size)
		return -EINVAL;
	ret = sysfs_open((struct sysfs_tree *)c->priv, path, O_RDONLY, (const struct sysfs_cred *)c->priv2, &f);
	if (ret)
		return ret;
	while (len < size - 1) {
		n = sysfs_read(f, buf + len, size - 1 - len, len);
		if (n < 0) {
			sysfs_close(f);
			return n;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	sysfs_close(f);
	buf[len] = '\0';
	return (ssize_t)len;
}

static ssize_t tree_write(struct sysfs_client *c, const char *path, const void *buf,
			  size_t count, uint64_t off)
{
	struct sysfs_file *f;
	ssize_t n;
	int ret;

	ret = sysfs_open((struct sysfs_tree *)c->priv, path, O_WRONLY, (const struct sysfs_cred *)c->priv2, &f);
	if (ret)
		return ret;
	n = sysfs_write(f, buf, count, off);
	sysfs_close(f);
	return n;
}

static int tree_stat(struct sysfs_client *c, const char *path, bool follow,
		     struct sysfs_client_stat *st)
{
	struct sysfs_stat s;
	int ret = sysfs_stat((struct sysfs_tree *)c->priv, path, follow, &s);

	if (ret)
		return ret;
	switch (s.type) {
	case SYSFS_DIR:
		st->type = SYSFS_CLIENT_DIR;
		break;
	case SYSFS_FILE:
		st->type = SYSFS_CLIENT_FILE;
		break;
	case SYSFS_LINK:
		st->type = SYSFS_CLIENT_LINK;
		break;
	default:
		st->type = SYSFS_CLIENT_OTHER;
	}
	st->mode = s.mode;
	st->size = s.size;
	return 0;
}

static ssize_t tree_readlink(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	int ret;

	if (!size)
		return -EINVAL;
	/* Leave room for the NUL readlink(2) does not promise. */
	ret = sysfs_readlink((struct sysfs_tree *)c->priv, path, buf, size - 1);
	if (ret < 0)
		return ret;
	buf[ret] = '\0';
	return ret;
}

void sysfs_client_init_tree(struct sysfs_client *c, struct sysfs_tree *t,
			    const struct sysfs_cred *cred)
{
	memset(c, 0, sizeof(*c));
	c->priv = t;
	c->priv2 = cred ? cred : &sysfs_cred_root;
	c->read = tree_read;
	c->write = tree_write;
	c->stat = tree_stat;
	c->readlink = tree_readlink;
	sysfs_client_set_default_clock(c);
}

void sysfs_client_set_kthread_clock(struct sysfs_client *c, const struct kthread_ops *kt)
{
	c->now_us = kt->now_us;
	c->sleep_us = kt->sleep_us;
	c->clock_ctx = kt->ctx;
}
