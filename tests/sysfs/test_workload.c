// SPDX-License-Identifier: MIT
/*
 * The serve workload (include/tdxup/workload.h): its spec parser, and a
 * short run inside a v8 host: builds finish with MRTDs that match the
 * offline measurement, hold=busy guarantees that the first update meets a
 * build in flight (-EBUSY, nothing changed), and a later one gets through.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "emu/host.h"
#include "emu/module_build.h"
#include "emu/workload.h"

#define POLL_STEPS	20000	/* x 1 ms: generous for sanitizer builds */

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_parse(void **state)
{
	struct workload_config c;
	char err[256];

	workload_config_init(&c);
	assert_int_equal(workload_parse("builders=4,pages=256,running=2,gap=10ms", &c, err,
					sizeof(err)), 0);
	assert_int_equal(c.builders, 4);
	assert_int_equal(c.pages, 256);
	assert_int_equal(c.running, 2);
	assert_int_equal(c.gap_us, 10000);
	assert_false(c.hold_until_busy);
	assert_int_equal(workload_parse("hold=busy,gap=2s,seed=7", &c, err, sizeof(err)), 0);
	assert_true(c.hold_until_busy);
	assert_int_equal(c.gap_us, 2000000);
	assert_int_equal(c.seed, 7);
	/* A bare number is seconds, as everywhere (include/tdxup/duration.h). */
	assert_int_equal(workload_parse("hold=250us,gap=5", &c, err, sizeof(err)), 0);
	assert_int_equal(c.hold_us, 250);
	assert_int_equal(c.gap_us, 5000000);
	assert_int_equal(workload_parse("gap=1h", &c, err, sizeof(err)), 0);
	assert_int_equal(c.gap_us, 3600000000ULL);
	assert_int_equal(workload_parse("gap=9999999999h", &c, err, sizeof(err)), -EINVAL);

	assert_int_equal(workload_parse("builders", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(workload_parse("bogus=1", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(workload_parse("pages=0", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(workload_parse("pages=4097", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(workload_parse("gap=10h", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(workload_parse("gap=-1ms", &c, err, sizeof(err)), -EINVAL);
	assert_int_equal(workload_parse("builders=40,running=30", &c, err, sizeof(err)), -EINVAL);
}

static void test_busy_then_through(void **state)
{
	struct tdx_host_config hc;
	struct workload_config wc;
	struct workload_stats ws;
	struct tdx_host_stats hs;
	struct tdx_host *h;
	struct workload *w;
	uint16_t maj, min, upd;
	uint8_t *img;
	size_t len;
	char err[128];
	int ret = 0;

	tdx_host_config_init(&hc);
	hc.boot_module = "1.5.24";
	h = tdx_host_create(&hc, &ret);
	assert_non_null(h);
	assert_int_equal(module_image_build(module_build_find("1.5.25"), NULL, &img, &len), 0);
	workload_config_init(&wc);
	assert_int_equal(workload_parse("builders=2,running=1,pages=32,gap=20ms,hold=busy", &wc,
					err, sizeof(err)), 0);
	w = workload_start(h, &wc, NULL, NULL, &ret);
	assert_non_null(w);

	/* workload_start returned with the first window open: refused. */
	assert_int_equal(tdx_host_install_module(h, img, len), -EBUSY);
	assert_int_equal(tdx_host_module_version(h, &maj, &min, &upd), 0);
	assert_int_equal(upd, 24);
	/* Builds pause between rounds; a retry gets through. */
	for (int i = 0; i < POLL_STEPS; i++) {
		ret = tdx_host_install_module(h, img, len);
		if (ret != -EBUSY)
			break;
		sleep_ms(1);
	}
	assert_int_equal(ret, 0);
	assert_int_equal(tdx_host_module_version(h, &maj, &min, &upd), 0);
	assert_int_equal(upd, 25);
	/* Builds go on after the update, and still measure right. */
	workload_get_stats(w, &ws);
	for (uint64_t before = ws.builds, i = 0; ws.builds < before + 2 && i < POLL_STEPS; i++) {
		sleep_ms(1);
		workload_get_stats(w, &ws);
	}
	workload_stop(w);
	workload_get_stats(w, &ws);
	tdx_host_get_stats(h, &hs);
	assert_true(ws.builds >= 3);
	assert_int_equal(ws.wrong_mrtds, 0);
	assert_int_equal(ws.lost_tds, 0);
	assert_int_equal(ws.bad_memory, 0);
	assert_int_equal(ws.running_alive, 1);
	assert_true(ws.steps > 0);
	assert_true(hs.busy_rejections >= 1);
	assert_int_equal(hs.updates_applied, 1);
	workload_free(w);
	free(img);
	tdx_host_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_busy_then_through),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
