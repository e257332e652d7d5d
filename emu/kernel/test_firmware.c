// SPDX-License-Identifier: MIT
/*
 * The fw_upload test driver of lib/test_firmware.c, for the selftest
 * behaviours of kernel.md 11. See test_firmware.h for the files and ops.
 *
 * Locking: tf->lock is the module's test_fw_mutex (the upload list and the
 * upload_read selection). Each upload's received buffer has its own lock,
 * because the worker fills it while upload_read may show it; the kernel
 * leaves that unlocked. The cancel flag is atomic: cancel sets it from a
 * writer's thread while the worker polls it. The injection is touched only
 * by the ops the worker runs, one upload after another.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fw_upload.h"
#include "kernel/test_firmware.h"

#define FIVE_MINUTES_MS		(5 * 60 * 1000)
#define CANCEL_POLL_MS		100

struct test_upload {
	struct test_firmware *tf;
	struct test_upload *next;
	char *name;
	struct fw_upload *fwl;

	pthread_mutex_t buf_lock;
	uint8_t buf[TEST_UPLOAD_MAX_SIZE];
	size_t size;

	atomic_bool cancel_request;
	const char *inject_prog;
	enum fw_upload_err inject_err;
};

struct test_firmware {
	struct sysfs_tree *tree;
	const struct kthread_ops *kt;
	struct sysfs_node *dir;
	struct sysfs_node *class_link;
	struct sysfs_node *files[4];

	pthread_mutex_t lock;
	struct test_upload *uploads;
	struct test_upload *upload_name;	/* config_upload_name */
};

/*
 * The error names the driver recognises: lib/test_firmware.c keeps its own
 * copy of the core's table, and on 6.12 (Debian 12's linux-source-6.12,
 * make check-kernel) that copy has firmware-invalid too: it is injected
 * like the others.
 */
static const enum fw_upload_err injectable[] = {
	FW_UPLOAD_ERR_HW_ERROR, FW_UPLOAD_ERR_TIMEOUT, FW_UPLOAD_ERR_CANCELED,
	FW_UPLOAD_ERR_BUSY, FW_UPLOAD_ERR_INVALID_SIZE, FW_UPLOAD_ERR_RW_ERROR,
	FW_UPLOAD_ERR_WEAROUT, FW_UPLOAD_ERR_FW_INVALID,
};

static const char *const inject_progs[] = { "preparing:", "transferring:", "programming:" };

/* strncmp(p, prefix, strlen(prefix)) == 0, without reading past len bytes */
static bool has_prefix(const uint8_t *p, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(p, prefix, n);
}

/* ---- the ops ---- */

static void inject_parse(struct test_upload *tst, const uint8_t *p, size_t len)
{
	size_t i, j;

	for (i = 0; i < sizeof(inject_progs) / sizeof(inject_progs[0]); i++) {
		size_t n = strlen(inject_progs[i]);

		if (!has_prefix(p, len, inject_progs[i]))
			continue;
		for (j = 0; j < sizeof(injectable) / sizeof(injectable[0]); j++) {
			if (has_prefix(p + n, len - n, fw_upload_err_str(injectable[j]))) {
				tst->inject_prog = inject_progs[i];
				tst->inject_err = injectable[j];
				return;
			}
		}
		return;
	}
}

static bool inject_at(const struct test_upload *tst, const char *prog)
{
	return tst->inject_err != FW_UPLOAD_ERR_NONE && !strcmp(tst->inject_prog, prog);
}

static enum fw_upload_err wait_on_cancel(struct test_upload *tst)
{
	const struct kthread_ops *kt = tst->tf->kt;
	int ms;

	for (ms = 0; ms < FIVE_MINUTES_MS; ms += CANCEL_POLL_MS) {
		kt->sleep_us(kt->ctx, CANCEL_POLL_MS * 1000);
		if (atomic_load(&tst->cancel_request))
			return FW_UPLOAD_ERR_CANCELED;
	}
	return FW_UPLOAD_ERR_NONE;
}

static enum fw_upload_err injected(struct test_upload *tst)
{
	if (tst->inject_err == FW_UPLOAD_ERR_CANCELED)
		return wait_on_cancel(tst);
	return tst->inject_err;
}

static enum fw_upload_err upload_prepare(struct fw_upload *fwl, const uint8_t *data,
					 uint32_t size)
{
	struct test_upload *tst = fwl->dd_handle;
	enum fw_upload_err ret = FW_UPLOAD_ERR_NONE;

	atomic_store(&tst->cancel_request, false);

	if (!size || size > TEST_UPLOAD_MAX_SIZE) {
		ret = FW_UPLOAD_ERR_INVALID_SIZE;
		goto err_out;
	}
	if (has_prefix(data, size, "inject:"))
		inject_parse(tst, data + 7, size - 7);

	pthread_mutex_lock(&tst->buf_lock);
	memset(tst->buf, 0, sizeof(tst->buf));
	tst->size = size;
	pthread_mutex_unlock(&tst->buf_lock);

	if (!inject_at(tst, "preparing:"))
		return FW_UPLOAD_ERR_NONE;
	ret = injected(tst);

err_out:
	/* cleanup runs only after a successful prepare: clear it here */
	tst->inject_err = FW_UPLOAD_ERR_NONE;
	tst->inject_prog = NULL;
	return ret;
}

static enum fw_upload_err upload_write(struct fw_upload *fwl, const uint8_t *data,
				       uint32_t offset, uint32_t size, uint32_t *written)
{
	struct test_upload *tst = fwl->dd_handle;
	uint32_t blk;

	if (atomic_load(&tst->cancel_request))
		return FW_UPLOAD_ERR_CANCELED;

	blk = size < TEST_UPLOAD_BLK_SIZE ? size : TEST_UPLOAD_BLK_SIZE;
	pthread_mutex_lock(&tst->buf_lock);
	memcpy(tst->buf + offset, data + offset, blk);
	pthread_mutex_unlock(&tst->buf_lock);
	*written = blk;

	if (!inject_at(tst, "transferring:"))
		return FW_UPLOAD_ERR_NONE;
	return injected(tst);
}

static enum fw_upload_err upload_poll_complete(struct fw_upload *fwl)
{
	struct test_upload *tst = fwl->dd_handle;

	if (atomic_load(&tst->cancel_request))
		return FW_UPLOAD_ERR_CANCELED;
	if (!inject_at(tst, "programming:"))
		return FW_UPLOAD_ERR_NONE;
	return injected(tst);
}

static void upload_cancel(struct fw_upload *fwl)
{
	struct test_upload *tst = fwl->dd_handle;

	atomic_store(&tst->cancel_request, true);
}

static void upload_cleanup(struct fw_upload *fwl)
{
	struct test_upload *tst = fwl->dd_handle;

	tst->inject_err = FW_UPLOAD_ERR_NONE;
	tst->inject_prog = NULL;
}

static const struct fw_upload_ops upload_test_ops = {
	.prepare = upload_prepare,
	.write = upload_write,
	.poll_complete = upload_poll_complete,
	.cancel = upload_cancel,
	.cleanup = upload_cleanup,
};

/* ---- the misc device's files (tf->lock taken inside) ---- */

/* upload_lookup_name: the kernel matches a registered name as a prefix. */
static struct test_upload *lookup_name(struct test_firmware *tf, const char *name)
{
	struct test_upload *tst;

	for (tst = tf->uploads; tst; tst = tst->next)
		if (!strncmp(name, tst->name, strlen(tst->name)))
			return tst;
	return NULL;
}

static void upload_free(struct test_upload *tst)
{
	pthread_mutex_destroy(&tst->buf_lock);
	free(tst->name);
	free(tst);
}

/* upload_release: unregister cancels and joins a running upload first. */
static void upload_release(struct test_upload *tst)
{
	firmware_upload_unregister(tst->fwl);
	upload_free(tst);
}

static void list_del(struct test_firmware *tf, struct test_upload *tst)
{
	struct test_upload **pp;

	for (pp = &tf->uploads; *pp; pp = &(*pp)->next) {
		if (*pp == tst) {
			*pp = tst->next;
			return;
		}
	}
}

static void list_add_tail(struct test_firmware *tf, struct test_upload *tst)
{
	struct test_upload **pp;

	for (pp = &tf->uploads; *pp; pp = &(*pp)->next)
		;
	*pp = tst;
}

static ssize_t upload_register_store(void *priv, const struct sysfs_cred *cred,
				     const char *buf, size_t count)
{
	struct test_firmware *tf = priv;
	struct test_upload *tst;
	int ret;

	tst = calloc(1, sizeof(*tst));
	if (!tst)
		return -ENOMEM;
	/* kstrndup(buf, count): the name is what was written, newline and all */
	tst->name = strndup(buf, count);
	if (!tst->name) {
		free(tst);
		return -ENOMEM;
	}
	tst->tf = tf;
	pthread_mutex_init(&tst->buf_lock, NULL);
	atomic_init(&tst->cancel_request, false);

	pthread_mutex_lock(&tf->lock);
	ret = -EEXIST;
	if (lookup_name(tf, tst->name))
		goto err_unlock;
	tst->fwl = firmware_upload_register_ex(tf->tree, tf->dir, TEST_FIRMWARE_DIR, tst->name,
					       &upload_test_ops, tst, tf->kt,
					       FW_UPLOAD_PARENT_IS_CLASS_DEV, &ret);
	if (!tst->fwl)
		goto err_unlock;
	list_add_tail(tf, tst);
	pthread_mutex_unlock(&tf->lock);
	return (ssize_t)count;

err_unlock:
	pthread_mutex_unlock(&tf->lock);
	upload_free(tst);
	return ret;
}

static ssize_t upload_unregister_store(void *priv, const struct sysfs_cred *cred,
				       const char *buf, size_t count)
{
	struct test_firmware *tf = priv;
	struct test_upload *tst;
	ssize_t ret = (ssize_t)count;

	pthread_mutex_lock(&tf->lock);
	tst = lookup_name(tf, buf);
	if (!tst) {
		ret = -EINVAL;
		goto out;
	}
	if (tf->upload_name == tst)
		tf->upload_name = NULL;
	list_del(tf, tst);
	upload_release(tst);
out:
	pthread_mutex_unlock(&tf->lock);
	return ret;
}

static ssize_t config_upload_name_show(void *priv, char *buf)
{
	struct test_firmware *tf = priv;
	int len;

	pthread_mutex_lock(&tf->lock);
	/* the kernel prints a NULL name through %s: "(null)" */
	len = snprintf(buf, SYSFS_PAGE_SIZE, "%s\n",
		       tf->upload_name ? tf->upload_name->name : "(null)");
	pthread_mutex_unlock(&tf->lock);
	return len;
}

static ssize_t config_upload_name_store(void *priv, const struct sysfs_cred *cred,
					const char *buf, size_t count)
{
	struct test_firmware *tf = priv;
	struct test_upload *tst;
	ssize_t ret = (ssize_t)count;

	pthread_mutex_lock(&tf->lock);
	tst = lookup_name(tf, buf);
	if (tst)
		tf->upload_name = tst;
	else
		ret = -EINVAL;
	pthread_mutex_unlock(&tf->lock);
	return ret;
}

static ssize_t upload_read_show(void *priv, char *buf)
{
	struct test_firmware *tf = priv;
	struct test_upload *tst;
	ssize_t ret = -EINVAL;

	pthread_mutex_lock(&tf->lock);
	/* "Set config_upload_name before using upload_read" */
	tst = tf->upload_name;
	if (tst) {
		pthread_mutex_lock(&tst->buf_lock);
		memcpy(buf, tst->buf, tst->size);
		ret = (ssize_t)tst->size;
		pthread_mutex_unlock(&tst->buf_lock);
	}
	pthread_mutex_unlock(&tf->lock);
	return ret;
}

static const struct sysfs_attr_ops upload_register_ops = { .store = upload_register_store };
static const struct sysfs_attr_ops upload_unregister_ops = { .store = upload_unregister_store };
static const struct sysfs_attr_ops config_upload_name_ops = {
	.show = config_upload_name_show, .store = config_upload_name_store,
};
static const struct sysfs_attr_ops upload_read_ops = { .show = upload_read_show };

static const struct {
	const char *name;
	unsigned int mode;
	const struct sysfs_attr_ops *ops;
} tf_files[] = {
	{ "config_upload_name",	0644, &config_upload_name_ops },
	{ "upload_read",	0444, &upload_read_ops },
	{ "upload_register",	0200, &upload_register_ops },
	{ "upload_unregister",	0200, &upload_unregister_ops },
};

struct test_firmware *test_firmware_create(struct sysfs_tree *t, const struct kthread_ops *kt)
{
	struct test_firmware *tf;
	struct sysfs_node *class_dir;
	size_t i;

	tf = calloc(1, sizeof(*tf));
	if (!tf)
		return NULL;
	tf->tree = t;
	tf->kt = kt ? kt : kthread_default_ops();
	pthread_mutex_init(&tf->lock, NULL);

	tf->dir = sysfs_mkdir(sysfs_root(t), TEST_FIRMWARE_DIR);
	if (!tf->dir)
		goto err;
	for (i = 0; i < sizeof(tf_files) / sizeof(tf_files[0]); i++) {
		tf->files[i] = sysfs_create_file(tf->dir, tf_files[i].name, tf_files[i].mode,
						 tf_files[i].ops, tf, false);
		if (!tf->files[i])
			goto err;
	}
	class_dir = sysfs_mkdir(sysfs_root(t), "class/misc");
	if (class_dir)
		tf->class_link = sysfs_create_link(class_dir, "test_firmware",
						   "../../" TEST_FIRMWARE_DIR);
	if (!tf->class_link)
		goto err;
	return tf;

err:
	sysfs_remove(tf->dir);
	pthread_mutex_destroy(&tf->lock);
	free(tf);
	return NULL;
}

void test_firmware_destroy(struct test_firmware *tf)
{
	struct test_upload *tst;
	size_t i;

	if (!tf)
		return;
	/* First the control files, so no registration races with the teardown. */
	for (i = 0; i < sizeof(tf->files) / sizeof(tf->files[0]); i++)
		sysfs_remove(tf->files[i]);

	pthread_mutex_lock(&tf->lock);
	while ((tst = tf->uploads)) {
		tf->uploads = tst->next;
		upload_release(tst);
	}
	tf->upload_name = NULL;
	pthread_mutex_unlock(&tf->lock);

	sysfs_remove(tf->class_link);
	sysfs_remove(tf->dir);
	pthread_mutex_destroy(&tf->lock);
	free(tf);
}
