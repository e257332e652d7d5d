// SPDX-License-Identifier: MIT
/*
 * The in-process sysfs (include/tdxup/sysfs.h): kernfs/sysfs file semantics
 * as seen through the path-based userspace calls. Text reads come from the
 * page show() filled at the first read or offset 0; a store sees each
 * write() whole (up to a page); binary files take offsets; open refuses
 * what the mode bits or the missing handlers do not allow; removal drains
 * running handlers, hides the node and turns open files into -ENODEV.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu/kthread.h"
#include "emu/sysfs.h"

/* Polling budget for cross-thread states: 1 ms steps, generous for TSan. */
#define POLL_STEPS	10000

/* ---- a text attribute with a value and counters ---- */

struct val_attr {
	pthread_mutex_t lock;
	char value[SYSFS_PAGE_SIZE + 16];
	ssize_t show_ret;		/* 0: return strlen(value) */
	ssize_t store_ret;		/* 0: return count */
	int show_calls;
	int store_calls;
	bool dead;		/* set after its file was removed */
	int calls_when_dead;
	char last_store[SYSFS_PAGE_SIZE + 1];
	size_t last_count;
	bool last_terminated;
};

static void val_init(struct val_attr *v, const char *value)
{
	memset(v, 0, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	snprintf(v->value, sizeof(v->value), "%s", value);
}

static void val_set(struct val_attr *v, const char *value)
{
	pthread_mutex_lock(&v->lock);
	snprintf(v->value, sizeof(v->value), "%s", value);
	pthread_mutex_unlock(&v->lock);
}

static ssize_t val_show(void *priv, char *buf)
{
	struct val_attr *v = priv;
	ssize_t ret;

	pthread_mutex_lock(&v->lock);
	v->show_calls++;
	v->calls_when_dead += v->dead;
	ret = v->show_ret;
	if (!ret) {
		ret = (ssize_t)strlen(v->value);
		memcpy(buf, v->value, (size_t)ret);
	}
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static ssize_t val_store(void *priv, const struct sysfs_cred *cred, const char *buf, size_t count)
{
	struct val_attr *v = priv;
	ssize_t ret;

	pthread_mutex_lock(&v->lock);
	v->store_calls++;
	memcpy(v->last_store, buf, count);
	v->last_store[count] = '\0';
	v->last_count = count;
	v->last_terminated = buf[count] == '\0';
	ret = v->store_ret ? v->store_ret : (ssize_t)count;
	pthread_mutex_unlock(&v->lock);
	return ret;
}

static const struct sysfs_attr_ops rw_ops = { .show = val_show, .store = val_store };
static const struct sysfs_attr_ops ro_ops = { .show = val_show };
static const struct sysfs_attr_ops wo_ops = { .store = val_store };

/* ---- a binary attribute over a fixed buffer ---- */

struct bin_attr {
	uint8_t data[3 * SYSFS_PAGE_SIZE];
	size_t size;
	size_t last_count;
	uint64_t last_off;
};

static ssize_t bin_read(void *priv, char *buf, size_t count, uint64_t off)
{
	struct bin_attr *b = priv;

	b->last_count = count;
	b->last_off = off;
	if (off >= b->size)
		return 0;
	if (count > b->size - off)
		count = b->size - (size_t)off;
	memcpy(buf, b->data + off, count);
	return (ssize_t)count;
}

static ssize_t bin_write(void *priv, const struct sysfs_cred *cred, const char *buf, size_t count,
			 uint64_t off)
{
	struct bin_attr *b = priv;

	b->last_count = count;
	b->last_off = off;
	if (off + count > sizeof(b->data))
		return -EFBIG;
	memcpy(b->data + off, buf, count);
	if (off + count > b->size)
		b->size = (size_t)(off + count);
	return (ssize_t)count;
}

static const struct sysfs_attr_ops bin_ops = { .read = bin_read, .write = bin_write };

/* ---- helpers ---- */

static int open_err(struct sysfs_tree *t, const char *path, int flags, const struct sysfs_cred *c)
{
	struct sysfs_file *f = NULL;
	int ret = sysfs_open(t, path, flags, c, &f);

	if (!ret)
		sysfs_close(f);
	return ret;
}

static struct sysfs_file *open_ok(struct sysfs_tree *t, const char *path, int flags)
{
	struct sysfs_file *f = NULL;

	assert_int_equal(sysfs_open(t, path, flags, &sysfs_cred_root, &f), 0);
	assert_non_null(f);
	return f;
}

static void msleep(unsigned int ms)
{
	const struct kthread_ops *kt = kthread_default_ops();

	kt->sleep_us(kt->ctx, ms * 1000ull);
}

/* ---- structure ---- */

struct names {
	char buf[512];
	int count;
	int stop_after;
};

static int collect(void *arg, const char *name, const struct sysfs_stat *st)
{
	struct names *n = arg;

	strcat(n->buf, name);
	strcat(n->buf, st->type == SYSFS_DIR ? "/ " : st->type == SYSFS_LINK ? "@ " : " ");
	n->count++;
	return n->stop_after && n->count == n->stop_after ? 7 : 0;
}

static void test_structure(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct sysfs_node *root = sysfs_root(t), *d, *dev;
	struct val_attr v;
	struct bin_attr b = { 0 };
	struct sysfs_stat st;
	struct names n = { 0 };
	char buf[64];

	val_init(&v, "x\n");
	dev = sysfs_mkdir(root, "devices/faux/dev0");
	assert_non_null(dev);
	assert_ptr_equal(sysfs_mkdir(root, "devices/faux/dev0"), dev);
	assert_ptr_equal(sysfs_mkdir(root, "/devices//faux/dev0/"), dev);
	assert_null(sysfs_create_dir(sysfs_mkdir(root, "devices/faux"), "dev0"));
	d = sysfs_create_dir(dev, "sub");
	assert_non_null(d);

	assert_non_null(sysfs_create_file(dev, "text", 0644, &rw_ops, &v, false));
	assert_non_null(sysfs_create_file(dev, "blob", 0600, &bin_ops, &b, true));
	assert_null(sysfs_create_file(dev, "text", 0644, &rw_ops, &v, false));
	assert_null(sysfs_create_file(dev, "a/b", 0644, &rw_ops, &v, false));
	assert_null(sysfs_create_file(dev, "..", 0644, &rw_ops, &v, false));
	assert_null(sysfs_mkdir(dev, "text/x"));
	assert_non_null(sysfs_create_link(dev, "lnk", "sub"));
	assert_null(sysfs_create_link(dev, "lnk", "sub"));

	assert_int_equal(sysfs_stat(t, "devices/faux/dev0/text", true, &st), 0);
	assert_int_equal(st.type, SYSFS_FILE);
	assert_int_equal(st.mode, 0644);
	assert_int_equal(st.size, 4096);
	assert_int_equal(sysfs_stat(t, "/devices/faux/dev0/blob", true, &st), 0);
	assert_int_equal(st.mode, 0600);
	assert_int_equal(st.size, 0);
	assert_int_equal(sysfs_stat(t, "devices/faux/dev0", true, &st), 0);
	assert_int_equal(st.type, SYSFS_DIR);
	assert_int_equal(st.mode, 0755);
	assert_int_equal(sysfs_stat(t, "devices/faux/dev0/lnk", false, &st), 0);
	assert_int_equal(st.type, SYSFS_LINK);
	assert_int_equal(st.mode, 0777);
	assert_int_equal(sysfs_stat(t, "devices/faux/dev0/lnk", true, &st), 0);
	assert_int_equal(st.type, SYSFS_DIR);
	assert_int_equal(sysfs_stat(t, "devices/nope", true, &st), -ENOENT);

	assert_int_equal(sysfs_readlink(t, "devices/faux/dev0/lnk", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "sub");
	assert_int_equal(sysfs_readlink(t, "devices/faux/dev0/text", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(sysfs_readlink(t, "devices/faux/dev0/nope", buf, sizeof(buf)), -ENOENT);

	/* creation order, with type markers */
	assert_int_equal(sysfs_readdir(t, "devices/faux/dev0", collect, &n), 0);
	assert_string_equal(n.buf, "sub/ text blob lnk@ ");
	memset(&n, 0, sizeof(n));
	n.stop_after = 2;
	assert_int_equal(sysfs_readdir(t, "devices/faux/dev0", collect, &n), 7);
	assert_int_equal(n.count, 2);
	assert_int_equal(sysfs_readdir(t, "devices/faux/dev0/text", collect, &n), -ENOTDIR);
	assert_int_equal(sysfs_readdir(t, "devices/none", collect, &n), -ENOENT);
	memset(&n, 0, sizeof(n));
	assert_int_equal(sysfs_readdir(t, "devices/faux/dev0/lnk", collect, &n), 0);
	assert_int_equal(n.count, 0);

	sysfs_tree_destroy(t);
}

/* ---- text attributes ---- */

static void test_text_read_from_show_buffer(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct val_attr v;
	struct sysfs_file *f;
	char buf[64];

	val_init(&v, "hello world\n");
	sysfs_create_file(sysfs_root(t), "attr", 0644, &rw_ops, &v, false);
	f = open_ok(t, "attr", O_RDONLY);

	/* short read at 0 runs show once */
	assert_int_equal(sysfs_read(f, buf, 5, 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(v.show_calls, 1);
	/* later offsets come from the same page, even after the value changes */
	val_set(&v, "HELLO WORLD\n");
	assert_int_equal(sysfs_read(f, buf, sizeof(buf), 5), 7);
	assert_memory_equal(buf, " world\n", 7);
	assert_int_equal(sysfs_read(f, buf, sizeof(buf), 12), 0);
	assert_int_equal(sysfs_read(f, buf, sizeof(buf), 100), 0);
	assert_int_equal(v.show_calls, 1);
	/* offset 0 starts over with a new show */
	assert_int_equal(sysfs_read(f, buf, sizeof(buf), 0), 12);
	assert_memory_equal(buf, "HELLO WORLD\n", 12);
	assert_int_equal(v.show_calls, 2);
	/* a first read at an offset also runs show */
	sysfs_close(f);
	f = open_ok(t, "attr", O_RDONLY);
	assert_int_equal(sysfs_read(f, buf, sizeof(buf), 6), 6);
	assert_memory_equal(buf, "WORLD\n", 6);
	assert_int_equal(v.show_calls, 3);
	/* a read-only open may not write */
	assert_int_equal(sysfs_write(f, "x", 1, 0), -EBADF);
	sysfs_close(f);

	/* whole-file convenience, NUL-terminated, truncated to the buffer */
	assert_int_equal(sysfs_read_file(t, "attr", &sysfs_cred_root, buf, sizeof(buf)), 12);
	assert_string_equal(buf, "HELLO WORLD\n");
	assert_int_equal(sysfs_read_file(t, "attr", &sysfs_cred_root, buf, 4), 3);
	assert_string_equal(buf, "HEL");
	sysfs_tree_destroy(t);
}

static void test_text_show_errors_and_overflow(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct val_attr v;
	char *big = malloc(SYSFS_PAGE_SIZE + 1);
	ssize_t n;

	val_init(&v, "");
	sysfs_create_file(sysfs_root(t), "attr", 0444, &ro_ops, &v, false);
	v.show_ret = -EIO;
	assert_int_equal(sysfs_read_file(t, "attr", &sysfs_cred_root, big, 16), -EIO);
	v.show_ret = 0;
	/* empty show: empty file */
	assert_int_equal(sysfs_read_file(t, "attr", &sysfs_cred_root, big, 16), 0);
	/* a full page is taken as overflow: PAGE_SIZE - 1 bytes are kept */
	memset(v.value, 'a', SYSFS_PAGE_SIZE);
	v.value[SYSFS_PAGE_SIZE] = '\0';
	n = sysfs_read_file(t, "attr", &sysfs_cred_root, big, SYSFS_PAGE_SIZE + 1);
	assert_int_equal(n, SYSFS_PAGE_SIZE - 1);
	free(big);
	sysfs_tree_destroy(t);
}

static void test_text_store_gets_each_write(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	char *big = malloc(5000);
	struct val_attr v;
	struct sysfs_file *f;

	val_init(&v, "");
	sysfs_create_file(sysfs_root(t), "attr", 0644, &rw_ops, &v, false);
	f = open_ok(t, "attr", O_WRONLY);

	/* the offset is ignored: the store sees the write, NUL-terminated */
	assert_int_equal(sysfs_write(f, "abc", 3, 100), 3);
	assert_int_equal(v.store_calls, 1);
	assert_string_equal(v.last_store, "abc");
	assert_int_equal(v.last_count, 3);
	assert_true(v.last_terminated);
	assert_int_equal(sysfs_write(f, "1\n", 2, 3), 2);
	assert_string_equal(v.last_store, "1\n");
	/* zero bytes: nothing reaches the store */
	assert_int_equal(sysfs_write(f, "", 0, 0), 0);
	assert_int_equal(v.store_calls, 2);
	/* more than a page: the store gets the first page; a short write */
	memset(big, 'z', 5000);
	assert_int_equal(sysfs_write(f, big, 5000, 0), SYSFS_PAGE_SIZE);
	assert_int_equal(v.last_count, SYSFS_PAGE_SIZE);
	assert_true(v.last_terminated);
	/* the store's error is the write's */
	v.store_ret = -EINVAL;
	assert_int_equal(sysfs_write(f, "x", 1, 0), -EINVAL);
	/* a write-only open may not read */
	assert_int_equal(sysfs_read(f, big, 10, 0), -EBADF);
	sysfs_close(f);

	v.store_ret = 0;
	assert_int_equal(sysfs_write_file(t, "attr", &sysfs_cred_root, "hello", 5), 5);
	assert_string_equal(v.last_store, "hello");
	free(big);
	sysfs_tree_destroy(t);
}

/* ---- binary attributes ---- */

static void test_bin_offsets(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct bin_attr *b = calloc(1, sizeof(*b));
	uint8_t *src = calloc(1, 4 * SYSFS_PAGE_SIZE), *dst = malloc(10001);
	struct sysfs_file *f;
	char buf[16];
	size_t i;

	sysfs_create_file(sysfs_root(t), "blob", 0644, &bin_ops, b, true);
	f = open_ok(t, "blob", O_RDWR);
	assert_int_equal(sysfs_write(f, "abcdef", 6, 10), 6);
	assert_int_equal(b->last_off, 10);
	assert_int_equal(b->size, 16);
	assert_int_equal(sysfs_read(f, buf, 3, 12), 3);
	assert_memory_equal(buf, "cde", 3);
	assert_int_equal(b->last_off, 12);
	assert_int_equal(sysfs_read(f, buf, 16, 16), 0);
	/* zero-length reads and writes never reach the handler */
	b->last_count = 99;
	assert_int_equal(sysfs_read(f, buf, 0, 0), 0);
	assert_int_equal(sysfs_write(f, buf, 0, 0), 0);
	assert_int_equal(b->last_count, 99);
	/* a page at most per call */
	for (i = 0; i < 10000; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(sysfs_write(f, (char *)src, 10000, 0), SYSFS_PAGE_SIZE);
	assert_int_equal(b->last_count, SYSFS_PAGE_SIZE);
	assert_int_equal(sysfs_read(f, (char *)dst, 10000, 0), SYSFS_PAGE_SIZE);
	assert_int_equal(b->last_count, SYSFS_PAGE_SIZE);
	sysfs_close(f);

	/* the conveniences loop, as cat does */
	assert_int_equal(sysfs_write_file(t, "blob", &sysfs_cred_root, src, 10000), 10000);
	assert_int_equal(sysfs_read_file(t, "blob", &sysfs_cred_root, (char *)dst, 10001), 10000);
	assert_memory_equal(src, dst, 10000);
	/* a handler error stops the loop */
	assert_int_equal(sysfs_write_file(t, "blob", &sysfs_cred_root, src, 3 * SYSFS_PAGE_SIZE + 1),
			 -EFBIG);
	free(src);
	free(dst);
	free(b);
	sysfs_tree_destroy(t);
}

/* ---- path resolution ---- */

static void test_open_paths_and_links(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct sysfs_node *root = sysfs_root(t), *dev, *cls;
	struct val_attr v;
	char buf[64];

	val_init(&v, "v\n");
	dev = sysfs_mkdir(root, "devices/faux/tdx_host");
	sysfs_create_file(sysfs_mkdir(dev, "firmware/tdx_module"), "status", 0444, &ro_ops, &v,
			  false);
	sysfs_create_file(dev, "version", 0444, &ro_ops, &v, false);
	cls = sysfs_mkdir(root, "class/firmware");
	sysfs_create_link(cls, "tdx_module", "../../devices/faux/tdx_host/firmware/tdx_module");
	sysfs_create_link(cls, "abs", "/devices/faux/tdx_host");
	sysfs_create_link(cls, "chain", "tdx_module");
	sysfs_create_link(cls, "loop1", "loop2");
	sysfs_create_link(cls, "loop2", "loop1");
	sysfs_create_link(cls, "dangling", "../nowhere");
	sysfs_create_link(cls, "filelink", "../../devices/faux/tdx_host/version");

	assert_int_equal(sysfs_read_file(t, "class/firmware/tdx_module/status", &sysfs_cred_root,
					 buf, sizeof(buf)), 2);
	assert_int_equal(sysfs_read_file(t, "/class/firmware/chain/status", &sysfs_cred_root, buf,
					 sizeof(buf)), 2);
	assert_int_equal(sysfs_read_file(t, "class/firmware/abs/version", &sysfs_cred_root, buf,
					 sizeof(buf)), 2);
	assert_int_equal(sysfs_read_file(t, "class/firmware/filelink", &sysfs_cred_root, buf,
					 sizeof(buf)), 2);
	/* ".." after a link is the physical parent, as in the VFS */
	assert_int_equal(sysfs_read_file(t, "class/firmware/tdx_module/../../version",
					 &sysfs_cred_root, buf, sizeof(buf)), 2);
	assert_int_equal(sysfs_read_file(t, "/../devices/./faux/tdx_host/version", &sysfs_cred_root,
					 buf, sizeof(buf)), 2);

	assert_int_equal(open_err(t, "class/firmware/nope", O_RDONLY, &sysfs_cred_root), -ENOENT);
	assert_int_equal(open_err(t, "class/firmware/dangling", O_RDONLY, &sysfs_cred_root),
			 -ENOENT);
	assert_int_equal(open_err(t, "class/firmware/loop1", O_RDONLY, &sysfs_cred_root), -ELOOP);
	assert_int_equal(open_err(t, "class/firmware/tdx_module", O_RDONLY, &sysfs_cred_root),
			 -EISDIR);
	assert_int_equal(open_err(t, "devices", O_RDONLY, &sysfs_cred_root), -EISDIR);
	assert_int_equal(open_err(t, "", O_RDONLY, &sysfs_cred_root), -EISDIR);
	assert_int_equal(open_err(t, "devices/faux/tdx_host/version/x", O_RDONLY, &sysfs_cred_root),
			 -ENOTDIR);
	assert_int_equal(open_err(t, "devices/faux/tdx_host/version/", O_RDONLY, &sysfs_cred_root),
			 -ENOTDIR);
	assert_int_equal(open_err(t, "class/firmware/filelink/", O_RDONLY, &sysfs_cred_root),
			 -ENOTDIR);
	assert_int_equal(open_err(t, "devices/faux/tdx_host/version/..", O_RDONLY,
				  &sysfs_cred_root), -ENOTDIR);
	sysfs_tree_destroy(t);
}

/* ---- permissions ---- */

static void test_open_permissions(void **state)
{
	static const struct sysfs_cred root_norawio = { .uid = 0, .cap_sys_rawio = false };
	struct sysfs_tree *t = sysfs_tree_create();
	struct sysfs_node *r = sysfs_root(t);
	struct bin_attr *b = calloc(1, sizeof(*b));
	struct val_attr v;

	val_init(&v, "v\n");
	sysfs_create_file(r, "rw", 0644, &rw_ops, &v, false);
	sysfs_create_file(r, "ro", 0444, &ro_ops, &v, false);
	sysfs_create_file(r, "wo", 0200, &wo_ops, &v, false);
	sysfs_create_file(r, "admin", 0400, &ro_ops, &v, false);
	sysfs_create_file(r, "rw_no_store", 0644, &ro_ops, &v, false);
	sysfs_create_file(r, "ro_with_store", 0444, &rw_ops, &v, false);
	sysfs_create_file(r, "open_rw", 0666, &rw_ops, &v, false);
	sysfs_create_file(r, "bin", 0644, &bin_ops, b, true);
	sysfs_create_file(r, "bin_ro", 0644, &(struct sysfs_attr_ops){ .read = bin_read }, b, true);

	/* root: mode bits do not bind, but kernfs wants a bit and a handler */
	assert_int_equal(open_err(t, "rw", O_RDWR, &sysfs_cred_root), 0);
	assert_int_equal(open_err(t, "ro", O_RDONLY, &sysfs_cred_root), 0);
	assert_int_equal(open_err(t, "ro", O_WRONLY, &sysfs_cred_root), -EACCES);
	assert_int_equal(open_err(t, "ro", O_RDWR, &sysfs_cred_root), -EACCES);
	assert_int_equal(open_err(t, "wo", O_WRONLY, &sysfs_cred_root), 0);
	assert_int_equal(open_err(t, "wo", O_RDONLY, &sysfs_cred_root), -EACCES);
	assert_int_equal(open_err(t, "admin", O_RDONLY, &sysfs_cred_root), 0);
	assert_int_equal(open_err(t, "admin", O_RDONLY, &root_norawio), 0);
	assert_int_equal(open_err(t, "rw_no_store", O_WRONLY, &sysfs_cred_root), -EACCES);
	assert_int_equal(open_err(t, "ro_with_store", O_WRONLY, &sysfs_cred_root), -EACCES);
	assert_int_equal(open_err(t, "bin", O_RDWR, &sysfs_cred_root), 0);
	assert_int_equal(open_err(t, "bin_ro", O_WRONLY, &sysfs_cred_root), -EACCES);

	/* anyone else: the "other" bits, then the same handler checks */
	assert_int_equal(open_err(t, "rw", O_RDONLY, &sysfs_cred_user), 0);
	assert_int_equal(open_err(t, "rw", O_WRONLY, &sysfs_cred_user), -EACCES);
	assert_int_equal(open_err(t, "rw", O_RDWR, &sysfs_cred_user), -EACCES);
	assert_int_equal(open_err(t, "ro", O_RDONLY, &sysfs_cred_user), 0);
	assert_int_equal(open_err(t, "wo", O_WRONLY, &sysfs_cred_user), -EACCES);
	assert_int_equal(open_err(t, "admin", O_RDONLY, &sysfs_cred_user), -EACCES);
	assert_int_equal(open_err(t, "open_rw", O_RDWR, &sysfs_cred_user), 0);
	assert_int_equal(open_err(t, "bin", O_RDONLY, &sysfs_cred_user), 0);
	assert_int_equal(open_err(t, "bin", O_WRONLY, &sysfs_cred_user), -EACCES);

	/* a user can still reach a file through a link */
	sysfs_create_link(r, "lnk", "rw");
	assert_int_equal(open_err(t, "lnk", O_RDONLY, &sysfs_cred_user), 0);
	assert_int_equal(open_err(t, "lnk", O_WRONLY, &sysfs_cred_user), -EACCES);

	assert_int_equal(sysfs_read_file(t, "admin", &sysfs_cred_user, (char[8]){ 0 }, 8), -EACCES);
	assert_int_equal(sysfs_write_file(t, "ro", &sysfs_cred_root, "1", 1), -EACCES);
	free(b);
	sysfs_tree_destroy(t);
}

/* ---- removal ---- */

static void test_remove_hides_and_kills_open_files(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct sysfs_node *dev, *sub;
	struct bin_attr *b = calloc(1, sizeof(*b));
	struct sysfs_file *ft, *fb;
	struct val_attr v;
	struct sysfs_stat st;
	char buf[16];

	val_init(&v, "v\n");
	dev = sysfs_mkdir(sysfs_root(t), "devices/dev0");
	sub = sysfs_mkdir(dev, "sub");
	sysfs_create_file(sub, "attr", 0644, &rw_ops, &v, false);
	sysfs_create_file(sub, "blob", 0644, &bin_ops, b, true);
	sysfs_create_link(sysfs_mkdir(sysfs_root(t), "class"), "dev0", "../devices/dev0");

	ft = open_ok(t, "devices/dev0/sub/attr", O_RDWR);
	fb = open_ok(t, "class/dev0/sub/blob", O_RDWR);
	assert_int_equal(sysfs_read(ft, buf, sizeof(buf), 0), 2);

	sysfs_remove(dev);
	assert_int_equal(open_err(t, "devices/dev0/sub/attr", O_RDONLY, &sysfs_cred_root), -ENOENT);
	assert_int_equal(open_err(t, "class/dev0/sub/attr", O_RDONLY, &sysfs_cred_root), -ENOENT);
	assert_int_equal(sysfs_stat(t, "devices/dev0", true, &st), -ENOENT);
	assert_int_equal(sysfs_stat(t, "class/dev0", false, &st), 0);
	assert_int_equal(sysfs_read(ft, buf, sizeof(buf), 0), -ENODEV);
	assert_int_equal(sysfs_read(ft, buf, sizeof(buf), 1), -ENODEV);
	assert_int_equal(sysfs_write(ft, "1", 1, 0), -ENODEV);
	assert_int_equal(sysfs_read(fb, buf, sizeof(buf), 0), -ENODEV);
	assert_int_equal(sysfs_write(fb, "1", 1, 0), -ENODEV);
	assert_int_equal(v.store_calls, 0);

	/* removing again, or a part removed with its parent, is harmless */
	sysfs_remove(dev);
	sysfs_remove(sub);
	sysfs_remove(NULL);
	sysfs_remove(sysfs_root(t));
	assert_null(sysfs_create_file(sub, "new", 0644, &rw_ops, &v, false));
	assert_null(sysfs_mkdir(sub, "x"));
	/* the name is free again */
	assert_non_null(sysfs_mkdir(sysfs_root(t), "devices/dev0"));
	sysfs_close(ft);
	sysfs_close(fb);
	free(b);
	sysfs_tree_destroy(t);
}

/* A handler that blocks until released, to hold an active reference. */
struct blocker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool entered;
	bool release;
	bool finished;
};

static ssize_t blocking_show(void *priv, char *buf)
{
	struct blocker *b = priv;

	pthread_mutex_lock(&b->lock);
	b->entered = true;
	pthread_cond_broadcast(&b->cond);
	while (!b->release)
		pthread_cond_wait(&b->cond, &b->lock);
	b->finished = true;
	pthread_mutex_unlock(&b->lock);
	memcpy(buf, "ok\n", 3);
	return 3;
}

static const struct sysfs_attr_ops blocking_ops = { .show = blocking_show };

struct remover {
	struct sysfs_node *node;
	struct blocker *b;
	atomic_bool returned;
	bool handler_finished_at_return;
};

static void *remover_thread(void *arg)
{
	struct remover *r = arg;

	sysfs_remove(r->node);
	pthread_mutex_lock(&r->b->lock);
	r->handler_finished_at_return = r->b->finished;
	pthread_mutex_unlock(&r->b->lock);
	atomic_store(&r->returned, true);
	return NULL;
}

struct reader {
	struct sysfs_file *f;
	ssize_t ret;
	char buf[8];
};

static void *reader_thread(void *arg)
{
	struct reader *rd = arg;

	rd->ret = sysfs_read(rd->f, rd->buf, sizeof(rd->buf), 0);
	return NULL;
}

static void remove_while_handler_runs(bool relax_ops)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct blocker b = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct remover r = { .b = &b };
	struct reader rd = { 0 };
	pthread_t rt, mt;
	int i, err = 0;

	if (relax_ops)
		sysfs_tree_set_kthread_ops(t, kthread_default_ops());
	r.node = sysfs_mkdir(sysfs_root(t), "devices/dev0");
	sysfs_create_file(r.node, "slow", 0444, &blocking_ops, &b, false);
	rd.f = open_ok(t, "devices/dev0/slow", O_RDONLY);

	/* reader enters the handler and blocks there */
	assert_int_equal(pthread_create(&rt, NULL, reader_thread, &rd), 0);
	pthread_mutex_lock(&b.lock);
	while (!b.entered)
		pthread_cond_wait(&b.cond, &b.lock);
	pthread_mutex_unlock(&b.lock);

	/* the remover hides the node at once, then must wait for the handler */
	assert_int_equal(pthread_create(&mt, NULL, remover_thread, &r), 0);
	for (i = 0; i < POLL_STEPS; i++) {
		err = open_err(t, "devices/dev0/slow", O_RDONLY, &sysfs_cred_root);
		if (err == -ENOENT)
			break;
		msleep(1);
	}
	assert_int_equal(err, -ENOENT);
	assert_false(atomic_load(&r.returned));

	pthread_mutex_lock(&b.lock);
	b.release = true;
	pthread_cond_broadcast(&b.cond);
	pthread_mutex_unlock(&b.lock);
	pthread_join(mt, NULL);
	pthread_join(rt, NULL);

	assert_true(atomic_load(&r.returned));
	assert_true(r.handler_finished_at_return);
	/* the read that was under way completes; the next one cannot start */
	assert_int_equal(rd.ret, 3);
	assert_memory_equal(rd.buf, "ok\n", 3);
	assert_int_equal(sysfs_read(rd.f, rd.buf, sizeof(rd.buf), 0), -ENODEV);
	sysfs_close(rd.f);
	sysfs_tree_destroy(t);
}

static void test_remove_drains_running_handler(void **state)
{
	remove_while_handler_runs(false);
}

static void test_remove_drains_with_kthread_relax(void **state)
{
	remove_while_handler_runs(true);
}

/* Readers hammer a file while it is removed: each sees data or an error. */
struct hammer {
	struct sysfs_tree *t;
	atomic_int ok;
	atomic_int gone;
	atomic_int bad;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;
	char buf[16];
	int i;

	for (i = 0; i < 2000; i++) {
		struct sysfs_file *f;
		ssize_t n;
		int ret = sysfs_open(h->t, "class/d/attr", O_RDONLY, &sysfs_cred_root, &f);

		if (ret) {
			atomic_fetch_add(ret == -ENOENT ? &h->gone : &h->bad, 1);
			continue;
		}
		n = sysfs_read(f, buf, sizeof(buf), 0);
		if (n == 2)
			atomic_fetch_add(&h->ok, 1);
		else
			atomic_fetch_add(n == -ENODEV ? &h->gone : &h->bad, 1);
		sysfs_close(f);
	}
	return NULL;
}

static void test_concurrent_readers_and_remove(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct hammer h = { .t = t };
	struct sysfs_node *dev;
	struct val_attr v;
	pthread_t th[4];
	int i;

	val_init(&v, "v\n");
	dev = sysfs_mkdir(sysfs_root(t), "devices/d");
	sysfs_create_file(dev, "attr", 0444, &ro_ops, &v, false);
	sysfs_create_link(sysfs_mkdir(sysfs_root(t), "class"), "d", "../devices/d");
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_thread, &h), 0);
	for (i = 0; i < POLL_STEPS && !atomic_load(&h.ok); i++)
		msleep(1);
	sysfs_remove(dev);
	/* once remove returned, no show is running or will run */
	pthread_mutex_lock(&v.lock);
	v.dead = true;
	pthread_mutex_unlock(&v.lock);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(v.calls_when_dead, 0);
	assert_int_equal(atomic_load(&h.bad), 0);
	assert_int_equal(atomic_load(&h.ok) + atomic_load(&h.gone), 4 * 2000);
	sysfs_tree_destroy(t);
}

static void test_destroy_with_open_file(void **state)
{
	struct sysfs_tree *t = sysfs_tree_create();
	struct sysfs_file *f;
	struct val_attr v;
	char buf[8];

	val_init(&v, "v\n");
	sysfs_create_file(sysfs_root(t), "attr", 0644, &rw_ops, &v, false);
	f = open_ok(t, "attr", O_RDWR);
	sysfs_tree_destroy(t);
	/* the tree lingers for the open file, which is dead */
	assert_int_equal(sysfs_read(f, buf, sizeof(buf), 0), -ENODEV);
	assert_int_equal(sysfs_write(f, "1", 1, 0), -ENODEV);
	sysfs_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_text_read_from_show_buffer),
		cmocka_unit_test(test_text_show_errors_and_overflow),
		cmocka_unit_test(test_text_store_gets_each_write),
		cmocka_unit_test(test_bin_offsets),
		cmocka_unit_test(test_open_paths_and_links),
		cmocka_unit_test(test_open_permissions),
		cmocka_unit_test(test_remove_hides_and_kills_open_files),
		cmocka_unit_test(test_remove_drains_running_handler),
		cmocka_unit_test(test_remove_drains_with_kthread_relax),
		cmocka_unit_test(test_concurrent_readers_and_remove),
		cmocka_unit_test(test_destroy_with_open_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
