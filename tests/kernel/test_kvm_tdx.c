// SPDX-License-Identifier: MIT
/*
 * KVM's TDX TD build (kernel.md 12): a TD built through the ioctls has the
 * MRTD the offline calculator predicts and runs with its memory intact;
 * every error path gives its errno and hw_error; teardown returns every
 * page and the HKID. Updates are in test_kvm_tdx_update.c.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "helpers/kvm_harness.h"
#include "tdxup/tdx_abi.h"

/* ---- the build, measured, run and torn down ----------------------------- */

static size_t count_leaf(const struct trace *t, size_t from, uint16_t leaf)
{
	size_t n = 0;

	for (size_t i = from; i < t->n; i++)
		n += t->leaf[i] == leaf;
	return n;
}

static void test_build_measure_run_teardown(void **state)
{
	struct trace t;
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, &t);
	uint64_t free0 = kh_nr_free(h);
	struct td td;
	size_t mark;

	kh_td_new(&td, h, 1, 7);
	mark = t.n;
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	/* MNG.CREATE, KEY.CONFIG on CPU 1 (package 0) then CPU 4 (package 1), 6 ADDCX, INIT, 2 RD. */
	assert_int_equal(t.n - mark, 12);
	assert_int_equal(t.leaf[mark], TDH_MNG_CREATE);
	assert_int_equal(t.leaf[mark + 1], TDH_MNG_KEY_CONFIG);
	assert_int_equal(t.cpu[mark + 1], 1);
	assert_int_equal(t.leaf[mark + 2], TDH_MNG_KEY_CONFIG);
	assert_int_equal(t.cpu[mark + 2], 4);
	assert_int_equal(count_leaf(&t, mark, TDH_MNG_ADDCX), 6);
	assert_int_equal(t.leaf[mark + 9], TDH_MNG_INIT);
	assert_int_equal(count_leaf(&t, mark, TDH_MNG_RD), 2);
	assert_int_equal(__builtin_popcountll(kh_hkids_in_use(h)), 1);

	mark = t.n;
	kh_td_vcpu(&td);
	assert_int_equal(t.n - mark, 5);	/* VP.CREATE, 3 VP.ADDCX, VP.INIT */
	assert_int_equal(t.leaf[mark + 4], TDH_VP_INIT);

	/* Add-then-extend per page; the SEPT levels 3, 2, 1 once, before the first add. */
	mark = t.n;
	assert_int_equal(kh_td_region(&td, 0, 2, true, NULL), 0);
	assert_int_equal(t.n - mark, 3 + 2 * 17);
	for (int i = 0; i < 3; i++)
		assert_int_equal(t.leaf[mark + i], TDH_MEM_SEPT_ADD);
	assert_int_equal(t.leaf[mark + 3], TDH_MEM_PAGE_ADD);
	assert_int_equal(t.leaf[mark + 4], TDH_MR_EXTEND);
	assert_int_equal(t.leaf[mark + 20], TDH_MEM_PAGE_ADD);
	for (size_t i = mark; i < t.n; i++)
		assert_int_equal(t.cpu[i], 1);
	/* Unmeasured pages are added only; the MRTD has their PAGE.ADD records. */
	mark = t.n;
	assert_int_equal(kh_td_region(&td, 2, 3, false, NULL), 0);
	assert_int_equal(count_leaf(&t, mark, TDH_MR_EXTEND), 0);
	assert_int_equal(count_leaf(&t, mark, TDH_MEM_PAGE_ADD), 3);
	assert_int_equal(kh_td_region(&td, 5, 3, true, NULL), 0);
	kh_td_finalize(&td);
	assert_true(kh_td_mrtd_matches(&td));
	kh_td_run(&td, 5);

	mark = t.n;
	kh_td_free(&td);
	/* VP.FLUSH, VPFLUSHDONE, FREEID, then 8 pages + 3 SEPT + 3 TDCX + TDVPR + 6 TDCS + TDR. */
	assert_int_equal(t.leaf[mark], TDH_VP_FLUSH);
	assert_int_equal(t.cpu[mark], 1);
	assert_int_equal(t.leaf[mark + 1], TDH_MNG_VPFLUSHDONE);
	assert_int_equal(t.leaf[mark + 2], TDH_MNG_KEY_FREEID);
	assert_int_equal(count_leaf(&t, mark, TDH_PHYMEM_PAGE_RECLAIM), 8 + 3 + 3 + 1 + 6 + 1);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
	pthread_mutex_destroy(&t.lock);
}

/* TD-build ioctls behave the same in every profile when no update intervenes. */
static void test_build_every_profile(void **state)
{
	static const enum kernel_profile profs[] = {
		KERNEL_PROFILE_V8, KERNEL_PROFILE_MAINLINE, KERNEL_PROFILE_DETECT,
	};

	for (size_t i = 0; i < 3; i++) {
		struct tdx_host *h = kh_host_new(profs[i], LOCKSTEP_SERIAL, NULL);
		uint64_t free0 = kh_nr_free(h);
		struct td td;

		kh_td_build(&td, h, 2, i + 1, 6);
		assert_true(kh_td_mrtd_matches(&td));
		kh_td_run(&td, 3);
		kh_td_free(&td);
		kh_assert_clean(h, free0);
		tdx_host_destroy(h);
	}
}

/* HKIDs come back: more TDs in sequence than there are HKIDs. */
static void test_hkids_recycled(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);

	for (int i = 0; i < 80; i++) {
		struct td td;

		kh_td_new(&td, h, 0, 1);
		assert_int_equal(kh_init_vm(&td, NULL), 0);
		kh_td_free(&td);
	}
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

/* ---- error paths ---------------------------------------------------------- */

static void test_capabilities(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	struct kvm_tdx_capabilities caps;
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_CAPABILITIES, .data = (uintptr_t)&caps };
	struct td td;

	kh_td_new(&td, h, 0, 1);
	memset(&caps, 0xAA, sizeof(caps));
	assert_int_equal(kvm_vm_tdx_op(td.kvm, 0, &cmd), 0);
	assert_int_equal(caps.supported_attrs, 0x00000000F0000001ULL);
	assert_int_equal(caps.supported_xfam, 0x00000000000618E7ULL);
	assert_int_equal(caps.nr_cpuid_configs, 0);
	assert_int_equal(caps.padding, 0);
	cmd.flags = 1;
	assert_int_equal(kvm_vm_tdx_op(td.kvm, 0, &cmd), -EINVAL);
	cmd.flags = 0;
	cmd.hw_error = 5;
	assert_int_equal(kvm_vm_tdx_op(td.kvm, 0, &cmd), -EINVAL);
	cmd = (struct kvm_tdx_cmd){ .id = KVM_TDX_CAPABILITIES };
	assert_int_equal(kvm_vm_tdx_op(td.kvm, 0, &cmd), -EFAULT);
	cmd.id = KVM_TDX_CMD_NR_MAX;
	assert_int_equal(kvm_vm_tdx_op(td.kvm, 0, &cmd), -EINVAL);
	kh_td_free(&td);
	tdx_host_destroy(h);
}

static int init_vm_with(struct td *td, const struct kvm_tdx_init_vm *init, uint32_t flags,
			uint64_t hw_in)
{
	struct kvm_tdx_cmd cmd = {
		.id = KVM_TDX_INIT_VM, .flags = flags, .data = (uintptr_t)init, .hw_error = hw_in,
	};

	return kvm_vm_tdx_op(td->kvm, td->cpu, &cmd);
}

static void test_init_vm_errors(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	struct kvm_tdx_init_vm init = { .xfam = 3 };
	struct td td;
	int err;

	kh_td_new(&td, h, 0, 1);
	assert_int_equal(init_vm_with(&td, &init, 1, 0), -EINVAL);	/* flags */
	assert_int_equal(init_vm_with(&td, &init, 0, 1), -EINVAL);	/* hw_error in */
	assert_int_equal(init_vm_with(&td, NULL, 0, 0), -EFAULT);
	init.reserved[11] = 1;
	assert_int_equal(init_vm_with(&td, &init, 0, 0), -EINVAL);
	init.reserved[11] = 0;
	init.attributes = 1ULL << 1;				/* not in ATTRIBUTES_FIXED0 */
	assert_int_equal(init_vm_with(&td, &init, 0, 0), -EINVAL);
	init.attributes = 0;
	init.xfam = 1;						/* XFAM_FIXED1 needs bits 0-1 */
	assert_int_equal(init_vm_with(&td, &init, 0, 0), -EINVAL);
	init.xfam = 3 | (1ULL << 40);				/* outside XFAM_FIXED0 */
	assert_int_equal(init_vm_with(&td, &init, 0, 0), -EINVAL);
	init.xfam = 3;
	kh_assert_clean(h, free0);

	/* A vCPU already exists: -EBUSY. */
	assert_non_null(kvm_create_vcpu(td.kvm, 0, &err));
	assert_int_equal(init_vm_with(&td, &init, 0, 0), -EBUSY);
	kh_td_free(&td);

	/* Twice. */
	kh_td_new(&td, h, 0, 1);
	assert_int_equal(init_vm_with(&td, &init, 0, 0), 0);
	assert_int_equal(init_vm_with(&td, &init, 0, 0), -EINVAL);
	kh_td_free(&td);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

/* MNG.INIT refuses max_vcpus over the module's limit: -EINVAL with the status, nothing kept. */
static void test_init_vm_operand_invalid(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	struct kvm_tdx_init_vm init = { .xfam = 3 };
	struct kvm_tdx_cmd cmd = { .id = KVM_TDX_INIT_VM, .data = (uintptr_t)&init };
	struct kvm *kvm;
	int err = -1;

	assert_null(kvm_create_vm(h, 0, &err));
	assert_int_equal(err, -EINVAL);
	kvm = kvm_create_vm(h, 2000, &err);
	assert_non_null(kvm);
	assert_int_equal(kvm_vm_tdx_op(kvm, 3, &cmd), -EINVAL);
	assert_int_equal(cmd.hw_error, 0xC000010000000002ULL);	/* OPERAND_INVALID(RDX) */
	assert_false(kvm_vm_dead(kvm));
	kh_assert_clean(h, free0);
	kvm_destroy_vm(kvm, 3);
	assert_int_equal(kh_nr_free(h), free0);
	tdx_host_destroy(h);
}

/* RND_NO_ENTROPY past sc_retry's 10 retries: -EAGAIN, nothing kept, INIT_VM may be retried. */
static void test_init_vm_no_entropy(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	struct td td;

	kh_td_new(&td, h, 0, 1);
	/* sc_retry makes RDRAND_RETRY_LOOPS (10) calls in all. */
	tdx_host_inject(h, HOST_FAULT_RND_NO_ENTROPY, 10);
	assert_int_equal(kh_init_vm(&td, NULL), -EAGAIN);
	kh_assert_clean(h, free0);
	tdx_host_inject(h, HOST_FAULT_RND_NO_ENTROPY, 9);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	kh_td_vcpu(&td);
	assert_int_equal(kh_td_region(&td, 0, 2, true, NULL), 0);
	kh_td_finalize(&td);
	assert_true(kh_td_mrtd_matches(&td));
	kh_td_free(&td);
	assert_int_equal(kh_nr_free(h), free0);
	tdx_host_destroy(h);
}

/* Every package needs an online CPU for MNG.KEY.CONFIG. */
static void test_init_vm_package_offline(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	struct td td;

	for (unsigned int cpu = 4; cpu < 8; cpu++)
		assert_int_equal(tdx_host_cpu_offline(h, cpu), 0);
	kh_td_new(&td, h, 0, 1);
	assert_int_equal(kh_init_vm(&td, NULL), -EIO);
	assert_false(kvm_vm_dead(td.kvm));
	kh_assert_clean(h, free0);
	assert_int_equal(tdx_host_cpu_online(h, 6), 0);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	kh_td_free(&td);
	assert_int_equal(kh_nr_free(h), free0);
	tdx_host_destroy(h);
}

static int region_raw(struct td *td, uint64_t src, uint64_t gpa, uint64_t n, uint32_t flags,
		      uint64_t hw_in)
{
	struct kvm_tdx_init_mem_region r = { .source_addr = src, .gpa = gpa, .nr_pages = n };
	struct kvm_tdx_cmd cmd = {
		.id = KVM_TDX_INIT_MEM_REGION, .flags = flags, .data = (uintptr_t)&r,
		.hw_error = hw_in,
	};
	int ret = kvm_vcpu_tdx_op(td->vcpu, td->cpu, &cmd);

	/* A refused region is left as it was. */
	if (ret == -EINVAL || ret == -EFAULT)
		assert_int_equal(r.nr_pages, n);
	return ret;
}

static void test_vcpu_errors(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h);
	uintptr_t src;
	struct td td;
	int err;

	kh_td_new(&td, h, 0, 1);
	src = (uintptr_t)td.mem;
	td.vcpu = kvm_create_vcpu(td.kvm, 0, &err);
	assert_int_equal(err, 0);
	assert_null(kvm_create_vcpu(td.kvm, 0, &err));
	assert_int_equal(err, -EEXIST);
	assert_null(kvm_create_vcpu(td.kvm, 4, &err));			/* max_vcpus 4 */
	assert_int_equal(err, -EINVAL);
	/* Before INIT_VM there is no TD. */
	assert_int_equal(kh_vcpu_op(&td, KVM_TDX_INIT_VCPU, 0, GPA_BASE, NULL), -EINVAL);
	assert_int_equal(region_raw(&td, src, GPA_BASE, 1, 1, 0), -EINVAL);
	/* INIT_VM refuses while a vCPU exists, so use a second VM for the rest. */
	kh_td_free(&td);

	kh_td_new(&td, h, 0, 1);
	src = (uintptr_t)td.mem;
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	td.vcpu = kvm_create_vcpu(td.kvm, 0, &err);
	assert_int_equal(region_raw(&td, src, GPA_BASE, 1, 1, 0), -EINVAL);	/* vCPU not init */
	assert_int_equal(kh_vcpu_op(&td, KVM_TDX_INIT_VCPU, 1, GPA_BASE, NULL), -EINVAL);
	assert_int_equal(kh_vcpu_op(&td, KVM_TDX_GET_CPUID, 0, 0, NULL), -EINVAL);
	assert_int_equal(kh_vcpu_op(&td, KVM_TDX_INIT_VCPU, 0, GPA_BASE, NULL), 0);
	assert_int_equal(kh_vcpu_op(&td, KVM_TDX_INIT_VCPU, 0, GPA_BASE, NULL), -EINVAL);

	assert_int_equal(region_raw(&td, src, GPA_BASE, 1, 2, 0), -EINVAL);	/* flags */
	assert_int_equal(region_raw(&td, src, GPA_BASE, 1, 1, 9), -EINVAL);	/* hw_error */
	assert_int_equal(region_raw(&td, src, GPA_BASE + 8, 1, 1, 0), -EINVAL);
	assert_int_equal(region_raw(&td, src + 8, GPA_BASE, 1, 1, 0), -EINVAL);
	assert_int_equal(region_raw(&td, src, GPA_BASE, 0, 1, 0), -EINVAL);
	assert_int_equal(region_raw(&td, src, GPA_BASE, 1ULL << 52, 1, 0), -EINVAL); /* wraps */
	assert_int_equal(region_raw(&td, src, 0, 1, 1, 0), -EINVAL);		/* not private */
	assert_int_equal(region_raw(&td, src, GPA_BASE, MAX_PAGES + 1, 1, 0), -EINVAL);
	assert_int_equal(region_raw(&td, 0, GPA_BASE, 1, 1, 0), -EFAULT);
	assert_int_equal(kvm_set_private_memory(td.kvm, GPA_BASE + 1, 1), -EINVAL);
	assert_int_equal(kvm_set_private_memory(td.kvm, GPA_BASE, 0), -EINVAL);
	assert_int_equal(kvm_set_private_memory(td.kvm, 1ULL << 47, 1), -EINVAL);	/* shared */

	/* A page populated twice. */
	assert_int_equal(kh_td_region(&td, 0, 1, true, NULL), 0);
	assert_int_equal(region_raw(&td, src, GPA_BASE, 1, 1, 0), -EEXIST);

	/* Not runnable yet. */
	{
		struct kvm_run_exit ex;
		uint8_t mrtd[48];

		assert_int_equal(kvm_vcpu_run(td.vcpu, 0, &ex), -EINVAL);
		assert_int_equal(kvm_tdx_get_mrtd(td.kvm, 0, mrtd), -EINVAL);
	}
	assert_int_equal(kh_vm_op(&td, KVM_TDX_FINALIZE_VM, 1, 0, NULL), -EINVAL);
	kh_td_finalize(&td);
	assert_true(kh_td_mrtd_matches(&td));

	/* Once RUNNABLE: vCPU ops -EINVAL, no new vCPU, no second FINALIZE or INIT_VM. */
	assert_int_equal(kh_vcpu_op(&td, KVM_TDX_INIT_VCPU, 0, GPA_BASE, NULL), -EINVAL);
	assert_int_equal(region_raw(&td, src + PAGE_SIZE, GPA_BASE + PAGE_SIZE, 1, 1, 0), -EINVAL);
	assert_null(kvm_create_vcpu(td.kvm, 1, &err));
	assert_int_equal(err, -EBUSY);
	assert_int_equal(kh_vm_op(&td, KVM_TDX_FINALIZE_VM, 0, 0, NULL), -EINVAL);
	assert_int_equal(kh_init_vm(&td, NULL), -EINVAL);
	kh_td_run(&td, 2);
	kh_td_free(&td);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

/* FINALIZE without a vCPU: the module's TDX_NO_VCPUS, KVM_BUG, the VM dead; teardown works. */
static void test_finalize_no_vcpus(void **state)
{
	struct tdx_host *h = kh_host_new(KERNEL_PROFILE_V8, LOCKSTEP_SERIAL, NULL);
	uint64_t free0 = kh_nr_free(h), hw = 0;
	struct td td;
	int err;

	kh_td_new(&td, h, 0, 1);
	assert_int_equal(kh_init_vm(&td, NULL), 0);
	assert_int_equal(kh_vm_op(&td, KVM_TDX_FINALIZE_VM, 0, 0, &hw), -EIO);
	assert_int_equal(hw, 0xC000060900000000ULL);
	assert_true(kvm_vm_dead(td.kvm));
	assert_int_equal(kh_vm_op(&td, KVM_TDX_FINALIZE_VM, 0, 0, NULL), -EIO);
	assert_null(kvm_create_vcpu(td.kvm, 0, &err));
	assert_int_equal(err, -EIO);
	kh_td_free(&td);
	/* Teardown (VPFLUSHDONE) closed the build window: v8 now lets an update through. */
	assert_int_equal(kh_update_to(h, "1.5.30"), 0);
	kh_assert_clean(h, free0);
	tdx_host_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_measure_run_teardown),
		cmocka_unit_test(test_build_every_profile),
		cmocka_unit_test(test_hkids_recycled),
		cmocka_unit_test(test_capabilities),
		cmocka_unit_test(test_init_vm_errors),
		cmocka_unit_test(test_init_vm_operand_invalid),
		cmocka_unit_test(test_init_vm_no_entropy),
		cmocka_unit_test(test_init_vm_package_offline),
		cmocka_unit_test(test_vcpu_errors),
		cmocka_unit_test(test_finalize_no_vcpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
