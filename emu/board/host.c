// SPDX-License-Identifier: MIT
/*
 * The emulated host: boots the SEAM platform (the BIOS's LOAD of the boot
 * module through P-SEAMLDR on every LP), enables TDX the way the kernel
 * does at boot, and registers the tdx_host device in its sysfs tree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/kernel.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"

void tdx_host_config_init(struct tdx_host_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = 8;
	cfg->nr_packages = 2;
	cfg->boot_module = "1.5.25";
	cfg->seamldr_major = 1;
	cfg->seamldr_minor = 5;
	cfg->seamldr_update = 1;
	cfg->num_remaining_updates = 16;
	cfg->cpu_fms = 0x806f8;
	cfg->profile = KERNEL_PROFILE_V8;
	cfg->driver = LOCKSTEP_THREADS;
	cfg->layout = SYSFS_LAYOUT_FINAL;
}

/* ---- the BIOS: LOAD the boot module on every LP --------------------- */

static int bios_params(struct tdx_host *h, const uint8_t *img, size_t len, uint64_t *pages,
		       size_t *nr)
{
	uint32_t off = le32(img + TDX_BLOB_V1_OFFSET_OF_MODULE);
	size_t nr_mod = (len - off) / PAGE_SIZE;
	uint8_t *prm;
	int ret;

	ret = physmem_alloc_n(h->pm, 2 + nr_mod, pages);
	if (ret)
		return ret;
	*nr = 2 + nr_mod;
	prm = physmem_map(h->pm, pages[0], PAGE_SIZE);
	put_le32(prm + SEAMLDR_PARAMS_SCENARIO, SEAMLDR_SCENARIO_LOAD);
	memcpy(physmem_map(h->pm, pages[1], PAGE_SIZE), img + TDX_BLOB_HEADER_SIZE, PAGE_SIZE);
	put_le64(prm + SEAMLDR_PARAMS_SIGSTRUCT_PA, pages[1]);
	put_le64(prm + SEAMLDR_PARAMS_NUM_MODULE_PAGES, nr_mod);
	for (size_t i = 0; i < nr_mod; i++) {
		memcpy(physmem_map(h->pm, pages[2 + i], PAGE_SIZE), img + off + i * PAGE_SIZE,
		       PAGE_SIZE);
		put_le64(prm + SEAMLDR_PARAMS_MOD_PAGES_PA_LIST + 8 * i, pages[2 + i]);
	}
	return 0;
}

static int bios_load_module(struct tdx_host *h)
{
	const struct module_build *b = module_build_find(h->cfg.boot_module);
	struct module_image_opts opts = { .format = TDX_BLOB_VERSION_1 };
	uint64_t pages[2 + SEAMLDR_MAX_NR_MODULE_PAGES];
	uint64_t status = 0;
	size_t len, nr = 0;
	uint8_t *img;
	int ret;

	if (!b)
		return -ENOENT;
	ret = module_image_build(b, &opts, &img, &len);
	if (ret)
		return ret;
	ret = bios_params(h, img, len, pages, &nr);
	free(img);
	if (ret)
		return ret;
	for (unsigned int lp = 0; lp < h->cfg.nr_cpus && !status; lp++) {
		struct seam_args a = { .rcx = pages[0] };

		status = seamcall(h->plat, lp, SEAMLDR_INSTALL, &a);
	}
	physmem_free_n(h->pm, nr, pages);
	if (status)
		host_log(h, "BIOS: SEAMLDR.INSTALL (LOAD) failed: 0x%016llx",
			 (unsigned long long)status);
	return status ? -EIO : 0;
}

/* ---- create / destroy ------------------------------------------------ */

/* A refusal before the host exists: no host_log yet, but the same sinks. */
static void config_log(const struct tdx_host_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void config_log(const struct tdx_host_config *cfg, const char *fmt, ...)
{
	const struct kthread_ops *kt = cfg->kt ? cfg->kt : kthread_default_ops();
	char line[256];
	struct host_event ev = { .kind = HOST_EV_LOG, .cpu = -1, .text = line };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (cfg->log_to_stderr)
		fprintf(stderr, "%s\n", line);
	if (cfg->hooks.event) {
		ev.at_us = kt->now_us(kt->ctx);
		cfg->hooks.event(cfg->hooks.ctx, &ev);
	}
}

static int check_config(const struct tdx_host_config *cfg)
{
	if (!cfg->nr_cpus || cfg->nr_cpus > SEAM_MAX_LPS || !cfg->nr_packages ||
	    cfg->nr_packages > SEAM_MAX_PACKAGES)
		return -EINVAL;
	/*
	 * A package without a CPU cannot run its SYS.KEY.CONFIG, so TDX
	 * could never come up: refuse before booting anything.
	 */
	if (cfg->nr_packages > cfg->nr_cpus) {
		config_log(cfg, "host: %u CPUs cannot populate %u packages: every package needs a CPU",
			   cfg->nr_cpus, cfg->nr_packages);
		return -EINVAL;
	}
	if ((unsigned int)cfg->profile > KERNEL_PROFILE_DETECT ||
	    (unsigned int)cfg->driver > LOCKSTEP_SERIAL ||
	    (unsigned int)cfg->layout > SYSFS_LAYOUT_LEGACY)
		return -EINVAL;
	return cfg->boot_module && module_build_find(cfg->boot_module) ? 0 : -ENOENT;
}

static int create_platform(struct tdx_host *h)
{
	struct seam_platform_config pc;

	seam_platform_config_init(&pc);
	pc.nr_lps = h->cfg.nr_cpus;
	pc.nr_packages = h->cfg.nr_packages;
	pc.cpu_fms = h->cfg.cpu_fms;
	pc.seamldr_major = h->cfg.seamldr_major;
	pc.seamldr_minor = h->cfg.seamldr_minor;
	pc.seamldr_update = h->cfg.seamldr_update;
	pc.num_remaining_updates = h->cfg.num_remaining_updates;
	h->plat = seam_platform_create(&pc);
	if (!h->plat)
		return -ENOMEM;
	h->pm = seam_physmem(h->plat);
	return 0;
}

struct tdx_host *tdx_host_create(const struct tdx_host_config *cfg, int *err)
{
	struct tdx_host *h;
	int ret = check_config(cfg);

	if (ret)
		goto fail;
	ret = -ENOMEM;
	h = calloc(1, sizeof(*h));
	if (!h)
		goto fail;
	h->cfg = *cfg;
	h->profile = profile_get(cfg->profile);
	h->kt = cfg->kt ? cfg->kt : kthread_default_ops();
	pthread_mutex_init(&h->seamldr_lock, NULL);
	pthread_mutex_init(&h->update_lock, NULL);
	pthread_mutex_init(&h->stats_lock, NULL);
	pthread_mutex_init(&h->tdx.lock, NULL);
	h->tdx.lp_initialized = calloc(cfg->nr_cpus, sizeof(bool));
	h->sysfs = sysfs_tree_create();
	if (!h->tdx.lp_initialized || !h->sysfs)
		goto err;
	/* Under the lab's scheduler, removals must wait by handing over the token. */
	if (h->kt->cooperative)
		sysfs_tree_set_kthread_ops(h->sysfs, h->kt);
	ret = create_platform(h);
	if (!ret)
		ret = cpus_init(h);
	if (!ret)
		ret = bios_load_module(h);
	if (!ret)
		ret = tdx_enable(h);
	if (!ret)
		ret = tdx_host_device_init(h);
	if (ret)
		goto err;
	return h;
err:
	tdx_host_destroy(h);
fail:
	if (err)
		*err = ret;
	return NULL;
}

void tdx_host_destroy(struct tdx_host *h)
{
	if (!h)
		return;
	if (h->sysfs)
		tdx_host_device_exit(h);
	if (h->cpus.cpu)
		cpus_exit(h);
	if (h->pm)
		tdx_exit(h);
	seam_platform_destroy(h->plat);
	sysfs_tree_destroy(h->sysfs);
	free(h->tdx.lp_initialized);
	pthread_mutex_destroy(&h->tdx.lock);
	pthread_mutex_destroy(&h->stats_lock);
	pthread_mutex_destroy(&h->update_lock);
	pthread_mutex_destroy(&h->seamldr_lock);
	free(h);
}

struct sysfs_tree *tdx_host_sysfs(struct tdx_host *h)
{
	return h->sysfs;
}

struct seam_platform *tdx_host_platform(struct tdx_host *h)
{
	return h->plat;
}

const struct tdx_host_config *tdx_host_config(const struct tdx_host *h)
{
	return &h->cfg;
}

int tdx_host_cpu_offline(struct tdx_host *h, unsigned int cpu)
{
	return cpu_set_online(h, cpu, false);
}

int tdx_host_cpu_online(struct tdx_host *h, unsigned int cpu)
{
	return cpu_set_online(h, cpu, true);
}

bool tdx_host_cpu_is_online(struct tdx_host *h, unsigned int cpu)
{
	return cpu_online(h, cpu);
}

void tdx_host_inject(struct tdx_host *h, enum host_fault f, unsigned int arg)
{
	switch (f) {
	case HOST_FAULT_INSTALL_RECOVERABLE:
		seam_inject_fault(h->plat, SEAM_FAULT_INSTALL_RECOVERABLE, arg);
		break;
	case HOST_FAULT_INSTALL_UNRECOVERABLE:
		seam_inject_fault(h->plat, SEAM_FAULT_INSTALL_UNRECOVERABLE, arg);
		break;
	case HOST_FAULT_LP_INIT:
		seam_inject_fault(h->plat, SEAM_FAULT_LP_INIT, arg);
		break;
	case HOST_FAULT_SYS_UPDATE:
		seam_inject_fault(h->plat, SEAM_FAULT_SYS_UPDATE, arg);
		break;
	case HOST_FAULT_RND_NO_ENTROPY:
		seam_inject_rnd_no_entropy(h->plat, arg);
		break;
	case HOST_FAULT_MIG_INTERRUPTED:
		/* A module without the counter has nothing to refuse with. */
		seam_set_mig_interrupted(h->plat, (uint16_t)arg);
		break;
	}
}

bool tdx_host_module_initialized(struct tdx_host *h)
{
	return tdx_get_sysinfo(h, NULL);
}

int tdx_host_module_version(struct tdx_host *h, uint16_t *major, uint16_t *minor,
			    uint16_t *update)
{
	struct tdx_sys_info si;

	if (!tdx_get_sysinfo(h, &si))
		return -ENXIO;
	*major = si.major;
	*minor = si.minor;
	*update = si.update;
	return 0;
}

void tdx_host_get_stats(struct tdx_host *h, struct tdx_host_stats *st)
{
	pthread_mutex_lock(&h->stats_lock);
	*st = h->stats;
	pthread_mutex_unlock(&h->stats_lock);
}

int tdx_host_install_module(struct tdx_host *h, const uint8_t *data, size_t len)
{
	return seamldr_install_module(h, data, len);
}
