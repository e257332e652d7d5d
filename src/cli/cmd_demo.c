// SPDX-License-Identifier: MIT
/*
 * `tdxup demo`: a TD-preserving module update on the emulated firmware, and
 * the update-during-TD-build erratum with both mitigations, as a timeline.
 * It drives the firmware through seamcall() only (tdxup/fw_driver.h); the
 * host kernel layer and `tdxup lab` will replace it.
 *
 * Three runs on fresh platforms, one per kernel profile of DESIGN.md, each
 * with TD A running and TD B half-built when the update comes:
 *   v8        SHUTDOWN with AVOID_COMPAT_SENSITIVE: refused until B is done
 *   mainline  no mitigation: B's MRTD is silently wrong (the erratum)
 *   detect    SYS.UPDATE v1 + bit 47: B's next build leaf fails
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tdxup/fw_driver.h"
#include "tdxup/measure.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"
#include "tdxup/tdx_abi.h"

#define OLD_MODULE	"1.5.25"
#define NEW_MODULE	"1.5.30"	/* hypothetical: another crypto library */
#define GPA_BASE	0x100000ULL
#define TD_A_PAGES	2
#define TD_B_PAGES	4
#define TD_B_BEFORE	2		/* pages of B added before the update */
#define LP_TD_A		3

static void demo_usage(FILE *f)
{
	fprintf(f,
		"usage: %s demo\n"
		"\n"
		"Run a TD-preserving TDX module update on an emulated host (SEAM firmware\n"
		"only, driven through SEAMCALLs) and print the timeline: LOAD module %s,\n"
		"run TD A, start building TD B, then update to the hypothetical %s\n"
		"(another crypto library) three ways:\n"
		"  v8        TDH.SYS.SHUTDOWN with AVOID_COMPAT_SENSITIVE is refused while B\n"
		"            is being built; after B is finalized the update goes through\n"
		"  mainline  no mitigation: B's build straddles the update and its MRTD is\n"
		"            silently wrong (the erratum)\n"
		"  detect    TDH.SYS.UPDATE v1 with bit 47: B's next build leaf fails with\n"
		"            TDX_INCOMPATIBLE_MRTD_CONTEXT, B is torn down and rebuilt\n"
		"TD A keeps running across every update.\n"
		"\n"
		"exit status: 0 every outcome was as expected; 1 something was not (each\n"
		"is marked UNEXPECTED); 2 usage\n",
		cli_prog, OLD_MODULE, NEW_MODULE);
}

struct demo {
	struct seam_platform *p;
	unsigned int step;
	unsigned int unexpected;
	struct fwd_td a, b;
	struct mrtd_calc *ref_b;	/* offline MRTD of B */
	uint64_t a_counter0;		/* TD A's guest step counter before step 1 */
	uint64_t a_steps;		/* VP.ENTERs of TD A so far */
};

static void say(struct demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One numbered line of the timeline. */
static void say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	printf("  [%2u] ", ++d->step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void unexpected(struct demo *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void unexpected(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	d->unexpected++;
	printf("       UNEXPECTED: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Print what was done and its status; flag it if it is not `want`. */
static bool expect(struct demo *d, const char *what, uint64_t got, uint64_t want)
{
	char s[TDX_STATUS_STR_LEN], w[TDX_STATUS_STR_LEN];

	say(d, "%s -> %s", what, tdx_status_str(got, s, sizeof(s)));
	if (got == want)
		return true;
	unexpected(d, "expected %s", tdx_status_str(want, w, sizeof(w)));
	return false;
}

static unsigned int build_count(struct demo *d)
{
	struct seam_platform_state st;

	seam_platform_get_state(d->p, &st);
	return st.td_build_count;
}

/* Add pages [from, to) of a TD (content keyed by hkid), measured. */
static uint64_t add_pages(struct demo *d, struct fwd_td *td, int from, int to,
			  struct mrtd_calc *ref)
{
	uint8_t page[4096];
	uint64_t ret;

	for (int i = from; i < to; i++) {
		uint64_t gpa = GPA_BASE + 4096ULL * (uint64_t)i;

		fwd_fill_page(page, td->hkid * 1000ULL + (uint64_t)i);
		if (ref)
			mrtd_calc_add_page(ref, gpa, page, true);
		ret = fwd_td_add_page(d->p, td, gpa, page, true);
		if (ret)
			return ret;
	}
	return 0;
}

static uint64_t start_td(struct demo *d, struct fwd_td *td, uint16_t hkid)
{
	uint64_t ret = fwd_td_create(d->p, td, hkid);

	if (!ret)
		ret = fwd_td_init(d->p, td);
	if (!ret)
		ret = fwd_td_vcpu(d->p, td, GPA_BASE);
	return ret;
}

/* A TD with one vCPU and pages [0, n) added and measured; finalized if asked. */
static uint64_t build_td(struct demo *d, struct fwd_td *td, uint16_t hkid, int n,
			 struct mrtd_calc *ref, bool finalize)
{
	uint64_t ret = start_td(d, td, hkid);

	if (!ret)
		ret = add_pages(d, td, 0, n, ref);
	if (!ret && finalize)
		ret = fwd_td_finalize(d->p, td);
	return ret;
}

static const char *hex_short(const uint8_t mrtd[48], char buf[17])
{
	hex_encode(mrtd, 8, buf);
	return buf;
}

/* Compare a finalized TD's MRTD with the offline calculation. */
static bool mrtd_matches(struct demo *d, struct fwd_td *td, struct mrtd_calc *ref,
			 const char *name)
{
	uint8_t got[48], want[48];
	char g[17], w[17];
	bool same;

	if (fwd_td_mrtd(d->p, td, got) || mrtd_calc_final(ref, want)) {
		unexpected(d, "cannot read TD %s's MRTD", name);
		return false;
	}
	same = !memcmp(got, want, sizeof(got));
	say(d, "TD %s MRTD %s... %s offline mrtd_calc %s...", name, hex_short(got, g),
	    same ? "==" : "!=", hex_short(want, w));
	return same;
}

/* TD A still runs, its guest one step further: memory and state survived. */
static void run_td_a(struct demo *d, const char *when)
{
	uint64_t counter = 0, ret = fwd_td_enter(d->p, &d->a, LP_TD_A, &counter, NULL);
	char s[TDX_STATUS_STR_LEN];

	/* The counter starts at the work page's first 8 bytes, whatever they are. */
	if (!d->a_steps)
		d->a_counter0 = counter - 1;
	if (ret == VMX_EXIT_REASON_TDCALL)
		say(d, "TD A runs on LP %d (%s): VP.ENTER -> TDCALL exit, guest step %llu",
		    LP_TD_A, when, (unsigned long long)(counter - d->a_counter0));
	else
		say(d, "TD A on LP %d (%s): VP.ENTER -> %s", LP_TD_A, when,
		    tdx_status_str(ret, s, sizeof(s)));
	d->a_steps++;
	if (ret != VMX_EXIT_REASON_TDCALL || counter - d->a_counter0 != d->a_steps)
		unexpected(d, "TD A did not resume where it was");
}

/* Fresh platform, module LOADed and initialised, TD A running, TD B half-built. */
static bool prologue(struct demo *d)
{
	struct seam_platform_config cfg;
	struct mrtd_calc *ref_a = mrtd_calc_new();
	char what[128];
	bool ok;

	seam_platform_config_init(&cfg);
	d->p = seam_platform_create(&cfg);
	d->ref_b = mrtd_calc_new();
	if (!d->p || !ref_a || !d->ref_b) {
		unexpected(d, "out of memory");
		mrtd_calc_free(ref_a);
		return false;
	}
	snprintf(what, sizeof(what), "LOAD %s: SEAMLDR.INSTALL on all %u LPs, SYS.INIT, "
		 "LP.INIT, SYS.CONFIG, KEY.CONFIG, TDMR.INIT", OLD_MODULE, cfg.nr_lps);
	ok = expect(d, what, fwd_boot(d->p, module_build_find(OLD_MODULE)), TDX_SUCCESS);
	ok = ok && expect(d, "TD A: create, MNG.INIT, vCPU, 2 pages, MR.FINALIZE",
			  build_td(d, &d->a, 2, TD_A_PAGES, ref_a, true), TDX_SUCCESS);
	if (ok && !mrtd_matches(d, &d->a, ref_a, "A"))
		unexpected(d, "TD A was measured wrongly");
	mrtd_calc_free(ref_a);
	if (!ok)
		return false;
	run_td_a(d, "before the update");
	ok = expect(d, "TD B: create, MNG.INIT, vCPU, 2 of 4 pages (build in progress)",
		    build_td(d, &d->b, 3, TD_B_BEFORE, d->ref_b, false), TDX_SUCCESS);
	say(d, "td_build_count = %u", build_count(d));
	return ok;
}

static void epilogue(struct demo *d)
{
	seam_platform_destroy(d->p);
	mrtd_calc_free(d->ref_b);
	d->p = NULL;
	d->ref_b = NULL;
	d->a_steps = 0;
}

/* SHUTDOWN is done; INSTALL the new module on every LP, init, SYS.UPDATE. */
static bool update(struct demo *d, uint8_t update_version, uint64_t r9)
{
	struct module_image_opts opts = { .format = TDX_BLOB_VERSION_1 };
	uint64_t params = 0, ret;
	struct seam_platform_state st;
	char what[128];
	uint8_t *img;
	size_t len;

	if (module_image_build(module_build_find(NEW_MODULE), &opts, &img, &len)) {
		unexpected(d, "cannot build the %s image", NEW_MODULE);
		return false;
	}
	ret = fwd_params(d->p, img, len, SEAMLDR_SCENARIO_UPDATE, &params);
	free(img);
	if (!ret)
		ret = fwd_install_all(d->p, params, NULL);
	snprintf(what, sizeof(what), "SEAMLDR.INSTALL (UPDATE, %s) on all %u LPs", NEW_MODULE,
		 seam_nr_lps(d->p));
	if (!expect(d, what, ret, SEAMLDR_SUCCESS))
		return false;
	if (!expect(d, "SYS.INIT, SYS.LP.INIT on every LP", fwd_sys_init(d->p), TDX_SUCCESS))
		return false;
	snprintf(what, sizeof(what), "SYS.UPDATE v%u%s", update_version,
		 r9 ? " (R9 = bit 47, update_compatibility)" : "");
	if (!expect(d, what, fwd_sys_update(d->p, update_version, r9), TDX_SUCCESS))
		return false;
	seam_platform_get_state(d->p, &st);
	say(d, "module %u.%u.%02u ready, %u updates left, td_build_count = %u", st.major,
	    st.minor, st.update, st.num_remaining_updates, st.td_build_count);
	return true;
}

static uint64_t finish_b(struct demo *d)
{
	uint64_t ret = add_pages(d, &d->b, TD_B_BEFORE, TD_B_PAGES, d->ref_b);

	return ret ? ret : fwd_td_finalize(d->p, &d->b);
}

static void run_v8(struct demo *d)
{
	/* bits 31:16 = td_build_count (1), bits 15:0 = 0: a TD build (tdx-module.md 6.1) */
	uint64_t refused = TDX_UPDATE_COMPAT_SENSITIVE | 1ULL << 16;

	printf("\n== v8 kernel: TDH.SYS.SHUTDOWN with AVOID_COMPAT_SENSITIVE (the seed) ==\n");
	if (!prologue(d))
		return;
	expect(d, "SYS.SHUTDOWN(HV 1 | AVOID_COMPAT_SENSITIVE): refused, nothing changed",
	       fwd_shutdown(d->p, true), refused);
	run_td_a(d, "after the refusal");
	if (expect(d, "TD B: last 2 pages, MR.FINALIZE", finish_b(d), TDX_SUCCESS) &&
	    !mrtd_matches(d, &d->b, d->ref_b, "B"))
		unexpected(d, "TD B was measured wrongly");
	if (expect(d, "retry SYS.SHUTDOWN(HV 1 | AVOID_COMPAT_SENSITIVE)",
		   fwd_shutdown(d->p, true), TDX_SUCCESS) && update(d, 0, 0))
		run_td_a(d, "after the update");
	epilogue(d);
}

static void run_mainline(struct demo *d)
{
	printf("\n== mainline kernel: no mitigation, the build straddles the update ==\n");
	if (!prologue(d))
		return;
	if (!expect(d, "SYS.SHUTDOWN(HV 1)", fwd_shutdown(d->p, false), TDX_SUCCESS) ||
	    !update(d, 0, 0))
		goto out;
	if (expect(d, "TD B: last 2 pages, MR.FINALIZE (every leaf succeeds)", finish_b(d),
		   TDX_SUCCESS)) {
		if (mrtd_matches(d, &d->b, d->ref_b, "B"))
			unexpected(d, "the erratum did not show: TD B's MRTD is right");
		else
			say(d, "the erratum: %s unpacked %s's hash state with another layout;"
			    " TD B will fail attestation", NEW_MODULE, OLD_MODULE);
	}
	run_td_a(d, "after the update");
out:
	epilogue(d);
}

static void run_detect(struct demo *d)
{
	struct mrtd_calc *ref = NULL;
	struct seam_args a = { 0 };
	struct fwd_td c;

	printf("\n== detect: SYS.UPDATE v1 with bit 47 (update_compatibility) ==\n");
	if (!prologue(d))
		return;
	if (!expect(d, "SYS.SHUTDOWN(HV 1)", fwd_shutdown(d->p, false), TDX_SUCCESS) ||
	    !update(d, 1, TDX_SYS_UPDATE_ENABLE_UPDATE_COMPAT))
		goto out;
	expect(d, "TD B: next PAGE.ADD refused before any change", finish_b(d),
	       TDX_INCOMPATIBLE_MRTD_CONTEXT);
	a.rcx = d->b.tdr;
	expect(d, "TD B torn down: MNG.VPFLUSHDONE ends the build",
	       fwd_call(d->p, 0, TDH_MNG_VPFLUSHDONE, 0, &a), TDX_SUCCESS);
	ref = mrtd_calc_new();
	if (ref && expect(d, "TD B rebuilt as TD C on the new module: 4 pages, MR.FINALIZE",
			  build_td(d, &c, 4, TD_B_PAGES, ref, true), TDX_SUCCESS) &&
	    !mrtd_matches(d, &c, ref, "C"))
		unexpected(d, "TD C was measured wrongly");
	mrtd_calc_free(ref);
	run_td_a(d, "after the update");
out:
	epilogue(d);
}

static int demo_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo d = { .p = NULL };
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (c == 'h')
			return cli_help(cmd);
		return CLI_USAGE;
	}
	if (optind != argc)
		return cli_usage_error(cmd, "demo: unexpected argument '%s'", argv[optind]);

	printf("tdxup demo: TD-preserving update of the TDX module %s -> %s (emulated host)\n",
	       OLD_MODULE, NEW_MODULE);
	run_v8(&d);
	run_mainline(&d);
	run_detect(&d);
	if (d.unexpected) {
		printf("\ndemo: %u UNEXPECTED outcome%s\n", d.unexpected,
		       d.unexpected == 1 ? "" : "s");
		return CLI_FAIL;
	}
	printf("\ndemo: every outcome as expected\n");
	return CLI_OK;
}

const struct cli_cmd cmd_demo = {
	.name = "demo",
	.summary = "run a module update and the TD-build erratum on an emulated host",
	.run = demo_run,
	.usage = demo_usage,
};
