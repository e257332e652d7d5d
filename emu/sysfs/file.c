// SPDX-License-Identifier: MIT
/*
 * The userspace side of the in-process sysfs: open, read, write, close,
 * stat, readlink and readdir by path, with kernfs's rules for text and
 * binary attributes (see tree.c for locking and lifetime).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sysfs/tree_internal.h"

/* ---- the userspace side ---- */

/*
 * Files are root:root. The VFS lets root past the mode bits
 * (CAP_DAC_OVERRIDE) and holds anyone else to the "other" bits; then
 * kernfs_fop_open (sysfs sets KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK) refuses a
 * direction that no mode bit allows or no handler implements, even for root.
 */
static int may_open(const struct sysfs_node *n, const struct sysfs_cred *cred, bool rd, bool wr)
{
	bool has_read = n->bin ? !!n->ops.read : !!n->ops.show;
	bool has_write = n->bin ? !!n->ops.write : !!n->ops.store;

	if (cred->uid != 0) {
		if ((rd && !(n->mode & S_IROTH)) || (wr && !(n->mode & S_IWOTH)))
			return -EACCES;
	}
	if (wr && (!(n->mode & 0222) || !has_write))
		return -EACCES;
	if (rd && (!(n->mode & 0444) || !has_read))
		return -EACCES;
	return 0;
}

int sysfs_open(struct sysfs_tree *t, const char *path, int flags, const struct sysfs_cred *cred,
	       struct sysfs_file **f)
{
	int acc = flags & O_ACCMODE;
	bool rd = acc == O_RDONLY || acc == O_RDWR;
	bool wr = acc == O_WRONLY || acc == O_RDWR;
	struct sysfs_node *n;
	struct sysfs_file *file;
	int ret;

	if (!t || !cred || !f || acc == O_ACCMODE)
		return -EINVAL;
	file = calloc(1, sizeof(*file));
	if (!file)
		return -ENOMEM;
	pthread_mutex_lock(&t->lock);
	ret = sysfs_lookup(t, path, true, &n);
	if (ret)
		goto err_unlock;
	ret = -EISDIR;
	if (n->type == SYSFS_DIR)
		goto err_unlock;
	ret = may_open(n, cred, rd, wr);
	if (ret)
		goto err_unlock;
	t->nr_open++;
	pthread_mutex_unlock(&t->lock);

	file->node = n;
	file->cred = *cred;
	file->can_read = rd;
	file->can_write = wr;
	pthread_mutex_init(&file->lock, NULL);
	*f = file;
	return 0;

err_unlock:
	pthread_mutex_unlock(&t->lock);
	free(file);
	return ret;
}

/*
 * Text read: seq_file semantics. show() fills a zeroed page on the first
 * read or any read at offset 0; later reads are served from that page.
 */
static ssize_t text_read(struct sysfs_file *f, char *buf, size_t count, uint64_t off)
{
	const struct sysfs_node *n = f->node;
	ssize_t len;

	if (off == 0 || !f->page_valid) {
		if (!f->page) {
			f->page = malloc(SYSFS_PAGE_SIZE);
			if (!f->page)
				return -ENOMEM;
		}
		memset(f->page, 0, SYSFS_PAGE_SIZE);
		f->page_valid = false;
		len = n->ops.show(n->priv, f->page);
		if (len < 0)
			return len;
		/* sysfs_kf_seq_show: a full page means overflow; keep PAGE_SIZE - 1 */
		if ((size_t)len >= SYSFS_PAGE_SIZE)
			len = SYSFS_PAGE_SIZE - 1;
		f->page_len = (size_t)len;
		f->page_valid = true;
	}
	if (off >= f->page_len)
		return 0;
	if (count > f->page_len - off)
		count = f->page_len - (size_t)off;
	memcpy(buf, f->page + off, count);
	return (ssize_t)count;
}

ssize_t sysfs_read(struct sysfs_file *f, char *buf, size_t count, uint64_t off)
{
	struct sysfs_node *n;
	ssize_t ret;

	if (!f || !buf)
		return -EFAULT;
	if (!f->can_read)
		return -EBADF;
	n = f->node;
	pthread_mutex_lock(&f->lock);
	if (!sysfs_get_active(n)) {
		ret = -ENODEV;
		goto out;
	}
	if (n->bin) {
		/* kernfs_file_read_iter moves at most a page per read() */
		if (count > SYSFS_PAGE_SIZE)
			count = SYSFS_PAGE_SIZE;
		ret = count ? n->ops.read(n->priv, buf, count, off) : 0;
	} else {
		ret = text_read(f, buf, count, off);
	}
	sysfs_put_active(n);
out:
	pthread_mutex_unlock(&f->lock);
	return ret;
}

ssize_t sysfs_write(struct sysfs_file *f, const char *buf, size_t count, uint64_t off)
{
	struct sysfs_node *n;
	char *kbuf;
	ssize_t ret;

	if (!f || !buf)
		return -EFAULT;
	if (!f->can_write)
		return -EBADF;
	n = f->node;
	/* kernfs_fop_write_iter: at most a page, copied and NUL-terminated */
	if (count > SYSFS_PAGE_SIZE)
		count = SYSFS_PAGE_SIZE;
	kbuf = malloc(count + 1);
	if (!kbuf)
		return -ENOMEM;
	memcpy(kbuf, buf, count);
	kbuf[count] = '\0';

	pthread_mutex_lock(&f->lock);
	if (!sysfs_get_active(n)) {
		ret = -ENODEV;
		goto out;
	}
	if (!count)
		ret = 0;
	else if (n->bin)
		ret = n->ops.write(n->priv, &f->cred, kbuf, count, off);
	else
		ret = n->ops.store(n->priv, &f->cred, kbuf, count);
	sysfs_put_active(n);
out:
	pthread_mutex_unlock(&f->lock);
	free(kbuf);
	return ret;
}

void sysfs_close(struct sysfs_file *f)
{
	struct sysfs_tree *t;
	bool free_tree;

	if (!f)
		return;
	t = f->node->tree;
	pthread_mutex_lock(&t->lock);
	free_tree = !--t->nr_open && t->destroyed;
	pthread_mutex_unlock(&t->lock);
	pthread_mutex_destroy(&f->lock);
	free(f->page);
	free(f);
	if (free_tree)
		sysfs_tree_free(t);
}

int sysfs_stat(struct sysfs_tree *t, const char *path, bool follow_links, struct sysfs_stat *st)
{
	struct sysfs_node *n;
	int ret;

	if (!t || !st)
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	ret = sysfs_lookup(t, path, follow_links, &n);
	if (!ret)
		sysfs_fill_stat(n, st);
	pthread_mutex_unlock(&t->lock);
	return ret;
}

/* readlink(2): not NUL-terminated when the target fills buf; length copied. */
int sysfs_readlink(struct sysfs_tree *t, const char *path, char *buf, size_t size)
{
	struct sysfs_node *n;
	size_t len;
	int ret;

	if (!t || !buf)
		return -EFAULT;
	if (!size)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	ret = sysfs_lookup(t, path, false, &n);
	if (ret)
		goto out;
	ret = -EINVAL;
	if (n->type != SYSFS_LINK)
		goto out;
	len = strlen(n->target);
	if (len > size)
		len = size;
	memcpy(buf, n->target, len);
	if (len < size)
		buf[len] = '\0';
	ret = (int)len;
out:
	pthread_mutex_unlock(&t->lock);
	return ret;
}

struct dirent_snap {
	char *name;
	struct sysfs_stat st;
};

/* The callback runs without the tree lock, on a snapshot of the entries. */
int sysfs_readdir(struct sysfs_tree *t, const char *path,
		  int (*fn)(void *arg, const char *name, const struct sysfs_stat *st), void *arg)
{
	struct dirent_snap *ents = NULL;
	struct sysfs_node *n, *c;
	size_t nr = 0, i;
	int ret;

	if (!t || !fn)
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	ret = sysfs_lookup(t, path, true, &n);
	if (ret)
		goto unlock;
	ret = -ENOTDIR;
	if (n->type != SYSFS_DIR)
		goto unlock;
	for (c = n->children; c; c = c->next)
		nr++;
	ret = -ENOMEM;
	ents = calloc(nr ? nr : 1, sizeof(*ents));
	if (!ents)
		goto unlock;
	for (i = 0, c = n->children; c; c = c->next, i++) {
		ents[i].name = strdup(c->name);
		if (!ents[i].name)
			goto unlock;
		sysfs_fill_stat(c, &ents[i].st);
	}
	ret = 0;
unlock:
	pthread_mutex_unlock(&t->lock);
	for (i = 0; i < nr && !ret; i++)
		ret = fn(arg, ents[i].name, &ents[i].st);
	for (i = 0; ents && i < nr; i++)
		free(ents[i].name);
	free(ents);
	return ret;
}

ssize_t sysfs_read_file(struct sysfs_tree *t, const char *path, const struct sysfs_cred *cred,
			char *buf, size_t size)
{
	struct sysfs_file *f;
	size_t total = 0;
	ssize_t n;
	int ret;

	if (!buf || !size)
		return -EINVAL;
	ret = sysfs_open(t, path, O_RDONLY, cred, &f);
	if (ret)
		return ret;
	while (total < size - 1) {
		n = sysfs_read(f, buf + total, size - 1 - total, total);
		if (n < 0) {
			sysfs_close(f);
			return n;
		}
		if (!n)
			break;
		total += (size_t)n;
	}
	buf[total] = '\0';
	sysfs_close(f);
	return (ssize_t)total;
}

ssize_t sysfs_write_file(struct sysfs_tree *t, const char *path, const struct sysfs_cred *cred,
			 const void *buf, size_t count)
{
	const char *p = buf;
	struct sysfs_file *f;
	size_t done = 0;
	ssize_t n;
	int ret;

	if (!buf)
		return -EFAULT;
	ret = sysfs_open(t, path, O_WRONLY, cred, &f);
	if (ret)
		return ret;
	if (!f->node->bin) {
		/* A text attribute takes one write(); store sees it whole. */
		n = sysfs_write(f, p, count, 0);
		sysfs_close(f);
		return n;
	}
	do {
		n = sysfs_write(f, p + done, count - done, done);
		if (n < 0) {
			sysfs_close(f);
			return n;
		}
		done += (size_t)n;
	} while (n > 0 && done < count);
	sysfs_close(f);
	return (ssize_t)done;
}
