// SPDX-License-Identifier: MIT
/* The build-hold decision: the table in include/tdxup/hold_policy.h, row by row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "tdxup/hold_policy.h"

static void test_parse(void **state)
{
	enum hold_mode m;
	enum kernel_busy k;

	assert_int_equal(hold_mode_parse("auto", &m), 0);
	assert_int_equal(m, HOLD_AUTO);
	assert_int_equal(hold_mode_parse("on", &m), 0);
	assert_int_equal(m, HOLD_ON);
	assert_int_equal(hold_mode_parse("off", &m), 0);
	assert_int_equal(m, HOLD_OFF);
	assert_int_equal(hold_mode_parse("yes", &m), -22);
	assert_int_equal(kernel_busy_parse("yes", &k), 0);
	assert_int_equal(k, KERNEL_BUSY_YES);
	assert_int_equal(kernel_busy_parse("no", &k), 0);
	assert_int_equal(k, KERNEL_BUSY_NO);
	assert_int_equal(kernel_busy_parse("on", &k), -22);
}

static void test_auto(void **state)
{
	struct hold_decision d;

	/* VMMs take leases: hold, whatever the kernel. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_AUTO, "7.2.0", 1, &d);
	assert_true(d.hold);
	assert_false(d.refuse);
	assert_false(d.kernel_rejects);
	assert_string_equal(d.why, "holding TD builds: 1 VMM(s) on the target take build leases; "
			    "the kernel 7.2.0 cannot refuse an update during a TD build (Linux 7.2 "
			    "as merged has no busy rejection)");
	/* The posted series (before 7.2) rejects: its device-busy is the truth. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_AUTO, "7.1.0-tdx-v8", 0, &d);
	assert_false(d.hold);
	assert_false(d.refuse);
	assert_true(d.kernel_rejects);
	assert_string_equal(d.warning, "");
	/* Mainline and nobody takes leases: refused, saying why and what to do. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_AUTO, "7.2.0", 0, &d);
	assert_false(d.hold);
	assert_true(d.refuse);
	assert_non_null(strstr(d.why, "could silently corrupt the MRTD of a TD being built"));
	assert_non_null(strstr(d.why, "--hold-builds off"));
	/* Unknown kernel: as unsafe as mainline. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_AUTO, "", 0, &d);
	assert_true(d.refuse);
	assert_false(d.kernel_known);
	hold_decide(HOLD_AUTO, KERNEL_BUSY_AUTO, "garbage", 0, &d);
	assert_true(d.refuse);
	/* The operator states a reworked-patch kernel: no refusal. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_YES, "7.3.0", 0, &d);
	assert_false(d.refuse);
	assert_true(d.kernel_rejects);
	/* And states a v8-numbered kernel without the rejection: refused. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_NO, "7.1.0-tdx-v8", 0, &d);
	assert_true(d.refuse);
}

static void test_on_off(void **state)
{
	struct hold_decision d;

	hold_decide(HOLD_ON, KERNEL_BUSY_AUTO, "7.2.0", 0, &d);
	assert_true(d.hold);
	assert_false(d.refuse);
	assert_string_equal(d.warning, "no VMM on the target declares that it takes build "
			    "leases: the hold keeps out only builds that do");
	hold_decide(HOLD_ON, KERNEL_BUSY_AUTO, "7.1.0-tdx-v8", 2, &d);
	assert_true(d.hold);
	assert_string_equal(d.warning, "");
	hold_decide(HOLD_OFF, KERNEL_BUSY_AUTO, "7.2.0", 3, &d);
	assert_false(d.hold);
	assert_false(d.refuse);
	assert_string_equal(d.warning, "nothing keeps TD builds out of the update window: a "
			    "build it crosses may end with a wrong MRTD");
	hold_decide(HOLD_OFF, KERNEL_BUSY_AUTO, "7.1.0-tdx-v8", 0, &d);
	assert_string_equal(d.warning, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_on_off),
	};

	return cmocka_run_group_tests_name("updater/hold_policy", tests, NULL, NULL);
}
