// SPDX-License-Identifier: MIT
/* Test harness for KVM's TDX interface (see kvm_harness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/kernel.h"
#include "kvm_harness.h"
#include "helpers/fw_driver.h"
#include "emu/guest.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"

/* ---- host, trace --------------------------------------------------------- */

static void kh_trace_hook(void *ctx, const struct seamcall_record *r)
{
	struct trace *t = ctx;

	pthread_mutex_lock(&t->lock);
	if (t->n < 4096 && !(r->rax & P_SEAMLDR_SEAMCALL_BASE)) {
		t->leaf[t->n] = (uint16_t)(r->rax & TDX_LEAF_MASK);
		t->cpu[t->n] = r->cpu;
		t->n++;
	}
	pthread_mutex_unlock(&t->lock);
}

struct tdx_host *kh_host_new(enum kernel_profile prof, enum lockstep_driver drv,
			     struct trace *t)
{
	struct tdx_host_config cfg;
	struct tdx_host *h;
	int err = 0;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = 8;
	cfg.nr_packages = 2;
	cfg.boot_module = "1.5.25";
	cfg.profile = prof;
	cfg.driver = drv;
	if (t) {
		pthread_mutex_init(&t->lock, NULL);
		t->n = 0;
		cfg.hooks.ctx = t;
		cfg.hooks.seamcall = kh_trace_hook;
	}
	h = tdx_host_create(&cfg, &err);
	assert_int_equal(err, 0);
	assert_non_null(h);
	return h;
}

uint64_t kh_nr_free(struct tdx_host *h)
{
	return physmem_nr_free(seam_physmem(tdx_host_platform(h)));
}

uint64_t kh_hkids_in_use(struct tdx_host *h)
{
	uint64_t v;

	pthread_mutex_lock(&h->tdx.lock);
	v = h->tdx.hkid_bitmap;
	pthread_mutex_unlock(&h->tdx.lock);
	return v;
}

void kh_assert_clean(struct tdx_host *h, uint64_t free0)
{
	assert_int_equal(kh_nr_free(h), free0);
	assert_int_equal(kh_hkids_in_use(h), 0);
}

/* Run an update to version, in the image format of the host's profile. */
int kh_update_to(struct tdx_host *h, const char *version)
{
	unsigned int fmt = tdx_host_config(h)->profile == KERNEL_PROFILE_V8 ? 0x100 : 0x200;
	struct module_image_opts opts = { .format = fmt };
	uint8_t *img;
	size_t len;
	int ret;

	assert_int_equal(module_image_build(module_build_find(version), &opts, &img, &len), 0);
	ret = tdx_host_install_module(h, img, len);
	free(img);
	return ret;
}

void kh_assert_update_version(struct tdx_host *h, uint16_t update)
{
	uint16_t a, b, c;

	assert_int_equal(tdx_host_module_version(h, &a, &b, &c), 0);
	assert_int_equal(c, update);
}

/* ---- a TD and its reference ---------------------------------------------- */

void kh_fill_page(uint8_t *p, uint64_t seed)
{
	fwd_fill_page(p, seed);
}

int kh_vm_op(struct td *td, uint32_t id, uint32_t flags, uint64_t data, uint64_t *hw)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };
	int ret = kvm_vm_tdx_op(td->kvm, td->cpu, &cmd);

	if (hw)
		*hw = cmd.hw_error;
	return ret;
}

int kh_vcpu_op(struct td *td, uint32_t id, uint32_t flags, uint64_t data, uint64_t *hw)
{
	struct kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };
	int ret = kvm_vcpu_tdx_op(td->vcpu, td->cpu, &cmd);

	if (hw)
		*hw = cmd.hw_error;
	return ret;
}

int kh_init_vm(struct td *td, uint64_t *hw)
{
	struct kvm_tdx_init_vm init = { .xfam = 3, .mrconfigid = { 1, 2, 3 } };

	return kh_vm_op(td, KVM_TDX_INIT_VM, 0, (uintptr_t)&init, hw);
}

void kh_td_new(struct td *td, struct tdx_host *h, unsigned int cpu, uint64_t seed)
{
	int err = -1;

	memset(td, 0, sizeof(*td));
	td->h = h;
	td->cpu = cpu;
	td->kvm = kvm_create_vm(h, 4, &err);
	assert_int_equal(err, 0);
	assert_non_null(td->kvm);
	td->mem = aligned_alloc(PAGE_SIZE, MAX_PAGES * PAGE_SIZE);
	assert_non_null(td->mem);
	for (int i = 0; i < MAX_PAGES; i++)
		kh_fill_page(td->mem + PAGE_SIZE * i, seed * 100 + (uint64_t)i);
	memcpy(td->work, td->mem, PAGE_SIZE);
	td->ref = mrtd_calc_new();
	assert_non_null(td->ref);
	assert_int_equal(kvm_set_private_memory(td->kvm, GPA_BASE, MAX_PAGES), 0);
}

/* vCPU 0: its work page is the TD's first page. */
void kh_td_vcpu(struct td *td)
{
	int err = -1;

	td->vcpu = kvm_create_vcpu(td->kvm, 0, &err);
	assert_int_equal(err, 0);
	assert_int_equal(kh_vcpu_op(td, KVM_TDX_INIT_VCPU, 0, GPA_BASE, NULL), 0);
}

/* INIT_MEM_REGION of pages [first, first + n); the reference follows on success. */
int kh_td_region(struct td *td, unsigned int first, unsigned int n, bool measure,
		 uint64_t *hw)
{
	struct kvm_tdx_init_mem_region r = {
		.source_addr = (uintptr_t)(td->mem + PAGE_SIZE * first),
		.gpa = GPA_BASE + PAGE_SIZE * first,
		.nr_pages = n,
	};
	int ret = kh_vcpu_op(td, KVM_TDX_INIT_MEM_REGION,
			  measure ? KVM_TDX_MEASURE_MEMORY_REGION : 0, (uintptr_t)&r, hw);

	if (!ret) {
		assert_int_equal(r.nr_pages, 0);
		for (unsigned int i = first; i < first + n; i++)
			assert_int_equal(mrtd_calc_add_page(td->ref, GPA_BASE + PAGE_SIZE * i,
							    td->mem + PAGE_SIZE * i, measure), 0);
	}
	return ret;
}

void kh_td_finalize(struct td *td)
{
	uint64_t hw = 1;

	assert_int_equal(kh_vm_op(td, KVM_TDX_FINALIZE_VM, 0, 0, &hw), 0);
	assert_int_equal(hw, 0);
}

bool kh_td_mrtd_matches(struct td *td)
{
	uint8_t got[48];

	assert_int_equal(kvm_tdx_get_mrtd(td->kvm, td->cpu, got), 0);
	if (!td->final)
		assert_int_equal(mrtd_calc_final(td->ref, td->want), 0);
	td->final = true;
	return !memcmp(got, td->want, 48);
}

/* n KVM_RUNs, each checked against a replay of the guest's step. */
void kh_td_run(struct td *td, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		struct kvm_run_exit ex;
		uint64_t counter, checksum;

		assert_int_equal(kvm_vcpu_run(td->vcpu, td->cpu, &ex), 0);
		tdx_guest_step(td->work, &counter, &checksum);
		assert_int_equal(ex.status, TDX_SUCCESS | VMX_EXIT_REASON_TDCALL);
		assert_int_equal(ex.counter, counter);
		assert_int_equal(ex.checksum, checksum);
	}
}

void kh_td_free(struct td *td)
{
	kvm_destroy_vm(td->kvm, td->cpu);
	mrtd_calc_free(td->ref);
	free(td->mem);
}

/* A TD up to FINALIZE: INIT_VM, vCPU, pages measured in two regions. */
void kh_td_build_pages(struct td *td, struct tdx_host *h, unsigned int cpu, uint64_t seed,
		       unsigned int pages)
{
	kh_td_new(td, h, cpu, seed);
	assert_int_equal(kh_init_vm(td, NULL), 0);
	kh_td_vcpu(td);
	assert_int_equal(kh_td_region(td, 0, 1, true, NULL), 0);
	assert_int_equal(kh_td_region(td, 1, pages - 1, true, NULL), 0);
}

void kh_td_build(struct td *td, struct tdx_host *h, unsigned int cpu, uint64_t seed,
		 unsigned int pages)
{
	kh_td_build_pages(td, h, cpu, seed, pages);
	kh_td_finalize(td);
}