// SPDX-License-Identifier: MIT
/*
 * The generic firmware-upload core (kernel.md 9): the loader files of
 * drivers/base/firmware_loader/sysfs.c (loading, data) and the upload files
 * of sysfs_upload.c (status, error, remaining_size, cancel), and the worker
 * that feeds the image to the driver's ops.
 *
 * Locking mirrors the kernel's:
 * - fw_lock (the loader's global fw_lock, here per upload device) guards
 *   the load state and the data buffer;
 * - lock (fwlp->lock) guards progress, the recorded error and
 *   remaining_size, and is held around the driver's cancel op;
 * - worker_lock serialises starting and joining the worker thread.
 * Order: fw_lock before lock. The worker reads the buffer without fw_lock:
 * while an upload runs the state is DONE, which keeps every writer out.
 *
 * Lifetime: unregister cancels and joins the worker, removes the files
 * (which waits for running handlers), then frees.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/fw_upload.h"

#define fallthrough	__attribute__((__fallthrough__))

/*
 * The kernel grows the buffer page by page with no limit but memory. The
 * emulator refuses writes past this size with -ENOMEM and leaves the state
 * alone (a bad write changes nothing); a real allocation failure aborts the
 * load as fw_realloc_pages() does. Images are a few MiB at most.
 */
#define FW_DATA_MAX	(64u << 20)

enum fw_state {
	FW_STATE_UNKNOWN,	/* fw_state_init() */
	FW_STATE_LOADING,
	FW_STATE_DONE,
	FW_STATE_ABORTED,
};

struct fw_upload_core {
	struct fw_upload fwl;
	const struct fw_upload_ops *ops;
	const struct kthread_ops *kt;
	char *name;
	struct sysfs_node *dir;
	struct sysfs_node *link;

	pthread_mutex_t fw_lock;
	enum fw_state state;
	uint8_t *buf;
	size_t size;
	size_t allocated;

	pthread_mutex_t lock;
	enum fw_upload_prog progress;
	enum fw_upload_prog err_progress;
	enum fw_upload_err err_code;
	uint32_t remaining_size;
	const uint8_t *data;

	pthread_mutex_t worker_lock;
	void *worker;
};

static const char *const prog_str[FW_UPLOAD_PROG_MAX] = {
	[FW_UPLOAD_PROG_IDLE]		= "idle",
	[FW_UPLOAD_PROG_RECEIVING]	= "receiving",
	[FW_UPLOAD_PROG_PREPARING]	= "preparing",
	[FW_UPLOAD_PROG_TRANSFERRING]	= "transferring",
	[FW_UPLOAD_PROG_PROGRAMMING]	= "programming",
};

static const char *const err_str[FW_UPLOAD_ERR_MAX] = {
	[FW_UPLOAD_ERR_NONE]		= "none",
	[FW_UPLOAD_ERR_HW_ERROR]	= "hw-error",
	[FW_UPLOAD_ERR_TIMEOUT]		= "timeout",
	[FW_UPLOAD_ERR_CANCELED]	= "user-abort",
	[FW_UPLOAD_ERR_BUSY]		= "device-busy",
	[FW_UPLOAD_ERR_INVALID_SIZE]	= "invalid-file-size",
	[FW_UPLOAD_ERR_RW_ERROR]	= "read-write-error",
	[FW_UPLOAD_ERR_WEAROUT]		= "flash-wearout",
	[FW_UPLOAD_ERR_FW_INVALID]	= "firmware-invalid",
};

const char *fw_upload_prog_str(enum fw_upload_prog prog)
{
	/* unsigned: a bogus negative value is out of range too */
	if ((unsigned int)prog < FW_UPLOAD_PROG_MAX)
		return prog_str[prog];
	return "unknown-status";
}

const char *fw_upload_err_str(enum fw_upload_err err)
{
	if ((unsigned int)err < FW_UPLOAD_ERR_MAX)
		return err_str[err];
	return "unknown-error";
}

static struct fw_upload_core *to_core(void *priv)
{
	return priv;
}

/*
 * kstrtobool() of current kernels: the first character decides (1/y/t
 * true, 0/n/f false, case-insensitive), "on"/"off" need two.
 */
static int kstrtobool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y': case 'Y': case 't': case 'T': case '1':
		*res = true;
		return 0;
	case 'n': case 'N': case 'f': case 'F': case '0':
		*res = false;
		return 0;
	case 'o': case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		break;
	default:
		break;
	}
	return -EINVAL;
}

/*
 * simple_strtol(buf, NULL, 10) narrowed to int, as firmware_loading_store
 * reads its value: no whitespace skipping, an optional '-', digits up to the
 * first non-digit (so "abc" is 0), silent wrap-around.
 */
static int loading_value(const char *s)
{
	bool neg = *s == '-';
	uint64_t v = 0;

	if (neg)
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (uint64_t)(*s - '0');
	if (neg)
		v = -v;
	return (int)(int64_t)v;
}

/* ---- the load buffer (fw_lock held) ---- */

static void buf_free(struct fw_upload_core *core)
{
	free(core->buf);
	core->buf = NULL;
	core->size = 0;
	core->allocated = 0;
}

/* fw_grow_paged_buf: whole pages, zero-filled here. */
static int buf_grow(struct fw_upload_core *core, size_t min_size)
{
	size_t need = (min_size + SYSFS_PAGE_SIZE - 1) & ~(size_t)(SYSFS_PAGE_SIZE - 1);
	uint8_t *nb;

	if (need <= core->allocated)
		return 0;
	nb = realloc(core->buf, need);
	if (!nb)
		return -ENOMEM;
	memset(nb + core->allocated, 0, need - core->allocated);
	core->buf = nb;
	core->allocated = need;
	return 0;
}

/* ---- progress and errors ---- */

static void set_progress(struct fw_upload_core *core, enum fw_upload_prog prog)
{
	pthread_mutex_lock(&core->lock);
	core->progress = prog;
	pthread_mutex_unlock(&core->lock);
}

/* The error is recorded with the progress at the time it happened. */
static void set_error(struct fw_upload_core *core, enum fw_upload_err err)
{
	pthread_mutex_lock(&core->lock);
	core->err_progress = core->progress;
	core->err_code = err;
	pthread_mutex_unlock(&core->lock);
}

static void set_remaining(struct fw_upload_core *core, uint32_t remaining)
{
	pthread_mutex_lock(&core->lock);
	core->remaining_size = remaining;
	pthread_mutex_unlock(&core->lock);
}

/* ---- the worker (fw_upload_main) ---- */

/* Free the buffer and reset the load state, then go idle: idle comes last. */
static void fw_upload_finish(struct fw_upload_core *core)
{
	pthread_mutex_lock(&core->fw_lock);
	buf_free(core);
	core->state = FW_STATE_UNKNOWN;
	pthread_mutex_unlock(&core->fw_lock);

	pthread_mutex_lock(&core->lock);
	core->data = NULL;
	core->progress = FW_UPLOAD_PROG_IDLE;
	pthread_mutex_unlock(&core->lock);
}

static void fw_upload_main(void *arg)
{
	struct fw_upload_core *core = arg;
	const struct fw_upload_ops *ops = core->ops;
	struct fw_upload *fwl = &core->fwl;
	uint32_t written = 0, offset = 0, remaining;
	enum fw_upload_err ret;
	const uint8_t *data;

	pthread_mutex_lock(&core->lock);
	core->progress = FW_UPLOAD_PROG_PREPARING;
	data = core->data;
	remaining = core->remaining_size;
	pthread_mutex_unlock(&core->lock);

	ret = ops->prepare(fwl, data, remaining);
	if (ret != FW_UPLOAD_ERR_NONE) {
		/* a failed prepare cleans up after itself: no cleanup op */
		set_error(core, ret);
		goto out;
	}

	set_progress(core, FW_UPLOAD_PROG_TRANSFERRING);
	while (remaining) {
		ret = ops->write(fwl, data, offset, remaining, &written);
		if (ret != FW_UPLOAD_ERR_NONE || !written) {
			if (ret == FW_UPLOAD_ERR_NONE)
				ret = FW_UPLOAD_ERR_RW_ERROR;
			set_error(core, ret);
			goto cleanup;
		}
		/* A driver claiming more than was left must not wrap the count. */
		if (written > remaining)
			written = remaining;
		remaining -= written;
		offset += written;
		set_remaining(core, remaining);
	}

	set_progress(core, FW_UPLOAD_PROG_PROGRAMMING);
	ret = ops->poll_complete(fwl);
	if (ret != FW_UPLOAD_ERR_NONE)
		set_error(core, ret);

cleanup:
	if (ops->cleanup)
		ops->cleanup(fwl);
out:
	/* remaining_size stays as it is: it tells how far a failed upload got */
	fw_upload_finish(core);
}

/*
 * fw_upload_start (fw_lock held): hand a complete image to the upload
 * machinery. *launch tells the caller to start the worker once it has
 * dropped the locks, so that a scheduler-driven kthread_ops never starts a
 * thread that would block on a lock its creator holds.
 */
static int fw_upload_start(struct fw_upload_core *core, bool *launch)
{
	if (!core->size) {
		buf_free(core);
		core->state = FW_STATE_UNKNOWN;
		return 0;
	}

	pthread_mutex_lock(&core->lock);
	/* Do not interfere with an upload still finishing. */
	if (core->progress != FW_UPLOAD_PROG_IDLE) {
		pthread_mutex_unlock(&core->lock);
		return -EBUSY;
	}
	core->progress = FW_UPLOAD_PROG_RECEIVING;
	core->err_code = FW_UPLOAD_ERR_NONE;
	core->remaining_size = (uint32_t)core->size;
	core->data = core->buf;
	pthread_mutex_unlock(&core->lock);
	*launch = true;
	return 0;
}

static int fw_upload_launch(struct fw_upload_core *core)
{
	int ret;

	pthread_mutex_lock(&core->worker_lock);
	/* The previous worker went idle as its last act; joining it is brief. */
	if (core->worker) {
		core->kt->join(core->kt->ctx, core->worker);
		core->worker = NULL;
	}
	ret = core->kt->start(core->kt->ctx, fw_upload_main, core, "fw_upload", &core->worker);
	if (ret)
		core->worker = NULL;
	pthread_mutex_unlock(&core->worker_lock);

	/* queue_work cannot fail; a thread can: undo the hand-off. */
	if (ret)
		fw_upload_finish(core);
	return ret;
}

static void fw_upload_flush(struct fw_upload_core *core)
{
	pthread_mutex_lock(&core->worker_lock);
	if (core->worker) {
		core->kt->join(core->kt->ctx, core->worker);
		core->worker = NULL;
	}
	pthread_mutex_unlock(&core->worker_lock);
}

/* ---- the files ---- */

static ssize_t loading_show(void *priv, char *buf)
{
	struct fw_upload_core *core = to_core(priv);
	int loading;

	pthread_mutex_lock(&core->fw_lock);
	loading = core->state == FW_STATE_LOADING;
	pthread_mutex_unlock(&core->fw_lock);
	return snprintf(buf, SYSFS_PAGE_SIZE, "%d\n", loading);
}

/* 1: start a load, discarding partial data; 0: hand it over; -1: abort. */
static ssize_t loading_store(void *priv, const struct sysfs_cred *cred, const char *buf,
			     size_t count)
{
	struct fw_upload_core *core = to_core(priv);
	int loading = loading_value(buf);
	ssize_t written = (ssize_t)count;
	bool launch = false;
	int rc;

	pthread_mutex_lock(&core->fw_lock);
	/*
	 * Handed off (or aborted) and not yet reset by the worker: the kernel
	 * ignores the write and reports success. Note that if fw_upload_start
	 * refused with -EBUSY the state stays DONE with nothing to reset it,
	 * exactly as in the kernel.
	 */
	if (core->state == FW_STATE_DONE || core->state == FW_STATE_ABORTED)
		goto out;

	switch (loading) {
	case 1:
		buf_free(core);
		core->state = FW_STATE_LOADING;
		break;
	case 0:
		if (core->state == FW_STATE_LOADING) {
			core->state = FW_STATE_DONE;
			rc = fw_upload_start(core, &launch);
			if (rc)
				written = rc;
			break;
		}
		fallthrough;
	default:
		/* the kernel logs "unexpected value" and aborts */
		fallthrough;
	case -1:
		/* fw_load_abort() then fw_state_init(): ready for a new load */
		core->state = FW_STATE_UNKNOWN;
		break;
	}
out:
	pthread_mutex_unlock(&core->fw_lock);

	if (launch) {
		rc = fw_upload_launch(core);
		if (rc)
			written = rc;
	}
	return written;
}

static ssize_t data_read(void *priv, char *buf, size_t count, uint64_t off)
{
	struct fw_upload_core *core = to_core(priv);
	ssize_t ret;

	pthread_mutex_lock(&core->fw_lock);
	if (core->state == FW_STATE_DONE) {
		ret = -ENODEV;
		goto out;
	}
	ret = 0;
	if (off > core->size)
		goto out;
	if (count > core->size - off)
		count = core->size - (size_t)off;
	if (count)
		memcpy(buf, core->buf + off, count);
	ret = (ssize_t)count;
out:
	pthread_mutex_unlock(&core->fw_lock);
	return ret;
}

static ssize_t data_write(void *priv, const struct sysfs_cred *cred, const char *buf,
			  size_t count, uint64_t off)
{
	struct fw_upload_core *core = to_core(priv);
	ssize_t ret;

	/* firmware_data_write: capable(CAP_SYS_RAWIO) before anything else */
	if (!cred->cap_sys_rawio)
		return -EPERM;

	pthread_mutex_lock(&core->fw_lock);
	if (core->state == FW_STATE_DONE) {
		ret = -ENODEV;
		goto out;
	}
	ret = -ENOMEM;
	if (off > FW_DATA_MAX || count > FW_DATA_MAX - off)
		goto out;
	if (buf_grow(core, (size_t)off + count)) {
		/* fw_realloc_pages() -> fw_load_abort() */
		core->state = FW_STATE_ABORTED;
		goto out;
	}
	memcpy(core->buf + off, buf, count);
	if (off + count > core->size)
		core->size = (size_t)off + count;
	ret = (ssize_t)count;
out:
	pthread_mutex_unlock(&core->fw_lock);
	return ret;
}

static ssize_t status_show(void *priv, char *buf)
{
	struct fw_upload_core *core = to_core(priv);
	enum fw_upload_prog prog;

	pthread_mutex_lock(&core->lock);
	prog = core->progress;
	pthread_mutex_unlock(&core->lock);
	return snprintf(buf, SYSFS_PAGE_SIZE, "%s\n", fw_upload_prog_str(prog));
}

static ssize_t error_show(void *priv, char *buf)
{
	struct fw_upload_core *core = to_core(priv);
	ssize_t ret;

	pthread_mutex_lock(&core->lock);
	if (core->progress != FW_UPLOAD_PROG_IDLE)
		ret = -EBUSY;
	else if (!core->err_code)
		ret = 0;
	else
		ret = snprintf(buf, SYSFS_PAGE_SIZE, "%s:%s\n",
			       fw_upload_prog_str(core->err_progress),
			       fw_upload_err_str(core->err_code));
	pthread_mutex_unlock(&core->lock);
	return ret;
}

static ssize_t remaining_size_show(void *priv, char *buf)
{
	struct fw_upload_core *core = to_core(priv);
	uint32_t remaining;

	pthread_mutex_lock(&core->lock);
	remaining = core->remaining_size;
	pthread_mutex_unlock(&core->lock);
	return snprintf(buf, SYSFS_PAGE_SIZE, "%u\n", remaining);
}

static ssize_t cancel_store(void *priv, const struct sysfs_cred *cred, const char *buf,
			    size_t count)
{
	struct fw_upload_core *core = to_core(priv);
	ssize_t ret = (ssize_t)count;
	bool cancel;

	if (kstrtobool(buf, &cancel) || !cancel)
		return -EINVAL;

	pthread_mutex_lock(&core->lock);
	if (core->progress == FW_UPLOAD_PROG_IDLE)
		ret = -ENODEV;
	/* the driver hears every cancel, even with nothing to cancel */
	core->ops->cancel(&core->fwl);
	pthread_mutex_unlock(&core->lock);
	return ret;
}

static const struct sysfs_attr_ops loading_ops = {
	.show = loading_show, .store = loading_store,
};
static const struct sysfs_attr_ops data_ops = { .read = data_read, .write = data_write };
static const struct sysfs_attr_ops status_ops = { .show = status_show };
static const struct sysfs_attr_ops error_ops = { .show = error_show };
static const struct sysfs_attr_ops remaining_size_ops = { .show = remaining_size_show };
static const struct sysfs_attr_ops cancel_ops = { .store = cancel_store };

static const struct {
	const char *name;
	unsigned int mode;
	const struct sysfs_attr_ops *ops;
	bool bin;
} fw_files[] = {
	/* fw_dev_attrs order, then the bin attribute */
	{ "loading",		0644, &loading_ops,		false },
	{ "cancel",		0200, &cancel_ops,		false },
	{ "status",		0444, &status_ops,		false },
	{ "error",		0444, &error_ops,		false },
	{ "remaining_size",	0444, &remaining_size_ops,	false },
	{ "data",		0644, &data_ops,		true },
};

/* ---- registration ---- */

static void core_free(struct fw_upload_core *core)
{
	if (!core)
		return;
	pthread_mutex_destroy(&core->worker_lock);
	pthread_mutex_destroy(&core->lock);
	pthread_mutex_destroy(&core->fw_lock);
	free(core->name);
	free(core);
}

static struct fw_upload_core *core_alloc(const char *name, const struct fw_upload_ops *ops,
					 void *dd_handle, const struct kthread_ops *kt)
{
	struct fw_upload_core *core;

	core = calloc(1, sizeof(*core));
	if (!core)
		return NULL;
	core->name = strdup(name);
	if (!core->name) {
		free(core);
		return NULL;
	}
	pthread_mutex_init(&core->fw_lock, NULL);
	pthread_mutex_init(&core->lock, NULL);
	pthread_mutex_init(&core->worker_lock, NULL);
	core->ops = ops;
	core->kt = kt ? kt : kthread_default_ops();
	core->fwl.dd_handle = dd_handle;
	core->fwl.priv = core;
	return core;
}

static int create_files(struct fw_upload_core *core)
{
	size_t i;

	for (i = 0; i < sizeof(fw_files) / sizeof(fw_files[0]); i++)
		if (!sysfs_create_file(core->dir, fw_files[i].name, fw_files[i].mode,
				       fw_files[i].ops, core, fw_files[i].bin))
			return -ENOMEM;
	return 0;
}

/* class/firmware/<name> -> ../../<dev_path>[/firmware]/<name>, as Linux links */
static int create_class_link(struct fw_upload_core *core, struct sysfs_tree *t,
			     const char *dev_path, bool glue)
{
	struct sysfs_node *class_dir;
	size_t len;
	char *target;

	while (*dev_path == '/')
		dev_path++;
	len = strlen(dev_path);
	while (len && dev_path[len - 1] == '/')
		len--;
	if (asprintf(&target, "../../%.*s%s/%s", (int)len, dev_path, glue ? "/firmware" : "",
		     core->name) < 0)
		return -ENOMEM;
	class_dir = sysfs_mkdir(sysfs_root(t), "class/firmware");
	if (class_dir)
		core->link = sysfs_create_link(class_dir, core->name, target);
	free(target);
	if (!class_dir)
		return -ENOMEM;
	return core->link ? 0 : -EEXIST;
}

struct fw_upload *firmware_upload_register_ex(struct sysfs_tree *t, struct sysfs_node *dev,
					      const char *dev_path, const char *name,
					      const struct fw_upload_ops *ops, void *dd_handle,
					      const struct kthread_ops *kt, unsigned int flags,
					      int *err)
{
	bool glue = !(flags & FW_UPLOAD_PARENT_IS_CLASS_DEV);
	struct fw_upload_core *core = NULL;
	struct sysfs_node *parent;
	int ret = -EINVAL;

	if (!t || !dev || !dev_path || !name || !name[0])
		goto fail;
	if (!ops || !ops->cancel || !ops->prepare || !ops->write || !ops->poll_complete)
		goto fail;
	ret = -ENOMEM;
	core = core_alloc(name, ops, dd_handle, kt);
	if (!core)
		goto fail;

	ret = -ENODEV;
	parent = glue ? sysfs_mkdir(dev, "firmware") : dev;
	if (!parent)
		goto fail;
	ret = -EEXIST;
	core->dir = sysfs_create_dir(parent, name);
	if (!core->dir)
		goto fail;
	ret = create_files(core);
	if (ret)
		goto remove;
	ret = create_class_link(core, t, dev_path, glue);
	if (ret)
		goto remove;
	if (err)
		*err = 0;
	return &core->fwl;

remove:
	/* nothing was started: the files are new and idle */
	sysfs_remove(core->dir);
fail:
	core_free(core);
	if (err)
		*err = ret;
	return NULL;
}

struct fw_upload *firmware_upload_register(struct sysfs_tree *t, struct sysfs_node *dev,
					   const char *dev_path, const char *name,
					   const struct fw_upload_ops *ops, void *dd_handle,
					   const struct kthread_ops *kt)
{
	return firmware_upload_register_ex(t, dev, dev_path, name, ops, dd_handle, kt, 0, NULL);
}

static void cancel_if_busy(struct fw_upload_core *core)
{
	pthread_mutex_lock(&core->lock);
	if (core->progress != FW_UPLOAD_PROG_IDLE)
		core->ops->cancel(&core->fwl);
	pthread_mutex_unlock(&core->lock);
}

/*
 * The kernel's order: cancel, flush the worker, remove the device. Once
 * the files are gone no write can start another upload, but one may have
 * started between the flush and the removal: cancel and flush once more.
 * The "firmware" glue directory stays behind (Linux drops it when empty).
 */
void firmware_upload_unregister(struct fw_upload *fwl)
{
	struct fw_upload_core *core;

	if (!fwl)
		return;
	core = fwl->priv;
	cancel_if_busy(core);
	fw_upload_flush(core);

	sysfs_remove(core->link);
	sysfs_remove(core->dir);

	cancel_if_busy(core);
	fw_upload_flush(core);

	pthread_mutex_lock(&core->fw_lock);
	buf_free(core);
	pthread_mutex_unlock(&core->fw_lock);
	core_free(core);
}
