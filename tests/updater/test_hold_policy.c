// SPDX-License-Identifier: MIT
/* The build-hold decision: the table in include/tdxup/hold_policy.h, row by row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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
	assert_int_equal(kernel_busy_parse("unknown", &k), 0);
	assert_int_equal(k, KERNEL_BUSY_UNKNOWN);
	/* The former spelling: nothing is inferred from it either. */
	k = KERNEL_BUSY_YES;
	assert_int_equal(kernel_busy_parse("auto", &k), 0);
	assert_int_equal(k, KERNEL_BUSY_UNKNOWN);
	assert_int_equal(kernel_busy_parse("on", &k), -22);
	assert_string_equal(kernel_busy_name(KERNEL_BUSY_YES), "yes");
	assert_string_equal(kernel_busy_name(KERNEL_BUSY_NO), "no");
	assert_string_equal(kernel_busy_name(KERNEL_BUSY_UNKNOWN), "unknown");
}

#define REFUSE_TAIL \
	", and no VMM on the target takes build leases (etc/tdxup/lease.d/ declares none): an " \
	"update now could silently corrupt the MRTD of a TD being built. Install the VMM " \
	"hooks (contrib/) so builds take leases"

static void test_auto(void **state)
{
	struct hold_decision d;

	/* VMMs take leases: hold, whatever the kernel. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, "7.2.0", 1, &d);
	assert_true(d.hold);
	assert_false(d.refuse);
	assert_false(d.kernel_rejects);
	assert_string_equal(d.why, "holding TD builds: 1 VMM(s) on the target take build leases; "
			    "whether the kernel 7.2.0 refuses an update during a TD build is not "
			    "established (a release number proves nothing)");
	assert_string_equal(d.warning, "");
	assert_string_equal(d.note, "");
	/* Mainline and nobody takes leases: refused, saying why and what to do. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, "7.2.0", 0, &d);
	assert_false(d.hold);
	assert_true(d.refuse);
	assert_string_equal(d.why, "whether the kernel 7.2.0 refuses an update during a TD build "
			    "is not established (a release number proves nothing)" REFUSE_TAIL);
	/* Never a way out that can lose TDs: neither flag is suggested. */
	assert_null(strstr(d.why, "--hold-builds off"));
	assert_null(strstr(d.why, "--kernel-busy"));
	/* Unknown kernel: the same, without a release to name. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, "", 0, &d);
	assert_true(d.refuse);
	assert_string_equal(d.why, "whether the kernel refuses an update during a TD build is not "
			    "established (a release number proves nothing)" REFUSE_TAIL);
	hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, NULL, 0, &d);
	assert_true(d.refuse);
	hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, "garbage", 0, &d);
	assert_true(d.refuse);
	/* The operator declares the rejection: no hold, and the declaration is said as such. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_YES, "7.3.0", 0, &d);
	assert_false(d.hold);
	assert_false(d.refuse);
	assert_true(d.kernel_rejects);
	assert_string_equal(d.why, "not holding TD builds: no VMM on the target takes build "
			    "leases, and the operator declares (--kernel-busy yes) that the kernel "
			    "7.3.0 refuses an update during a TD build (device-busy)");
	assert_string_equal(d.note, "the operator declares (--kernel-busy yes) that the kernel "
			    "7.3.0 refuses an update during a TD build (device-busy); tdxup has not "
			    "established it");
	assert_string_equal(d.warning, "");
	/* Declared yes, and VMMs take leases: the hold still spares a stream of builds. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_YES, "7.3.0", 2, &d);
	assert_true(d.hold);
	assert_false(d.refuse);
	/* Declared no: refused, and declaring it yes is no advice given. */
	hold_decide(HOLD_AUTO, KERNEL_BUSY_NO, "7.1.0-tdx-v8", 0, &d);
	assert_true(d.refuse);
	assert_string_equal(d.why, "the operator declares (--kernel-busy no) that the kernel "
			    "7.1.0-tdx-v8 does not refuse an update during a TD build" REFUSE_TAIL);
	assert_string_equal(d.note, "the operator declares (--kernel-busy no) that the kernel "
			    "7.1.0-tdx-v8 does not refuse an update during a TD build; tdxup has "
			    "not established it");
}

/*
 * A release before 7.2 proves no busy rejection: distributions backport
 * the merged series (which has none) into older releases. The old code took
 * any release before 7.2 for the posted series and skipped the hold.
 */
static void test_auto_old_release(void **state)
{
	static const char *const releases[] = { "6.12.118", "7.1.0-tdx-v8", "5.15.0-91-generic" };
	struct hold_decision d;
	char want[512];

	for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++) {
		hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, releases[i], 1, &d);
		assert_true(d.hold);
		assert_false(d.refuse);
		assert_false(d.kernel_rejects);
		hold_decide(HOLD_AUTO, KERNEL_BUSY_UNKNOWN, releases[i], 0, &d);
		assert_false(d.hold);
		assert_true(d.refuse);
		assert_false(d.kernel_rejects);
		snprintf(want, sizeof(want), "whether the kernel %s refuses an update during a TD "
			 "build is not established (a release number proves nothing)" REFUSE_TAIL, releases[i]);
		assert_string_equal(d.why, want);
		/* The claim of the old code, false for a real 6.12.118, is gone. */
		assert_null(strstr(d.why, "refuses an update during a TD build (device-busy)"));
	}
}

static void test_on_off(void **state)
{
	struct hold_decision d;

	hold_decide(HOLD_ON, KERNEL_BUSY_UNKNOWN, "7.2.0", 0, &d);
	assert_true(d.hold);
	assert_false(d.refuse);
	assert_string_equal(d.why, "holding TD builds (--hold-builds on); whether the kernel 7.2.0 "
			    "refuses an update during a TD build is not established (a release "
			    "number proves nothing)");
	assert_string_equal(d.warning, "no VMM on the target declares that it takes build "
			    "leases: the hold keeps out only builds that do");
	hold_decide(HOLD_ON, KERNEL_BUSY_UNKNOWN, "7.1.0-tdx-v8", 2, &d);
	assert_true(d.hold);
	assert_string_equal(d.warning, "");
	hold_decide(HOLD_OFF, KERNEL_BUSY_UNKNOWN, "7.2.0", 3, &d);
	assert_false(d.hold);
	assert_false(d.refuse);
	assert_string_equal(d.warning, "nothing keeps TD builds out of the update window: a "
			    "build it crosses may end with a wrong MRTD");
	/* A release before 7.2 is no reason to drop the warning any more. */
	hold_decide(HOLD_OFF, KERNEL_BUSY_UNKNOWN, "7.1.0-tdx-v8", 0, &d);
	assert_string_equal(d.warning, "nothing keeps TD builds out of the update window: a "
			    "build it crosses may end with a wrong MRTD");
	/* Only a declaration does. */
	hold_decide(HOLD_OFF, KERNEL_BUSY_YES, "7.1.0-tdx-v8", 0, &d);
	assert_false(d.hold);
	assert_string_equal(d.warning, "");
	assert_string_equal(d.why, "not holding TD builds (--hold-builds off); the operator "
			    "declares (--kernel-busy yes) that the kernel 7.1.0-tdx-v8 refuses an "
			    "update during a TD build (device-busy)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_auto),
		cmocka_unit_test(test_auto_old_release),
		cmocka_unit_test(test_on_off),
	};

	return cmocka_run_group_tests_name("updater/hold_policy", tests, NULL, NULL);
}
