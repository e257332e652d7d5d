// SPDX-License-Identifier: MIT
/*
 * The v8 rejection of an update while an update-sensitive operation is in
 * flight (kernel.md 5, operations.md 2): the kernel's log line names the
 * cause the module put in bits 15:0 of TDX_UPDATE_COMPAT_SENSITIVE's
 * detail, with the count from bits 31:16.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/kvm_harness.h"
#include "tdxup/tdx_abi.h"

#define PREFIX	"tdx: module update rejected: "

struct log_capture {
	pthread_mutex_t lock;
	char last[256];		/* the last rejection line */
	unsigned int rejections;
};

static void capture(void *ctx, const struct host_event *ev)
{
	struct log_capture *c = ctx;

	if (ev->kind != HOST_EV_LOG || strncmp(ev->text, PREFIX, strlen(PREFIX)))
		return;
	pthread_mutex_lock(&c->lock);
	snprintf(c->last, sizeof(c->last), "%s", ev->text);
	c->rejections++;
	pthread_mutex_unlock(&c->lock);
}

static struct tdx_host *host_new(struct log_capture *cap)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	*cap = (struct log_capture){ .rejections = 0 };
	pthread_mutex_init(&cap->lock, NULL);
	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 4;
	cfg.nr_packages = 2;
	cfg.boot_module = "1.5.25";
	cfg.profile = KERNEL_PROFILE_V8;
	cfg.driver = LOCKSTEP_SERIAL;
	cfg.hooks.ctx = cap;
	cfg.hooks.event = capture;
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(h);
	return h;
}

static void test_detail_decoding(void **state)
{
	assert_int_equal(TDX_COMPAT_SENSITIVE_CAUSE(0x8000051200020000ULL), 0);
	assert_int_equal(TDX_COMPAT_SENSITIVE_COUNT(0x8000051200020000ULL), 2);
	assert_int_equal(TDX_COMPAT_SENSITIVE_CAUSE(0x8000051200030001ULL), 1);
	assert_int_equal(TDX_COMPAT_SENSITIVE_COUNT(0x8000051200030001ULL), 3);
	assert_int_equal(TDX_COMPAT_SENSITIVE_COUNT(0x80000512FFFF0001ULL), 0xFFFF);
}

/* Cause 0: TD builds between MNG.INIT and MR.FINALIZE. */
static void test_td_build_cause(void **state)
{
	struct log_capture cap;
	struct tdx_host *h = host_new(&cap);
	struct td a, b;

	kh_td_new(&a, h, 1, 1);
	kh_td_new(&b, h, 2, 2);
	assert_int_equal(kh_init_vm(&a, NULL), 0);
	assert_int_equal(kh_init_vm(&b, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EBUSY);
	assert_int_equal(cap.rejections, 1);
	assert_string_equal(cap.last, PREFIX "2 TD build(s) in progress");
	kh_td_free(&a);
	kh_td_free(&b);
	tdx_host_destroy(h);
	pthread_mutex_destroy(&cap.lock);
}

/* Cause 1: interrupted migration sessions, with no TD build at all. */
static void test_migration_cause(void **state)
{
	struct log_capture cap;
	struct tdx_host *h = host_new(&cap);

	tdx_host_inject(h, HOST_FAULT_MIG_INTERRUPTED, 3);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EBUSY);
	assert_int_equal(cap.rejections, 1);
	assert_string_equal(cap.last, PREFIX "3 interrupted migration(s) in progress");
	kh_assert_update_version(h, 25);
	/* The sessions ended: nothing holds the update back any more. */
	tdx_host_inject(h, HOST_FAULT_MIG_INTERRUPTED, 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), 0);
	kh_assert_update_version(h, 30);
	assert_int_equal(cap.rejections, 1);
	tdx_host_destroy(h);
	pthread_mutex_destroy(&cap.lock);
}

/* Both at once: the module reports TD builds first (tdx-module.md 6.1). */
static void test_td_build_has_priority(void **state)
{
	struct log_capture cap;
	struct tdx_host *h = host_new(&cap);
	struct td a;

	tdx_host_inject(h, HOST_FAULT_MIG_INTERRUPTED, 2);
	kh_td_new(&a, h, 1, 1);
	assert_int_equal(kh_init_vm(&a, NULL), 0);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EBUSY);
	assert_string_equal(cap.last, PREFIX "1 TD build(s) in progress");
	kh_td_free(&a);
	assert_int_equal(kh_update_to(h, "1.5.30"), -EBUSY);
	assert_string_equal(cap.last, PREFIX "2 interrupted migration(s) in progress");
	assert_int_equal(cap.rejections, 2);
	tdx_host_destroy(h);
	pthread_mutex_destroy(&cap.lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_detail_decoding),
		cmocka_unit_test(test_td_build_cause),
		cmocka_unit_test(test_migration_cause),
		cmocka_unit_test(test_td_build_has_priority),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
