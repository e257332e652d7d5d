// SPDX-License-Identifier: MIT
/*
 * The emulated SEAM platform: LPs, SEAMCALL routing, SEAM_READY, SEAMDB and
 * the hardware-side hooks tests use to stand in for real silicon.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emu/topology.h"
#include "fw/seam_internal.h"
#include "fw/tdx_module.h"

#define DEFAULT_PHYSMEM_FRAMES	SEAM_DEFAULT_PHYSMEM_FRAMES

void seam_platform_config_init(struct seam_platform_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_lps = 8;
	cfg->nr_packages = 2;
	cfg->cpu_fms = 0x806f8;		/* Sapphire Rapids */
	cfg->seamldr_major = 1;
	cfg->seamldr_minor = 5;
	cfg->seamldr_update = 1;
	cfg->num_remaining_updates = 16;
	cfg->physmem_frames = DEFAULT_PHYSMEM_FRAMES;
}

struct seam_platform *seam_platform_create(const struct seam_platform_config *cfg)
{
	struct seam_platform *p;
	uint64_t frames;

	if (!cfg->nr_lps || cfg->nr_lps > SEAM_MAX_LPS || !cfg->nr_packages ||
	    cfg->nr_packages > SEAM_MAX_PACKAGES || cfg->nr_packages > cfg->nr_lps ||
	    cfg->nr_trusted_keys > SEAM_MAX_TRUSTED_KEYS)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cfg = *cfg;
	frames = cfg->physmem_frames ? cfg->physmem_frames : DEFAULT_PHYSMEM_FRAMES;
	p->pm = physmem_create(frames);
	p->pamt = calloc(frames, sizeof(*p->pamt));
	if (!p->pm || !p->pamt)
		goto err;
	pthread_mutex_init(&p->fw_lock, NULL);
	/* Until a LOAD, the SEAMDB is as the NP-SEAMLDR left it: empty. */
	p->num_remaining_updates = cfg->num_remaining_updates;
	p->seamextend[SEAMEXTEND_P_SEAM_READY] = 1;
	p->seamextend[SEAMEXTEND_SEAM_DEBUG] = cfg->debug_platform;
	return p;
err:
	physmem_destroy(p->pm);
	free(p->pamt);
	free(p);
	return NULL;
}

void seam_platform_destroy(struct seam_platform *p)
{
	if (!p)
		return;
	tdx_module_destroy(p->mod);
	pthread_mutex_destroy(&p->fw_lock);
	physmem_destroy(p->pm);
	free(p->pamt);
	free(p);
}

struct physmem *seam_physmem(struct seam_platform *p)
{
	return p->pm;
}

unsigned int seam_nr_lps(const struct seam_platform *p)
{
	return p->cfg.nr_lps;
}

unsigned int seam_nr_packages(const struct seam_platform *p)
{
	return p->cfg.nr_packages;
}

unsigned int seam_lp_package(const struct seam_platform *p, unsigned int lp)
{
	return topology_lp_package(lp, p->cfg.nr_lps, p->cfg.nr_packages);
}

static uint64_t module_seamcall(struct seam_platform *p, unsigned int lp, uint64_t rax,
				struct seam_args *args)
{
	struct seam_lp *l = &p->lps[lp];
	uint64_t ret;

	atomic_store(&l->lp_is_busy, true);
	pthread_mutex_lock(&p->fw_lock);
	if (!p->seam_ready || !p->mod)
		ret = TDX_SEAMCALL_VMFAILINVALID;
	else
		ret = tdx_module_dispatch(p->mod, lp, rax, args);
	pthread_mutex_unlock(&p->fw_lock);
	/*
	 * Only setting the flag must be seq_cst (before fw_lock, see
	 * seam_internal.h). Nothing this LP does after clearing it depends on
	 * SHUTDOWN seeing the clear, so a release store does: a mov on x86
	 * instead of a locked xchg on every SEAMCALL.
	 */
	atomic_store_explicit(&l->lp_is_busy, false, memory_order_release);
	return ret;
}

static uint64_t seamldr_seamcall(struct seam_platform *p, unsigned int lp, uint64_t rax,
				 struct seam_args *args)
{
	uint64_t ret;

	/*
	 * P-SEAMLDR admits one LP at a time; a second one is turned away
	 * rather than queued, and nothing of the first one's flow changes.
	 */
	if (atomic_exchange(&p->seamldr_entered, true))
		return SEAMLDR_EBADCALL;
	pthread_mutex_lock(&p->fw_lock);
	ret = seamldr_dispatch(p, lp, rax, args);
	pthread_mutex_unlock(&p->fw_lock);
	atomic_store(&p->seamldr_entered, false);
	return ret;
}

uint64_t seamcall(struct seam_platform *p, unsigned int lp, uint64_t rax,
		  struct seam_args *args)
{
	struct seam_lp *l;
	uint64_t ret;

	/* A SEAMCALL names no LP on hardware; a bad index is a caller bug. */
	if (lp >= p->cfg.nr_lps)
		return TDX_SEAMCALL_UD;
	l = &p->lps[lp];
	/* SEAMCALL while this LP is already in SEAM (or running a guest): #UD. */
	if (atomic_load(&l->guest_running) || atomic_exchange(&l->in_seamcall, true))
		return TDX_SEAMCALL_UD;
	if (rax & P_SEAMLDR_SEAMCALL_BASE)
		ret = seamldr_seamcall(p, lp, rax, args);
	else
		ret = module_seamcall(p, lp, rax, args);
	/* Release pairs with the exchange of this LP's next SEAMCALL. */
	atomic_store_explicit(&l->in_seamcall, false, memory_order_release);
	return ret;
}

void seam_platform_get_state(struct seam_platform *p, struct seam_platform_state *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&p->fw_lock);
	st->seam_ready = p->seam_ready;
	st->module_loaded = p->mod != NULL;
	st->num_remaining_updates = p->num_remaining_updates;
	st->seamdb_entries = p->nr_seamdb;
	st->sys_state = -1;
	if (p->mod) {
		st->major = p->mod->build.major;
		st->minor = p->mod->build.minor;
		st->update = p->mod->build.update;
		st->sys_state = p->mod->sys_state;
		st->td_build_count = p->mod->g.td_build_count;
	}
	pthread_mutex_unlock(&p->fw_lock);
}

unsigned int seam_seamdb(struct seam_platform *p, struct seamdb_entry *out, unsigned int max)
{
	unsigned int n, first;

	pthread_mutex_lock(&p->fw_lock);
	/* The oldest entries still in the log first. */
	first = p->nr_seamdb > SEAM_SEAMDB_LOG ? p->nr_seamdb - SEAM_SEAMDB_LOG : 0;
	for (unsigned int i = 0; i < max && first + i < p->nr_seamdb; i++)
		out[i] = p->seamdb[(first + i) % SEAM_SEAMDB_LOG];
	n = p->nr_seamdb;
	pthread_mutex_unlock(&p->fw_lock);
	return n;
}

void seam_lp_set_guest_running(struct seam_platform *p, unsigned int lp, bool running)
{
	if (lp >= p->cfg.nr_lps)
		return;
	atomic_store(&p->lps[lp].guest_running, running);
	atomic_store(&p->lps[lp].lp_is_busy, running);
}

void seam_inject_fault(struct seam_platform *p, enum seam_fault f, unsigned int lp)
{
	pthread_mutex_lock(&p->fw_lock);
	p->fault = f;
	p->fault_lp = lp;
	pthread_mutex_unlock(&p->fw_lock);
}

/*
 * The module models no TDH.EXPORT/IMPORT leaves, so an interrupted
 * migration session is set from outside (inferred): only a module with
 * update compatibility keeps the counter (tdx-module.md 4).
 */
int seam_set_mig_interrupted(struct seam_platform *p, uint16_t n)
{
	int ret = -ENODEV;

	pthread_mutex_lock(&p->fw_lock);
	if (p->mod && p->mod->build.update_compat) {
		p->mod->g.mig_interrupted_count = n;
		ret = 0;
	}
	pthread_mutex_unlock(&p->fw_lock);
	return ret;
}

void seam_inject_rnd_no_entropy(struct seam_platform *p, unsigned int n)
{
	pthread_mutex_lock(&p->fw_lock);
	p->rnd_no_entropy = n;
	pthread_mutex_unlock(&p->fw_lock);
}

bool seam_rdrand_fails(struct seam_platform *p)
{
	if (!p->rnd_no_entropy)
		return false;
	p->rnd_no_entropy--;
	return true;
}

bool seam_fault_hit(struct seam_platform *p, enum seam_fault f, unsigned int lp)
{
	if (p->fault != f || p->fault_lp != lp)
		return false;
	p->fault = SEAM_FAULT_NONE;
	return true;
}

/*
 * INSTALL faults name the LP whose call arms them, not the last LP: the
 * last LP does all the work, and which LP is last is the host's order
 * (serial: CPU n-1; threads: whoever takes the lock last). Keyed to "the
 * last LP" a fault would fire or not by that order; keyed to the flow the
 * named LP took part in, it fires under every order.
 */
bool seam_install_fault_hit(struct seam_platform *p, enum seam_fault f)
{
	if (p->fault != f || p->fault_lp >= p->cfg.nr_lps || !p->install.called[p->fault_lp])
		return false;
	p->fault = SEAM_FAULT_NONE;
	return true;
}
