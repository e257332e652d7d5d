// SPDX-License-Identifier: MIT
/*
 * FUSE front end of the in-process sysfs: every FUSE operation maps one to
 * one onto the tree's path API (emu/include/emu/sysfs.h), so a client on the
 * mount meets the same handlers, offsets and errors as the in-process tests.
 *
 * Choices, each made so the mount behaves like sysfs rather than a disk:
 * - direct_io on every open file: no page cache, so each read() and write()
 *   reaches the tree with the caller's offset and length, a text attribute
 *   is shown afresh on every read at offset 0, and a short write (the tree
 *   takes at most a page per call) is returned to the writer, who loops.
 * - No attribute or entry caching: the tree decides every lookup.
 * - Permission checks are the tree's, with the caller's uid from the FUSE
 *   request (not default_permissions): uid 0 is root with CAP_SYS_RAWIO,
 *   anyone else is held to the "other" mode bits, as kernfs does.
 * - O_TRUNC is ignored, as sysfs ignores it: `echo 1 > loading` works
 *   whether the kernel passes O_TRUNC to open or sends a truncate.
 * - The tree is thread-safe and its handlers block only briefly (the
 *   fw_upload worker runs on its own thread), so a thread pool serves
 *   requests; one slow SEAMLDR.INFO read does not stall other clients.
 * - As a sysroot (tree_at "/sys"), the tree is one subtree and a few
 *   fixed read-only files sit beside it (DIR/proc/cpuinfo...), in made-up
 *   directories: enough for `tdxup status --sysroot DIR`, nothing more.
 */
#define FUSE_USE_VERSION	FUSE_MAKE_VERSION(3, 12)

#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "emu/sysfs_fuse.h"

/*
 * An open file as FUSE holds it. Handles are listed so that files the
 * kernel never released (a client still had them open at unmount) are
 * closed when the mount goes away, and the tree can be freed.
 */
struct sf_handle {
	struct sysfs_file *f;		/* a tree file, or NULL */
	const char *text;		/* a fixed file's contents */
	struct sf_handle *prev, *next;
};

struct sysfs_fuse {
	struct sysfs_tree *tree;
	struct fuse *fuse;
	struct sysfs_fuse_opts opts;
	struct timespec mounted_at;	/* every node's times: sysfs nodes do not age */
	bool mounted;
	pthread_mutex_t lock;		/* the handle list */
	struct sf_handle *handles;
};

static struct sysfs_fuse *this_mount(void)
{
	return fuse_get_context()->private_data;
}

/* ---- where a path is: the tree, a fixed file or a made-up directory ---- */

enum sf_kind { SF_TREE, SF_FILE, SF_DIR };

struct sf_node {
	enum sf_kind kind;
	const char *tree_path;			/* SF_TREE */
	const struct sysfs_fuse_file *file;	/* SF_FILE */
};

/* Made-up nodes' inode numbers, far above the tree's (it counts from 1). */
#define SF_INO_BASE	(1ULL << 40)

static uint64_t path_ino(const char *path)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 16777619u;
	return SF_INO_BASE + h;
}

static bool tree_at_root(const struct sysfs_fuse *sf)
{
	return !sf->opts.tree_at || !sf->opts.tree_at[0];
}

/* "/a/b" is below dir ("/" or "/a"): the rest after dir's slash, else NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	if (!strcmp(dir, "/"))
		return path[0] == '/' && path[1] ? path + 1 : NULL;
	if (strncmp(path, dir, len) || path[len] != '/' || !path[len + 1])
		return NULL;
	return path + len + 1;
}

/* The made-up entries (fixed files, tree_at), one by one: NULL past the end. */
static const char *entry_path(const struct sysfs_fuse *sf, size_t i)
{
	if (i < sf->opts.nr_files)
		return sf->opts.files[i].path;
	return i == sf->opts.nr_files ? sf->opts.tree_at : NULL;
}

static int sf_lookup(const struct sysfs_fuse *sf, const char *path, struct sf_node *n)
{
	const char *tree_at = sf->opts.tree_at, *e, *rest;
	size_t len;

	memset(n, 0, sizeof(*n));
	if (tree_at_root(sf)) {
		n->tree_path = path;
		return 0;
	}
	len = strlen(tree_at);
	if (!strncmp(path, tree_at, len) && (path[len] == '/' || !path[len])) {
		n->tree_path = path[len] ? path + len : "/";
		return 0;
	}
	for (size_t i = 0; i < sf->opts.nr_files; i++) {
		if (!strcmp(path, sf->opts.files[i].path)) {
			n->kind = SF_FILE;
			n->file = &sf->opts.files[i];
			return 0;
		}
	}
	n->kind = SF_DIR;
	if (!strcmp(path, "/"))
		return 0;
	for (size_t i = 0; (e = entry_path(sf, i)); i++) {
		rest = below(e, path);
		if (rest)
			return 0;
	}
	return -ENOENT;
}

/* The tree sees the requester: root (with CAP_SYS_RAWIO) or a plain user. */
static void caller_cred(struct sysfs_cred *cred)
{
	uid_t uid = fuse_get_context()->uid;

	if (uid == 0) {
		*cred = sysfs_cred_root;
		return;
	}
	cred->uid = uid;
	cred->cap_sys_rawio = false;
}

static struct sf_handle *handle_of(const struct fuse_file_info *fi)
{
	return (struct sf_handle *)(uintptr_t)fi->fh;
}

static struct sf_handle *handle_add(struct sysfs_fuse *sf, struct sysfs_file *f,
				    const char *text)
{
	struct sf_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->f = f;
	h->text = text;
	pthread_mutex_lock(&sf->lock);
	h->next = sf->handles;
	if (h->next)
		h->next->prev = h;
	sf->handles = h;
	pthread_mutex_unlock(&sf->lock);
	return h;
}

static void handle_del(struct sysfs_fuse *sf, struct sf_handle *h)
{
	pthread_mutex_lock(&sf->lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		sf->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	pthread_mutex_unlock(&sf->lock);
	if (h->f)
		sysfs_close(h->f);
	free(h);
}

static void to_stat(const struct sysfs_fuse *sf, const struct sysfs_stat *s, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = s->ino;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_blksize = SYSFS_PAGE_SIZE;
	st->st_atim = sf->mounted_at;
	st->st_mtim = sf->mounted_at;
	st->st_ctim = sf->mounted_at;
	switch (s->type) {
	case SYSFS_DIR:
		st->st_mode = S_IFDIR | s->mode;
		st->st_nlink = 2;
		break;
	case SYSFS_LINK:
		st->st_mode = S_IFLNK | s->mode;
		st->st_nlink = 1;
		break;
	case SYSFS_FILE:
		st->st_mode = S_IFREG | s->mode;
		st->st_nlink = 1;
		st->st_size = (off_t)s->size;
		break;
	}
}

static void made_up_stat(const struct sysfs_fuse *sf, const char *path,
			 const struct sf_node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = path_ino(path);
	st->st_blksize = SYSFS_PAGE_SIZE;
	st->st_atim = sf->mounted_at;
	st->st_mtim = sf->mounted_at;
	st->st_ctim = sf->mounted_at;
	/* procfs shows its files with size 0; read them to the end. */
	st->st_mode = n->kind == SF_FILE ? S_IFREG | 0444 : S_IFDIR | 0555;
	st->st_nlink = n->kind == SF_FILE ? 1 : 2;
	if (n->kind == SF_FILE && n->file->link) {
		st->st_mode = S_IFLNK | 0777;
		st->st_size = (off_t)strlen(n->file->link);
	}
}

static void *sf_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->use_ino = 1;
	cfg->readdir_ino = 1;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->kernel_cache = 0;
	cfg->hard_remove = 1;
	return fuse_get_context()->private_data;
}

static int sf_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct sysfs_fuse *sf = this_mount();
	struct sysfs_stat s;
	char target[PATH_MAX];
	struct sf_node n;
	int ret;

	ret = sf_lookup(sf, path, &n);
	if (ret)
		return ret;
	if (n.kind != SF_TREE) {
		made_up_stat(sf, path, &n, st);
		return 0;
	}
	path = n.tree_path;
	ret = sysfs_stat(sf->tree, path, false, &s);
	if (ret)
		return ret;
	to_stat(sf, &s, st);
	/* lstat(2) of a symlink gives the target's length, as on Linux. */
	if (s.type == SYSFS_LINK) {
		ret = sysfs_readlink(sf->tree, path, target, sizeof(target));
		if (ret > 0)
			st->st_size = ret;
	}
	return 0;
}

static int sf_readlink(const char *path, char *buf, size_t size)
{
	struct sf_node n;
	int ret;

	if (size < 1)
		return -EINVAL;
	ret = sf_lookup(this_mount(), path, &n);
	if (ret)
		return ret;
	if (n.kind == SF_FILE && n.file->link) {
		snprintf(buf, size, "%s", n.file->link);
		return 0;
	}
	if (n.kind != SF_TREE)
		return -EINVAL;
	ret = sysfs_readlink(this_mount()->tree, n.tree_path, buf, size - 1);
	if (ret < 0)
		return ret;
	buf[ret] = '\0';
	return 0;
}

struct readdir_ctx {
	const struct sysfs_fuse *sf;
	void *buf;
	fuse_fill_dir_t filler;
};

static int readdir_one(void *arg, const char *name, const struct sysfs_stat *s)
{
	struct readdir_ctx *rc = arg;
	struct stat st;

	to_stat(rc->sf, s, &st);
	/* Offsets are not used, so libfuse buffers the whole listing. */
	return rc->filler(rc->buf, name, &st, 0, 0) ? -ENOMEM : 0;
}

/* The next path component below dir of entry e: its length, 0 if none. */
static size_t child_len(const char *e, const char *dir, const char **name)
{
	const char *rest = below(e, dir);

	if (!rest)
		return 0;
	*name = rest;
	return strcspn(rest, "/");
}

/* A made-up directory lists the first components below it, each once. */
static int made_up_readdir(const struct sysfs_fuse *sf, const char *dir, void *buf,
			   fuse_fill_dir_t filler)
{
	char child[PATH_MAX], name[NAME_MAX + 1];
	const char *e, *p, *q;
	struct sf_node n;
	struct stat st;
	size_t len;
	bool seen;

	for (size_t i = 0; (e = entry_path(sf, i)); i++) {
		len = child_len(e, dir, &p);
		if (!len || len > NAME_MAX)
			continue;
		seen = false;
		for (size_t j = 0; j < i && !seen; j++)
			seen = child_len(entry_path(sf, j), dir, &q) == len && !strncmp(p, q, len);
		if (seen)
			continue;
		memcpy(name, p, len);
		name[len] = '\0';
		snprintf(child, sizeof(child), "%s/%s", strcmp(dir, "/") ? dir : "", name);
		if (sf_lookup(sf, child, &n))
			continue;
		made_up_stat(sf, child, &n, &st);
		if (n.kind == SF_TREE)
			st.st_mode = S_IFDIR | 0755;	/* the tree's root, as /sys shows */
		if (filler(buf, name, &st, 0, 0))
			return -ENOMEM;
	}
	return 0;
}

static int sf_readdir(const char *path, void *buf, fuse_fill_dir_t filler, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct sysfs_fuse *sf = this_mount();
	struct readdir_ctx rc = { .sf = sf, .buf = buf, .filler = filler };
	struct sf_node n;
	int ret;

	ret = sf_lookup(sf, path, &n);
	if (ret)
		return ret;
	if (n.kind == SF_FILE)
		return -ENOTDIR;
	if (filler(buf, ".", NULL, 0, 0) || filler(buf, "..", NULL, 0, 0))
		return -ENOMEM;
	if (n.kind == SF_DIR)
		return made_up_readdir(sf, path, buf, filler);
	return sysfs_readdir(sf->tree, n.tree_path, readdir_one, &rc);
}

static int sf_open(const char *path, struct fuse_file_info *fi)
{
	struct sysfs_cred cred;
	struct sysfs_file *f = NULL;
	struct sf_handle *h;
	struct sf_node n;
	int ret;

	ret = sf_lookup(this_mount(), path, &n);
	if (ret)
		return ret;
	if (n.kind == SF_DIR)
		return -EISDIR;
	/* Fixed files have no store: writing is refused even to root (inferred). */
	if (n.kind == SF_FILE && (fi->flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	caller_cred(&cred);
	/* Only the access mode matters; O_TRUNC and friends are ignored. */
	if (n.kind == SF_TREE) {
		ret = sysfs_open(this_mount()->tree, n.tree_path, fi->flags & O_ACCMODE,
				 &cred, &f);
		if (ret)
			return ret;
	}
	h = handle_add(this_mount(), f, n.kind == SF_FILE ? n.file->text : NULL);
	if (!h) {
		if (f)
			sysfs_close(f);
		return -ENOMEM;
	}
	fi->fh = (uint64_t)(uintptr_t)h;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	return 0;
}

static int sf_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct sf_handle *h = handle_of(fi);
	size_t len;

	if (off < 0)
		return -EINVAL;
	if (h->f)
		return (int)sysfs_read(h->f, buf, size, (uint64_t)off);
	len = strlen(h->text);
	if ((uint64_t)off >= len)
		return 0;
	if (size > len - (size_t)off)
		size = len - (size_t)off;
	memcpy(buf, h->text + off, size);
	return (int)size;
}

static int sf_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct sf_handle *h = handle_of(fi);

	if (off < 0)
		return -EINVAL;
	if (!h->f)
		return -EBADF;
	return (int)sysfs_write(h->f, buf, size, (uint64_t)off);
}

static int sf_release(const char *path, struct fuse_file_info *fi)
{
	handle_del(this_mount(), (struct sf_handle *)(uintptr_t)fi->fh);
	fi->fh = 0;
	return 0;
}

/*
 * A truncate changes nothing on sysfs. It is still refused where the VFS
 * would refuse it: a directory, or a file the caller may not write.
 */
static int sf_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct sysfs_stat s;
	struct sf_node n;
	int ret;

	if (fi)
		return 0;	/* ftruncate of a file open for writing */
	ret = sf_lookup(this_mount(), path, &n);
	if (ret)
		return ret;
	if (n.kind != SF_TREE)
		return n.kind == SF_DIR ? -EISDIR : -EACCES;
	ret = sysfs_stat(this_mount()->tree, n.tree_path, true, &s);
	if (ret)
		return ret;
	if (s.type == SYSFS_DIR)
		return -EISDIR;
	if (fuse_get_context()->uid != 0 && !(s.mode & S_IWOTH))
		return -EACCES;
	return 0;
}

/* access(2): the mode bits as the VFS reads them for a root-owned node. */
static int sf_access(const char *path, int mask)
{
	struct sysfs_stat s;
	unsigned int want = 0;
	struct sf_node n;
	int ret;

	ret = sf_lookup(this_mount(), path, &n);
	if (ret)
		return ret;
	if (n.kind != SF_TREE) {
		if (mask == F_OK)
			return 0;
		/* r-x directories and r-- files, for root too (no store to write). */
		if ((mask & W_OK) || ((mask & X_OK) && n.kind == SF_FILE))
			return -EACCES;
		return 0;
	}
	ret = sysfs_stat(this_mount()->tree, n.tree_path, true, &s);
	if (ret)
		return ret;
	if (fuse_get_context()->uid == 0) {
		/* CAP_DAC_OVERRIDE: everything but executing a non-executable. */
		if ((mask & X_OK) && s.type != SYSFS_DIR && !(s.mode & 0111))
			return -EACCES;
		return 0;
	}
	if (mask & R_OK)
		want |= S_IROTH;
	if (mask & W_OK)
		want |= S_IWOTH;
	if (mask & X_OK)
		want |= S_IXOTH;
	return (s.mode & want) == want ? 0 : -EACCES;
}

static const struct fuse_operations sf_ops = {
	.init		= sf_init,
	.getattr	= sf_getattr,
	.readlink	= sf_readlink,
	.readdir	= sf_readdir,
	.open		= sf_open,
	.read		= sf_read,
	.write		= sf_write,
	.release	= sf_release,
	.truncate	= sf_truncate,
	.access		= sf_access,
};

static int build_args(const struct sysfs_fuse_opts *o, struct fuse_args *args)
{
	if (fuse_opt_add_arg(args, "tdxup-serve") ||
	    fuse_opt_add_arg(args, "-ofsname=tdxup,subtype=sysfs"))
		return -ENOMEM;
	if (o->allow_other && fuse_opt_add_arg(args, "-oallow_other"))
		return -ENOMEM;
	if (o->debug && fuse_opt_add_arg(args, "-d"))
		return -ENOMEM;
	return 0;
}

int sysfs_fuse_mount(struct sysfs_tree *t, const char *dir, const struct sysfs_fuse_opts *opts,
		     struct sysfs_fuse **out)
{
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct sysfs_fuse *sf;
	int ret;

	if (!t || !dir || !out)
		return -EINVAL;
	sf = calloc(1, sizeof(*sf));
	if (!sf)
		return -ENOMEM;
	sf->tree = t;
	pthread_mutex_init(&sf->lock, NULL);
	if (opts)
		sf->opts = *opts;
	clock_gettime(CLOCK_REALTIME, &sf->mounted_at);
	ret = build_args(&sf->opts, &args);
	if (ret)
		goto err;
	ret = -EIO;
	sf->fuse = fuse_new(&args, &sf_ops, sizeof(sf_ops), sf);
	if (!sf->fuse)
		goto err;
	if (fuse_mount(sf->fuse, dir))
		goto err;
	sf->mounted = true;
	fuse_opt_free_args(&args);
	*out = sf;
	return 0;
err:
	fuse_opt_free_args(&args);
	sysfs_fuse_destroy(sf);
	return ret;
}

/*
 * Unblocked only once libfuse's handlers are in place, so that a stop
 * signal that came early waited as pending; blocked again before they go,
 * since a stop signal often comes twice (timeout(1) sends it to the child
 * and to its process group) and the second must not kill the teardown.
 */
static void mask_stop_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(how, &set, NULL);
}

int sysfs_fuse_run(struct sysfs_fuse *sf)
{
	struct fuse_session *se = fuse_get_session(sf->fuse);
	struct fuse_loop_config *cfg;
	int ret;

	if (fuse_set_signal_handlers(se))
		return -EIO;
	mask_stop_signals(SIG_UNBLOCK);
	if (sf->opts.single_thread) {
		ret = fuse_loop(sf->fuse);
	} else {
		cfg = fuse_loop_cfg_create();
		ret = -ENOMEM;
		if (cfg) {
			ret = fuse_loop_mt(sf->fuse, cfg);
			fuse_loop_cfg_destroy(cfg);
		}
	}
	mask_stop_signals(SIG_BLOCK);
	fuse_remove_signal_handlers(se);
	/* A positive value is the signal that ended the loop: a clean stop. */
	return ret < 0 ? ret : 0;
}

void sysfs_fuse_destroy(struct sysfs_fuse *sf)
{
	if (!sf)
		return;
	if (sf->fuse) {
		if (sf->mounted)
			fuse_unmount(sf->fuse);
		fuse_destroy(sf->fuse);
	}
	/* The FUSE threads are gone: close what clients left open. */
	while (sf->handles)
		handle_del(sf, sf->handles);
	pthread_mutex_destroy(&sf->lock);
	free(sf);
}
