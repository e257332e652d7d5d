// SPDX-License-Identifier: MIT
/*
 * The generic fw_upload core (emu/kernel/fw_upload.c, kernel.md 9) through
 * the userspace file API, against a "gate" driver whose write op can be
 * held closed, so that states in the middle of an upload are observed
 * deterministically rather than raced for.
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

#include "kernel/fw_upload.h"
#include "emu/kthread.h"
#include "emu/sysfs.h"

#define DEV_PATH	"devices/faux/tdx_host"
#define FW		"class/firmware/tdx_module/"
#define POLL_STEPS	10000	/* 1 ms each: a bound, never a timing assert */

/* ---- the gate driver ---- */

struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold;		/* write blocks while set */
	bool in_write;		/* a write is blocked at the gate */
	bool cancel_opens;	/* cancel releases the gate and fails the write */
	bool canceled;
	uint32_t blk;		/* bytes per write call */
	int fail_write_at;	/* 1-based write call that fails with write_err */
	enum fw_upload_err write_err;
	bool write_zero;	/* write returns NONE having written nothing */
	enum fw_upload_err prepare_ret;
	enum fw_upload_err poll_ret;
	int prepare_calls, write_calls, poll_calls, cancel_calls, cleanup_calls;
	uint32_t prepare_size;
	uint8_t got[1 << 16];
	size_t got_size;
};

static enum fw_upload_err gate_prepare(struct fw_upload *fwl, const uint8_t *data, uint32_t size)
{
	struct gate *g = fwl->dd_handle;
	enum fw_upload_err ret;

	pthread_mutex_lock(&g->lock);
	g->prepare_calls++;
	g->prepare_size = size;
	g->got_size = 0;
	ret = g->prepare_ret;
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static enum fw_upload_err gate_write(struct fw_upload *fwl, const uint8_t *data, uint32_t offset,
				     uint32_t size, uint32_t *written)
{
	struct gate *g = fwl->dd_handle;
	enum fw_upload_err ret = FW_UPLOAD_ERR_NONE;
	uint32_t n = size < g->blk ? size : g->blk;

	pthread_mutex_lock(&g->lock);
	g->write_calls++;
	g->in_write = true;
	pthread_cond_broadcast(&g->cond);
	while (g->hold)
		pthread_cond_wait(&g->cond, &g->lock);
	g->in_write = false;
	if (g->canceled) {
		ret = FW_UPLOAD_ERR_CANCELED;
	} else if (g->write_calls == g->fail_write_at) {
		*written = n;
		ret = g->write_err;
	} else if (g->write_zero) {
		*written = 0;
	} else {
		memcpy(g->got + offset, data + offset, n);
		g->got_size = offset + n;
		*written = n;
	}
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static enum fw_upload_err gate_poll_complete(struct fw_upload *fwl)
{
	struct gate *g = fwl->dd_handle;
	enum fw_upload_err ret;

	pthread_mutex_lock(&g->lock);
	g->poll_calls++;
	ret = g->poll_ret;
	pthread_mutex_unlock(&g->lock);
	return ret;
}

static void gate_cancel(struct fw_upload *fwl)
{
	struct gate *g = fwl->dd_handle;

	pthread_mutex_lock(&g->lock);
	g->cancel_calls++;
	if (g->cancel_opens) {
		g->canceled = true;
		g->hold = false;
		pthread_cond_broadcast(&g->cond);
	}
	pthread_mutex_unlock(&g->lock);
}

static void gate_cleanup(struct fw_upload *fwl)
{
	struct gate *g = fwl->dd_handle;

	pthread_mutex_lock(&g->lock);
	g->cleanup_calls++;
	pthread_mutex_unlock(&g->lock);
}

static const struct fw_upload_ops gate_ops = {
	.prepare = gate_prepare,
	.write = gate_write,
	.poll_complete = gate_poll_complete,
	.cancel = gate_cancel,
	.cleanup = gate_cleanup,
};

static int gate_get(struct gate *g, const int *field)
{
	int v;

	pthread_mutex_lock(&g->lock);
	v = *field;
	pthread_mutex_unlock(&g->lock);
	return v;
}

static void gate_set_hold(struct gate *g, bool hold)
{
	pthread_mutex_lock(&g->lock);
	g->hold = hold;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/* ---- a kthread_ops that counts, on top of the default one ---- */

struct counting_kt {
	struct kthread_ops ops;
	atomic_int starts;
	atomic_int joins;
	int fail_start;		/* -errno to fail start with */
};

static int counting_start(void *ctx, void (*fn)(void *arg), void *arg, const char *name,
			  void **handle)
{
	struct counting_kt *c = ctx;
	const struct kthread_ops *d = kthread_default_ops();

	if (c->fail_start)
		return c->fail_start;
	atomic_fetch_add(&c->starts, 1);
	return d->start(d->ctx, fn, arg, name, handle);
}

static void counting_join(void *ctx, void *handle)
{
	struct counting_kt *c = ctx;
	const struct kthread_ops *d = kthread_default_ops();

	atomic_fetch_add(&c->joins, 1);
	d->join(d->ctx, handle);
}

static void counting_sleep_us(void *ctx, uint64_t us)
{
	kthread_default_ops()->sleep_us(NULL, us);
}

static void counting_relax(void *ctx)
{
	kthread_default_ops()->relax(NULL);
}

static uint64_t counting_now_us(void *ctx)
{
	return kthread_default_ops()->now_us(NULL);
}

static void counting_init(struct counting_kt *c)
{
	memset(c, 0, sizeof(*c));
	c->ops = (struct kthread_ops){
		.ctx = c,
		.start = counting_start,
		.join = counting_join,
		.sleep_us = counting_sleep_us,
		.relax = counting_relax,
		.now_us = counting_now_us,
	};
}

/* ---- the fixture ---- */

struct env {
	struct sysfs_tree *t;
	struct sysfs_node *dev;
	struct gate g;
	struct counting_kt kt;
	struct fw_upload *fwl;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	e->t = sysfs_tree_create();
	e->dev = sysfs_mkdir(sysfs_root(e->t), DEV_PATH);
	pthread_mutex_init(&e->g.lock, NULL);
	pthread_cond_init(&e->g.cond, NULL);
	e->g.blk = 100;
	counting_init(&e->kt);
	e->fwl = firmware_upload_register(e->t, e->dev, DEV_PATH, "tdx_module", &gate_ops, &e->g,
					  &e->kt.ops);
	assert_non_null(e->fwl);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	gate_set_hold(&e->g, false);
	firmware_upload_unregister(e->fwl);
	/* every worker started was joined */
	assert_int_equal(atomic_load(&e->kt.starts), atomic_load(&e->kt.joins));
	sysfs_tree_destroy(e->t);
	pthread_cond_destroy(&e->g.cond);
	pthread_mutex_destroy(&e->g.lock);
	free(e);
	return 0;
}

static void msleep(unsigned int ms)
{
	kthread_default_ops()->sleep_us(NULL, ms * 1000ull);
}

static ssize_t put(struct env *e, const char *file, const char *s)
{
	char path[128];

	snprintf(path, sizeof(path), FW "%s", file);
	return sysfs_write_file(e->t, path, &sysfs_cred_root, s, strlen(s));
}

static ssize_t get(struct env *e, const char *file, char *buf, size_t size)
{
	char path[128];

	snprintf(path, sizeof(path), FW "%s", file);
	return sysfs_read_file(e->t, path, &sysfs_cred_root, buf, size);
}

static void assert_file(struct env *e, const char *file, const char *expected)
{
	char buf[256];

	assert_int_equal(get(e, file, buf, sizeof(buf)), (ssize_t)strlen(expected));
	assert_string_equal(buf, expected);
}

static bool await_status(struct env *e, const char *expected)
{
	char buf[64];
	int i;

	for (i = 0; i < POLL_STEPS; i++) {
		if (get(e, "status", buf, sizeof(buf)) > 0 && !strcmp(buf, expected))
			return true;
		msleep(1);
	}
	return false;
}

static void await_in_write(struct gate *g)
{
	bool in = false;
	int i;

	for (i = 0; i < POLL_STEPS && !in; i++) {
		pthread_mutex_lock(&g->lock);
		in = g->in_write;
		pthread_mutex_unlock(&g->lock);
		if (!in)
			msleep(1);
	}
	assert_true(in);
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void upload(struct env *e, const uint8_t *img, size_t len)
{
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, img, len),
			 (ssize_t)len);
	assert_int_equal(put(e, "loading", "0\n"), 2);
}

/* ---- tests ---- */

static void test_layout(void **state)
{
	static const struct { const char *name; unsigned int mode; uint64_t size; } files[] = {
		{ "loading", 0644, 4096 }, { "cancel", 0200, 4096 }, { "status", 0444, 4096 },
		{ "error", 0444, 4096 }, { "remaining_size", 0444, 4096 }, { "data", 0644, 0 },
	};
	struct env *e = *state;
	struct sysfs_stat st;
	char buf[128], path[128];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), DEV_PATH "/firmware/tdx_module/%s", files[i].name);
		assert_int_equal(sysfs_stat(e->t, path, true, &st), 0);
		assert_int_equal(st.type, SYSFS_FILE);
		assert_int_equal(st.mode, files[i].mode);
		assert_int_equal(st.size, files[i].size);
	}
	assert_int_equal(sysfs_readlink(e->t, "class/firmware/tdx_module", buf, sizeof(buf)),
			 (int)strlen("../../" DEV_PATH "/firmware/tdx_module"));
	assert_string_equal(buf, "../../" DEV_PATH "/firmware/tdx_module");

	assert_file(e, "loading", "0\n");
	assert_file(e, "status", "idle\n");
	assert_file(e, "error", "");
	assert_file(e, "remaining_size", "0\n");
	assert_file(e, "data", "");
}

static void test_register_errors(void **state)
{
	struct env *e = *state;
	struct fw_upload_ops ops = gate_ops;
	struct sysfs_node *other;
	struct sysfs_stat st;
	int err = 0;

	ops.cancel = NULL;
	assert_null(firmware_upload_register_ex(e->t, e->dev, DEV_PATH, "x", &ops, NULL, NULL, 0,
						&err));
	assert_int_equal(err, -EINVAL);
	ops = gate_ops;
	ops.cleanup = NULL;	/* optional */
	assert_null(firmware_upload_register_ex(e->t, e->dev, DEV_PATH, "", &ops, NULL, NULL, 0,
						&err));
	assert_int_equal(err, -EINVAL);
	/* the same name on the same device, and on another one */
	assert_null(firmware_upload_register_ex(e->t, e->dev, DEV_PATH, "tdx_module", &ops, NULL,
						NULL, 0, &err));
	assert_int_equal(err, -EEXIST);
	other = sysfs_mkdir(sysfs_root(e->t), "devices/other");
	assert_null(firmware_upload_register_ex(e->t, other, "devices/other", "tdx_module", &ops,
						NULL, NULL, 0, &err));
	assert_int_equal(err, -EEXIST);
	assert_int_equal(sysfs_stat(e->t, "devices/other/firmware/tdx_module", true, &st), -ENOENT);
	/* the original is untouched */
	assert_file(e, "status", "idle\n");
}

static void test_success_and_unregister(void **state)
{
	struct env *e = *state;
	static uint8_t img[10000], back[10001];
	struct sysfs_stat st;
	struct fw_upload *second;

	fill(img, sizeof(img), 1);
	assert_int_equal(put(e, "loading", "1"), 1);
	assert_file(e, "loading", "1\n");
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, img, sizeof(img)),
			 (ssize_t)sizeof(img));
	/* while loading, data reads back what was written */
	assert_int_equal(sysfs_read_file(e->t, FW "data", &sysfs_cred_root, (char *)back,
					 sizeof(back)), (ssize_t)sizeof(img));
	assert_memory_equal(back, img, sizeof(img));
	assert_int_equal(put(e, "loading", "0"), 1);
	assert_true(await_status(e, "idle\n"));

	assert_file(e, "error", "");
	assert_file(e, "remaining_size", "0\n");
	assert_file(e, "loading", "0\n");
	assert_int_equal(e->g.prepare_size, sizeof(img));
	assert_int_equal(e->g.got_size, sizeof(img));
	assert_memory_equal(e->g.got, img, sizeof(img));
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 1);
	assert_int_equal(gate_get(&e->g, &e->g.poll_calls), 1);
	/* 10000 bytes at 100 per call */
	assert_int_equal(gate_get(&e->g, &e->g.write_calls), 100);
	assert_int_equal(atomic_load(&e->kt.starts), 1);
	/* the buffer went with the upload */
	assert_file(e, "data", "");

	/* a second device, then its removal takes files and link away */
	second = firmware_upload_register(e->t, e->dev, DEV_PATH, "second", &gate_ops, &e->g,
					  &e->kt.ops);
	assert_non_null(second);
	assert_int_equal(sysfs_stat(e->t, "class/firmware/second/status", true, &st), 0);
	firmware_upload_unregister(second);
	assert_int_equal(sysfs_stat(e->t, "class/firmware/second", false, &st), -ENOENT);
	assert_int_equal(sysfs_stat(e->t, DEV_PATH "/firmware/second", true, &st), -ENOENT);
	assert_file(e, "status", "idle\n");
}

static void test_states_while_transferring(void **state)
{
	struct env *e = *state;
	static uint8_t img[1000];
	char buf[64];

	fill(img, sizeof(img), 2);
	gate_set_hold(&e->g, true);
	upload(e, img, sizeof(img));
	await_in_write(&e->g);

	/* this thread is not the worker: status is live */
	assert_file(e, "status", "transferring\n");
	assert_int_equal(get(e, "error", buf, sizeof(buf)), -EBUSY);
	assert_file(e, "remaining_size", "1000\n");
	assert_file(e, "loading", "0\n");
	/* handed off: loading writes are ignored but succeed, data is gone */
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_file(e, "loading", "0\n");
	assert_int_equal(put(e, "loading", "0\n"), 2);
	assert_int_equal(put(e, "loading", "-1\n"), 3);
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, "x", 1), -ENODEV);
	assert_int_equal(sysfs_read_file(e->t, FW "data", &sysfs_cred_root, buf, sizeof(buf)),
			 -ENODEV);
	/* cancel reaches the driver and succeeds while busy */
	assert_int_equal(put(e, "cancel", "1\n"), 2);
	assert_int_equal(gate_get(&e->g, &e->g.cancel_calls), 1);
	assert_int_equal(gate_get(&e->g, &e->g.prepare_calls), 1);

	gate_set_hold(&e->g, false);
	assert_true(await_status(e, "idle\n"));
	/* the gate ignores cancel: the one upload completed */
	assert_file(e, "error", "");
	assert_file(e, "remaining_size", "0\n");
	assert_int_equal(gate_get(&e->g, &e->g.prepare_calls), 1);
	assert_memory_equal(e->g.got, img, sizeof(img));
	/* and the device takes a new load */
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_file(e, "loading", "1\n");
}

struct status_reader {
	struct env *e;
	char status[64];
	ssize_t ret;
};

static void *status_reader_thread(void *arg)
{
	struct status_reader *r = arg;

	r->ret = get(r->e, "status", r->status, sizeof(r->status));
	return NULL;
}

static void test_status_from_another_thread(void **state)
{
	struct env *e = *state;
	struct status_reader r = { .e = e };
	static uint8_t img[300];
	pthread_t th;

	gate_set_hold(&e->g, true);
	upload(e, img, sizeof(img));
	await_in_write(&e->g);
	assert_int_equal(pthread_create(&th, NULL, status_reader_thread, &r), 0);
	pthread_join(th, NULL);
	assert_int_equal(r.ret, 13);
	assert_string_equal(r.status, "transferring\n");
	gate_set_hold(&e->g, false);
	assert_true(await_status(e, "idle\n"));
}

static void test_loading_values(void **state)
{
	struct env *e = *state;
	char buf[64];

	/* "0" when not loading: an abort, reported as success; nothing runs */
	assert_int_equal(put(e, "loading", "0\n"), 2);
	assert_file(e, "loading", "0\n");
	/* "1" again discards partial data */
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, "abc", 3), 3);
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(sysfs_read_file(e->t, FW "data", &sysfs_cred_root, buf, sizeof(buf)), 0);
	/* any other value aborts: not loading any more, and no upload */
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, "abc", 3), 3);
	assert_int_equal(put(e, "loading", "2\n"), 2);
	assert_file(e, "loading", "0\n");
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(put(e, "loading", "-1\n"), 3);
	assert_file(e, "loading", "0\n");
	/* " 1" is not 1: simple_strtol skips no blanks, so it reads 0 (abort) */
	assert_int_equal(put(e, "loading", " 1\n"), 3);
	assert_file(e, "loading", "0\n");
	assert_file(e, "status", "idle\n");
	assert_int_equal(gate_get(&e->g, &e->g.prepare_calls), 0);
	assert_int_equal(atomic_load(&e->kt.starts), 0);
	/* a non-number while loading reads as 0: the load is handed over */
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, "abc", 3), 3);
	assert_int_equal(put(e, "loading", "go\n"), 3);
	assert_true(await_status(e, "idle\n"));
	assert_int_equal(gate_get(&e->g, &e->g.prepare_calls), 1);
	assert_int_equal(e->g.prepare_size, 3);
}

static void test_empty_load_keeps_old_error(void **state)
{
	struct env *e = *state;
	static uint8_t img[500];

	e->g.prepare_ret = FW_UPLOAD_ERR_HW_ERROR;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "preparing:hw-error\n");
	assert_file(e, "remaining_size", "500\n");
	/* a failed prepare skips cleanup */
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 0);
	assert_int_equal(gate_get(&e->g, &e->g.write_calls), 0);

	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(put(e, "loading", "0\n"), 2);
	assert_file(e, "loading", "0\n");
	assert_file(e, "status", "idle\n");
	assert_file(e, "error", "preparing:hw-error\n");
	assert_int_equal(gate_get(&e->g, &e->g.prepare_calls), 1);

	/* the next real upload clears it */
	e->g.prepare_ret = FW_UPLOAD_ERR_NONE;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "");
}

static void test_errors_recorded_with_progress(void **state)
{
	struct env *e = *state;
	static uint8_t img[1000];

	/* third write fails: remaining_size says how far it got */
	e->g.fail_write_at = 3;
	e->g.write_err = FW_UPLOAD_ERR_TIMEOUT;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "transferring:timeout\n");
	assert_file(e, "remaining_size", "800\n");
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 1);
	assert_int_equal(gate_get(&e->g, &e->g.poll_calls), 0);

	/* a write that moves nothing is a read-write-error */
	e->g.fail_write_at = 0;
	e->g.write_zero = true;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "transferring:read-write-error\n");
	assert_file(e, "remaining_size", "1000\n");
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 2);

	e->g.write_zero = false;
	e->g.poll_ret = FW_UPLOAD_ERR_FW_INVALID;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "programming:firmware-invalid\n");
	assert_file(e, "remaining_size", "0\n");
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 3);

	e->g.poll_ret = (enum fw_upload_err)42;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "programming:unknown-error\n");

	e->g.poll_ret = FW_UPLOAD_ERR_NONE;
	e->g.prepare_ret = FW_UPLOAD_ERR_INVALID_SIZE;
	upload(e, img, 7);
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "preparing:invalid-file-size\n");
	assert_file(e, "remaining_size", "7\n");
}

static void test_data_rules(void **state)
{
	static const struct sysfs_cred root_norawio = { .uid = 0, .cap_sys_rawio = false };
	struct env *e = *state;
	struct sysfs_file *f;
	static char buf[6000];
	size_t i;

	/* root without CAP_SYS_RAWIO may open but not write */
	assert_int_equal(sysfs_open(e->t, FW "data", O_WRONLY, &root_norawio, &f), 0);
	assert_int_equal(sysfs_write(f, "x", 1, 0), -EPERM);
	sysfs_close(f);
	/* others are stopped at open by the mode; they may read */
	assert_int_equal(sysfs_open(e->t, FW "data", O_WRONLY, &sysfs_cred_user, &f), -EACCES);
	assert_int_equal(sysfs_open(e->t, FW "loading", O_WRONLY, &sysfs_cred_user, &f), -EACCES);
	assert_int_equal(sysfs_read_file(e->t, FW "status", &sysfs_cred_user, buf, 64), 5);
	assert_int_equal(sysfs_open(e->t, FW "cancel", O_WRONLY, &sysfs_cred_user, &f), -EACCES);

	/* any offset; the size is the furthest byte written */
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(sysfs_open(e->t, FW "data", O_RDWR, &sysfs_cred_root, &f), 0);
	assert_int_equal(sysfs_write(f, "xyz", 3, 5000), 3);
	assert_int_equal(sysfs_write(f, "ab", 2, 10), 2);
	assert_int_equal(sysfs_read(f, buf, 10, 4998), 5);
	assert_memory_equal(buf, "\0\0xyz", 5);
	assert_int_equal(sysfs_read(f, buf, 10, 5003), 0);
	assert_int_equal(sysfs_read(f, buf, 10, 9000), 0);
	sysfs_close(f);
	assert_int_equal(sysfs_read_file(e->t, FW "data", &sysfs_cred_root, buf, sizeof(buf)), 5003);
	for (i = 0; i < 5000; i++)
		if (i != 10 && i != 11)
			assert_int_equal(buf[i], 0);
	assert_memory_equal(buf + 10, "ab", 2);
	/* an absurd offset is refused and changes nothing */
	assert_int_equal(sysfs_open(e->t, FW "data", O_WRONLY, &sysfs_cred_root, &f), 0);
	assert_int_equal(sysfs_write(f, "x", 1, 1ull << 40), -ENOMEM);
	sysfs_close(f);
	assert_file(e, "loading", "1\n");
	assert_int_equal(put(e, "loading", "0\n"), 2);
	assert_true(await_status(e, "idle\n"));
	assert_int_equal(e->g.prepare_size, 5003);
}

static void test_cancel_rules(void **state)
{
	static const char *const truthy[] = { "1", "1\n", "y", "Y", "yes", "t", "true", "on", "ON" };
	static const char *const falsy[] = { "0", "0\n", "n", "no", "f", "off", "x", "2", " 1",
					     "o", "-1" };
	struct env *e = *state;
	static uint8_t img[1000];
	size_t i;
	int calls;

	/* idle: a true value still reaches the driver, then -ENODEV */
	for (i = 0; i < sizeof(truthy) / sizeof(truthy[0]); i++)
		assert_int_equal(put(e, "cancel", truthy[i]), -ENODEV);
	calls = gate_get(&e->g, &e->g.cancel_calls);
	assert_int_equal(calls, (int)(sizeof(truthy) / sizeof(truthy[0])));
	/* anything not a true boolean: -EINVAL, and the driver hears nothing */
	for (i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++)
		assert_int_equal(put(e, "cancel", falsy[i]), -EINVAL);
	assert_int_equal(gate_get(&e->g, &e->g.cancel_calls), calls);

	/* busy: success, even for a driver that cancels by failing */
	e->g.cancel_opens = true;
	gate_set_hold(&e->g, true);
	upload(e, img, sizeof(img));
	await_in_write(&e->g);
	assert_int_equal(put(e, "cancel", "0"), -EINVAL);
	assert_int_equal(put(e, "cancel", "1"), 1);
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "transferring:user-abort\n");
	assert_file(e, "remaining_size", "1000\n");
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 1);
}

static void test_unregister_cancels_and_flushes(void **state)
{
	struct env *e = *state;
	static uint8_t img[1000];
	struct sysfs_stat st;

	e->g.cancel_opens = true;
	gate_set_hold(&e->g, true);
	upload(e, img, sizeof(img));
	await_in_write(&e->g);

	firmware_upload_unregister(e->fwl);
	/* on return the worker has run to its end */
	assert_int_equal(gate_get(&e->g, &e->g.cancel_calls), 1);
	assert_int_equal(gate_get(&e->g, &e->g.cleanup_calls), 1);
	assert_int_equal(atomic_load(&e->kt.starts), 1);
	assert_int_equal(atomic_load(&e->kt.joins), 1);
	assert_int_equal(sysfs_stat(e->t, "class/firmware/tdx_module", false, &st), -ENOENT);
	assert_int_equal(sysfs_stat(e->t, DEV_PATH "/firmware/tdx_module", true, &st), -ENOENT);

	/* the fixture's teardown unregisters: give it a fresh device */
	e->fwl = firmware_upload_register(e->t, e->dev, DEV_PATH, "tdx_module", &gate_ops, &e->g,
					  &e->kt.ops);
	assert_non_null(e->fwl);
	assert_file(e, "status", "idle\n");
}

static void test_worker_start_failure(void **state)
{
	struct env *e = *state;
	static uint8_t img[100];

	e->kt.fail_start = -EAGAIN;
	assert_int_equal(put(e, "loading", "1\n"), 2);
	assert_int_equal(sysfs_write_file(e->t, FW "data", &sysfs_cred_root, img, sizeof(img)),
			 (ssize_t)sizeof(img));
	assert_int_equal(put(e, "loading", "0\n"), -EAGAIN);
	/* nothing is left half-started */
	assert_file(e, "status", "idle\n");
	assert_file(e, "loading", "0\n");
	assert_file(e, "data", "");
	assert_int_equal(gate_get(&e->g, &e->g.prepare_calls), 0);

	e->kt.fail_start = 0;
	upload(e, img, sizeof(img));
	assert_true(await_status(e, "idle\n"));
	assert_file(e, "error", "");
}

static void test_strings(void **state)
{
	static const char *const errs[] = {
		"none", "hw-error", "timeout", "user-abort", "device-busy", "invalid-file-size",
		"read-write-error", "flash-wearout", "firmware-invalid",
	};
	static const char *const progs[] = {
		"idle", "receiving", "preparing", "transferring", "programming",
	};
	int i;

	for (i = 0; i < FW_UPLOAD_ERR_MAX; i++)
		assert_string_equal(fw_upload_err_str((enum fw_upload_err)i), errs[i]);
	assert_string_equal(fw_upload_err_str(FW_UPLOAD_ERR_MAX), "unknown-error");
	assert_string_equal(fw_upload_err_str((enum fw_upload_err)-1), "unknown-error");
	for (i = 0; i < FW_UPLOAD_PROG_MAX; i++)
		assert_string_equal(fw_upload_prog_str((enum fw_upload_prog)i), progs[i]);
	assert_string_equal(fw_upload_prog_str(FW_UPLOAD_PROG_MAX), "unknown-status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_success_and_unregister, setup, teardown),
		cmocka_unit_test_setup_teardown(test_states_while_transferring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_from_another_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loading_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_load_keeps_old_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_recorded_with_progress, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister_cancels_and_flushes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_worker_start_failure, setup, teardown),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
