// SPDX-License-Identifier: MIT
/*
 * The in-process sysfs: directories, attribute files and symlinks with
 * kernfs/sysfs semantics (fs/kernfs/file.c, fs/sysfs/file.c), and the
 * path-based file calls userspace (and the FUSE front end) uses.
 *
 * Locking and lifetime:
 * - One tree-wide mutex guards the structure (child lists, names, links),
 *   every node's active count and removed flag, and the open-file count.
 *   Handlers never run under it.
 * - A handler call holds an active reference on its node (kernfs's
 *   kernfs_get_active): taken under the tree lock only if the node is not
 *   removed. sysfs_remove marks the subtree removed, unlinks it, then waits
 *   for every active count in it to reach zero, so the owner may free priv
 *   once it returns.
 * - Each open file has its own mutex (kernfs's of->mutex): one read or write
 *   at a time per open file, which also guards its read buffer.
 * - Nodes are freed only with the tree, so stale node pointers (an open
 *   file's, or a node removed with its parent) stay valid; the tree itself
 *   is freed once destroyed and the last open file is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tdxup/sysfs.h"

#define SYSFS_MAX_LINKS		40	/* MAXSYMLINKS in the VFS */
#define SYSFS_NAME_MAX		255

const struct sysfs_cred sysfs_cred_root = { .uid = 0, .cap_sys_rawio = true };
const struct sysfs_cred sysfs_cred_user = { .uid = 1000, .cap_sys_rawio = false };

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

/* ---- structure (tree lock held) ---- */

static bool valid_name(const char *name, size_t len)
{
	if (!len || len > SYSFS_NAME_MAX || memchr(name, '/', len))
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2)))
		return false;
	return true;
}

static struct sysfs_node *find_child(struct sysfs_node *dir, const char *name, size_t len)
{
	struct sysfs_node *c;

	for (c = dir->children; c; c = c->next)
		if (strlen(c->name) == len && !memcmp(c->name, name, len))
			return c;
	return NULL;
}

static struct sysfs_node *new_node(struct sysfs_tree *t, struct sysfs_node *parent,
				   const char *name, size_t len, enum sysfs_type type,
				   unsigned int mode)
{
	struct sysfs_node *n;

	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->name = strndup(name, len);
	if (!n->name) {
		free(n);
		return NULL;
	}
	n->tree = t;
	n->type = type;
	n->mode = mode;
	n->ino = ++t->next_ino;
	n->all_next = t->all;
	t->all = n;
	if (parent) {
		n->parent = parent;
		if (parent->last_child)
			parent->last_child->next = n;
		else
			parent->children = n;
		parent->last_child = n;
	}
	return n;
}

/* Checks shared by every creator: a live directory and a free, valid name. */
static bool can_add(struct sysfs_node *dir, const char *name, size_t len)
{
	return dir->type == SYSFS_DIR && !dir->removed && !dir->tree->destroyed &&
	       valid_name(name, len) && !find_child(dir, name, len);
}

static void unlink_child(struct sysfs_node *n)
{
	struct sysfs_node *dir = n->parent, **pp, *prev = NULL;

	for (pp = &dir->children; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != n)
			continue;
		*pp = n->next;
		if (dir->last_child == n)
			dir->last_child = prev;
		n->next = NULL;
		return;
	}
}

static void mark_removed(struct sysfs_node *n)
{
	struct sysfs_node *c;

	n->removed = true;
	for (c = n->children; c; c = c->next)
		mark_removed(c);
}

static unsigned int subtree_active(const struct sysfs_node *n)
{
	const struct sysfs_node *c;
	unsigned int sum = n->active;

	for (c = n->children; c; c = c->next)
		sum += subtree_active(c);
	return sum;
}

/* kernfs_drain(): wait, tree lock held, until no handler below n runs. */
static void drain(struct sysfs_tree *t, const struct sysfs_node *n)
{
	while (subtree_active(n)) {
		if (t->kt) {
			pthread_mutex_unlock(&t->lock);
			t->kt->relax(t->kt->ctx);
			pthread_mutex_lock(&t->lock);
		} else {
			pthread_cond_wait(&t->drained, &t->lock);
		}
	}
}

static void tree_free(struct sysfs_tree *t)
{
	struct sysfs_node *n, *next;

	for (n = t->all; n; n = next) {
		next = n->all_next;
		free(n->name);
		free(n->target);
		free(n);
	}
	pthread_cond_destroy(&t->drained);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

struct sysfs_tree *sysfs_tree_create(void)
{
	struct sysfs_tree *t;

	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->drained, NULL);
	/* The root has an empty name; it is never looked up by name. */
	t->root = new_node(t, NULL, "", 0, SYSFS_DIR, 0755);
	if (!t->root) {
		tree_free(t);
		return NULL;
	}
	return t;
}

void sysfs_tree_destroy(struct sysfs_tree *t)
{
	bool free_now;

	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	mark_removed(t->root);
	drain(t, t->root);
	t->destroyed = true;
	free_now = !t->nr_open;
	pthread_mutex_unlock(&t->lock);
	if (free_now)
		tree_free(t);
}

void sysfs_tree_set_kthread_ops(struct sysfs_tree *t, const struct kthread_ops *kt)
{
	pthread_mutex_lock(&t->lock);
	t->kt = kt;
	pthread_mutex_unlock(&t->lock);
}

struct sysfs_node *sysfs_root(struct sysfs_tree *t)
{
	return t->root;
}

struct sysfs_node *sysfs_mkdir(struct sysfs_node *parent, const char *path)
{
	struct sysfs_tree *t;
	struct sysfs_node *cur;
	const char *p = path, *end;

	if (!parent || !path)
		return NULL;
	t = parent->tree;
	pthread_mutex_lock(&t->lock);
	cur = parent;
	while (cur && *p) {
		struct sysfs_node *c;
		size_t len;

		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		if (len) {
			c = find_child(cur, p, len);
			if (c)
				cur = c->type == SYSFS_DIR ? c : NULL;
			else if (can_add(cur, p, len))
				cur = new_node(t, cur, p, len, SYSFS_DIR, 0755);
			else
				cur = NULL;
		}
		p = *end ? end + 1 : end;
	}
	if (cur && cur->removed)
		cur = NULL;
	pthread_mutex_unlock(&t->lock);
	return cur;
}

struct sysfs_node *sysfs_create_dir(struct sysfs_node *parent, const char *name)
{
	struct sysfs_tree *t;
	struct sysfs_node *n = NULL;

	if (!parent || !name)
		return NULL;
	t = parent->tree;
	pthread_mutex_lock(&t->lock);
	if (can_add(parent, name, strlen(name)))
		n = new_node(t, parent, name, strlen(name), SYSFS_DIR, 0755);
	pthread_mutex_unlock(&t->lock);
	return n;
}

struct sysfs_node *sysfs_create_file(struct sysfs_node *dir, const char *name, unsigned int mode,
				     const struct sysfs_attr_ops *ops, void *priv, bool bin)
{
	struct sysfs_tree *t;
	struct sysfs_node *n = NULL;

	if (!dir || !name)
		return NULL;
	t = dir->tree;
	pthread_mutex_lock(&t->lock);
	if (can_add(dir, name, strlen(name)))
		n = new_node(t, dir, name, strlen(name), SYSFS_FILE, mode & 0777);
	if (n) {
		if (ops)
			n->ops = *ops;
		n->priv = priv;
		n->bin = bin;
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

struct sysfs_node *sysfs_create_link(struct sysfs_node *dir, const char *name, const char *target)
{
	struct sysfs_tree *t;
	struct sysfs_node *n = NULL;
	char *tgt;

	if (!dir || !name || !target)
		return NULL;
	tgt = strdup(target);
	if (!tgt)
		return NULL;
	t = dir->tree;
	pthread_mutex_lock(&t->lock);
	if (can_add(dir, name, strlen(name)))
		n = new_node(t, dir, name, strlen(name), SYSFS_LINK, 0777);
	if (n) {
		n->target = tgt;
		tgt = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	free(tgt);
	return n;
}

void sysfs_remove(struct sysfs_node *node)
{
	struct sysfs_tree *t;

	if (!node)
		return;
	t = node->tree;
	pthread_mutex_lock(&t->lock);
	/* The root goes only with the tree; a removed node is already gone. */
	if (node->removed || !node->parent) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	mark_removed(node);
	unlink_child(node);
	drain(t, node);
	pthread_mutex_unlock(&t->lock);
}

/* ---- path walk (tree lock held) ---- */

static int walk(struct sysfs_tree *t, struct sysfs_node *start, const char *path,
		bool follow_last, int *nr_links, struct sysfs_node **out);

static int follow(struct sysfs_tree *t, struct sysfs_node *link, int *nr_links,
		  struct sysfs_node **out)
{
	if (++*nr_links > SYSFS_MAX_LINKS)
		return -ELOOP;
	if (!link->target[0])
		return -ENOENT;
	/* A relative target starts from the directory holding the link. */
	return walk(t, link->parent, link->target, true, nr_links, out);
}

static int walk(struct sysfs_tree *t, struct sysfs_node *start, const char *path,
		bool follow_last, int *nr_links, struct sysfs_node **out)
{
	struct sysfs_node *cur = path[0] == '/' ? t->root : start;
	size_t plen = strlen(path);
	bool must_dir = plen && path[plen - 1] == '/';
	const char *p = path;
	int ret;

	for (;;) {
		struct sysfs_node *c;
		const char *end, *rest;
		size_t len;
		bool last;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		len = (size_t)(end - p);
		for (rest = end; *rest == '/'; rest++)
			;
		last = !*rest;
		if (cur->type != SYSFS_DIR)
			return -ENOTDIR;
		if (len > SYSFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (len == 1 && p[0] == '.') {
			c = cur;
		} else if (len == 2 && !memcmp(p, "..", 2)) {
			/* ".." of the root is the root, as in the VFS. */
			c = cur->parent ? cur->parent : cur;
		} else {
			c = find_child(cur, p, len);
			if (!c)
				return -ENOENT;
			if (c->type == SYSFS_LINK && (!last || follow_last || must_dir)) {
				ret = follow(t, c, nr_links, &c);
				if (ret)
					return ret;
			}
		}
		cur = c;
		p = end;
	}
	if (must_dir && cur->type != SYSFS_DIR)
		return -ENOTDIR;
	*out = cur;
	return 0;
}

static int lookup(struct sysfs_tree *t, const char *path, bool follow_last, struct sysfs_node **out)
{
	int nr_links = 0;

	if (!path)
		return -EFAULT;
	if (t->destroyed)
		return -ENOENT;
	return walk(t, t->root, path, follow_last, &nr_links, out);
}

static void fill_stat(const struct sysfs_node *n, struct sysfs_stat *st)
{
	st->type = n->type;
	st->ino = n->ino;
	st->size = 0;
	switch (n->type) {
	case SYSFS_DIR:
		st->mode = 0755;
		break;
	case SYSFS_LINK:
		st->mode = 0777;
		break;
	case SYSFS_FILE:
		st->mode = n->mode;
		/* sysfs gives text attributes i_size PAGE_SIZE, binary ones 0 */
		if (!n->bin)
			st->size = SYSFS_PAGE_SIZE;
		break;
	}
}

/* ---- active references ---- */

static bool get_active(struct sysfs_node *n)
{
	struct sysfs_tree *t = n->tree;
	bool ok;

	pthread_mutex_lock(&t->lock);
	ok = !n->removed;
	if (ok)
		n->active++;
	pthread_mutex_unlock(&t->lock);
	return ok;
}

static void put_active(struct sysfs_node *n)
{
	struct sysfs_tree *t = n->tree;

	pthread_mutex_lock(&t->lock);
	if (!--n->active && n->removed)
		pthread_cond_broadcast(&t->drained);
	pthread_mutex_unlock(&t->lock);
}

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
	ret = lookup(t, path, true, &n);
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
		if (len >= SYSFS_PAGE_SIZE)
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
	if (!get_active(n)) {
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
	put_active(n);
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
	if (!get_active(n)) {
		ret = -ENODEV;
		goto out;
	}
	if (!count)
		ret = 0;
	else if (n->bin)
		ret = n->ops.write(n->priv, &f->cred, kbuf, count, off);
	else
		ret = n->ops.store(n->priv, &f->cred, kbuf, count);
	put_active(n);
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
		tree_free(t);
}

int sysfs_stat(struct sysfs_tree *t, const char *path, bool follow_links, struct sysfs_stat *st)
{
	struct sysfs_node *n;
	int ret;

	if (!t || !st)
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	ret = lookup(t, path, follow_links, &n);
	if (!ret)
		fill_stat(n, st);
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
	ret = lookup(t, path, false, &n);
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
	ret = lookup(t, path, true, &n);
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
		fill_stat(c, &ents[i].st);
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
