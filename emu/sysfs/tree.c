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

#include "emu/sysfs.h"

#include "sysfs/tree_internal.h"

const struct sysfs_cred sysfs_cred_root = { .uid = 0, .cap_sys_rawio = true };
const struct sysfs_cred sysfs_cred_user = { .uid = 1000, .cap_sys_rawio = false };

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

void sysfs_tree_free(struct sysfs_tree *t)
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
		sysfs_tree_free(t);
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
		sysfs_tree_free(t);
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

int sysfs_lookup(struct sysfs_tree *t, const char *path, bool follow_last, struct sysfs_node **out)
{
	int nr_links = 0;

	if (!path)
		return -EFAULT;
	if (t->destroyed)
		return -ENOENT;
	return walk(t, t->root, path, follow_last, &nr_links, out);
}

void sysfs_fill_stat(const struct sysfs_node *n, struct sysfs_stat *st)
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

bool sysfs_get_active(struct sysfs_node *n)
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

void sysfs_put_active(struct sysfs_node *n)
{
	struct sysfs_tree *t = n->tree;

	pthread_mutex_lock(&t->lock);
	if (!--n->active && n->removed)
		pthread_cond_broadcast(&t->drained);
	pthread_mutex_unlock(&t->lock);
}

