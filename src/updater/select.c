// SPDX-License-Identifier: MIT
/*
 * Module selection. Intel's rules (userspace.md 2.2): CPU, P-SEAMLDR
 * minimum, debug, TD-preserving (same major.minor, not older, running at
 * least the release's minimum source; re-installing the same version is
 * allowed). Added (3, item 4): image integrity and a trusted key, and,
 * with the catalogue image of the running version, the SEAM SVN rule
 * P-SEAMLDR enforces and handoff-version coverage, so that a candidate
 * P-SEAMLDR would reject after shutdown (losing every TD) is never chosen.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "tdxup/select.h"
#include "tdxup/seamldr_abi.h"

static const char *const verdict_names[] = {
	[SELECT_OK] = "ok",
	[SELECT_BAD_IMAGE] = "bad-image",
	[SELECT_UNTRUSTED_KEY] = "untrusted-key",
	[SELECT_CPU] = "cpu",
	[SELECT_SEAMLDR] = "seamldr",
	[SELECT_DEBUG] = "debug",
	[SELECT_MAJOR_MINOR] = "major-minor",
	[SELECT_OLDER] = "older",
	[SELECT_MIN_TD_PRESERVING] = "min-td-preserving",
	[SELECT_SVN] = "svn",
	[SELECT_HV] = "handoff-version",
};

const char *select_verdict_name(enum select_verdict v)
{
	if ((unsigned int)v >= sizeof(verdict_names) / sizeof(verdict_names[0]))
		return "unknown";
	return verdict_names[v];
}

int cpu_fms_host(uint32_t *fms)
{
#if defined(__x86_64__) || defined(__i386__)
	unsigned int eax, ebx, ecx, edx;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
		return -EOPNOTSUPP;
	*fms = eax;
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

/* A verdict with its reason; returns v so checks read "return say(...)". */
static enum select_verdict say(char *reason, size_t len, enum select_verdict v,
			       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static enum select_verdict say(char *reason, size_t len, enum select_verdict v,
			       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, len, fmt, ap);
	va_end(ap);
	return v;
}

static void append(char *reason, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *reason, size_t len, const char *fmt, ...)
{
	size_t used = strlen(reason);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(reason + used, len - used, fmt, ap);
	va_end(ap);
}

static void cpu_list(const struct sigstruct *s, char *buf, size_t len)
{
	uint32_t n = s->cpuid_table_size;

	if (n > SIGSTRUCT_CPUID_TABLE_MAX)
		n = SIGSTRUCT_CPUID_TABLE_MAX;
	snprintf(buf, len, "%s", n ? "" : "empty");
	for (uint32_t i = 0; i < n; i++)
		append(buf, len, "%s%#x", i ? ", " : "", s->cpuid_table[i]);
}

/* Some entry of the running P-SEAMLDR's major.minor, update not above it. */
static bool seamldr_ok(const struct catalog_release *rel, const struct tdx_version *ldr)
{
	for (size_t i = 0; i < rel->nr_min_seamldr; i++) {
		const struct tdx_version *m = &rel->min_seamldr[i];

		if (tdx_version_same_line(m, ldr) && m->update <= ldr->update)
			return true;
	}
	return false;
}

static enum select_verdict seamldr_refusal(const struct select_host *h,
					   const struct catalog_release *rel,
					   char *reason, size_t len)
{
	char vs[TDX_VERSION_STR_LEN];

	say(reason, len, SELECT_SEAMLDR, "P-SEAMLDR %s not supported (min_seamldr_versions:",
	    tdx_version_str(&h->seamldr, vs));
	for (size_t i = 0; i < rel->nr_min_seamldr; i++)
		append(reason, len, "%s %s", i ? "," : "",
		       tdx_version_str(&rel->min_seamldr[i], vs));
	append(reason, len, ")");
	return SELECT_SEAMLDR;
}

static bool forced(const struct select_host *h, const uint8_t hash[48])
{
	for (size_t i = 0; i < h->nr_forced_keys; i++)
		if (!memcmp(hash, h->forced_keys[i], 48))
			return true;
	return false;
}

/* Integrity, key, CPU, P-SEAMLDR, debug: is the image installable at all? */
static enum select_verdict check_image(const struct select_host *h,
				       const struct image_facts *img,
				       const struct catalog_release *rel, char *reason, size_t len)
{
	const struct sigstruct *s = &img->sig;
	char list[128];

	if (!img->intact)
		return say(reason, len, SELECT_BAD_IMAGE, "bad image: %s", img->problem);
	/* No hint at an override here: following one can lose every TD. */
	if (image_key_trust(img->key_hash, h->trusted_keys, h->nr_trusted_keys) == KEY_UNTRUSTED &&
	    !(h->accept_td_loss && forced(h, img->key_hash)))
		return say(reason, len, SELECT_UNTRUSTED_KEY,
			   "signing key %02x%02x%02x%02x... is not one this host trusts (Intel's, "
			   "or one declared in /etc/tdxup/trusted-keys.d/*.sha384 of the target): "
			   "P-SEAMLDR would judge it only after shutting the module down, and a "
			   "refusal there loses every TD", img->key_hash[0], img->key_hash[1],
			   img->key_hash[2], img->key_hash[3]);
	if (!sigstruct_supports_fms(s, h->cpu_fms)) {
		cpu_list(s, list, sizeof(list));
		return say(reason, len, SELECT_CPU,
			   "CPU %#x not supported (module CPU list: %s)", h->cpu_fms, list);
	}
	if (rel && !seamldr_ok(rel, &h->seamldr))
		return seamldr_refusal(h, rel, reason, len);
	if ((s->module_type & SIGSTRUCT_MODULE_TYPE_DEBUG) && !(h->allow_debug && h->accept_td_loss))
		return say(reason, len, SELECT_DEBUG,
			   "debug-signed module (sigstruct module_type bit 31): a production "
			   "P-SEAMLDR refuses it after shutting the module down, losing every TD");
	return SELECT_OK;
}

/* Would the update keep the TDs: line, direction, minimum source. */
static enum select_verdict check_td_preserving(const struct select_host *h,
					       const struct tdx_version *v,
					       const struct catalog_release *rel,
					       char *reason, size_t len)
{
	char vs[TDX_VERSION_STR_LEN], ms[TDX_VERSION_STR_LEN];

	tdx_version_str(&h->module, vs);
	if (!tdx_version_same_line(v, &h->module))
		return say(reason, len, SELECT_MAJOR_MINOR,
			   "not TD-preserving: major.minor differs from the running %s", vs);
	if (tdx_version_cmp(v, &h->module) < 0 && !h->allow_downgrade)
		return say(reason, len, SELECT_OLDER,
			   "not TD-preserving: older than the running %s (a downgrade)", vs);
	/* Whole versions compared (Intel compares the update only, same line assumed). */
	if (rel && tdx_version_cmp(&h->module, &rel->min_td_preserving) < 0)
		return say(reason, len, SELECT_MIN_TD_PRESERVING,
			   "not TD-preserving: running %s is below "
			   "min_module_version_for_td_preserving %s", vs,
			   tdx_version_str(&rel->min_td_preserving, ms));
	return SELECT_OK;
}

/* What P-SEAMLDR checks against the running module (seamldr.md 4). */
static enum select_verdict check_running(const struct select_host *h,
					 const struct sigstruct *s, char *reason, size_t len)
{
	const struct sigstruct *r = h->running_sig;

	if (s->seamsvn_major != r->seamsvn_major)
		return say(reason, len, SELECT_SVN,
			   "P-SEAMLDR would refuse it: SEAM SVN major %u differs from the running "
			   "module's %u", s->seamsvn_major, r->seamsvn_major);
	if (s->seamsvn_minor < r->seamsvn_minor)
		return say(reason, len, SELECT_SVN,
			   "P-SEAMLDR would refuse it: SEAM SVN minor %u is below the running "
			   "module's %u", s->seamsvn_minor, r->seamsvn_minor);
	/* The running module hands off data of version module_hv (inferred). */
	if (r->module_hv < s->min_update_hv || r->module_hv > s->module_hv)
		return say(reason, len, SELECT_HV,
			   "handoff incompatible: the running module's module_hv %u is outside "
			   "[min_update_hv %u, module_hv %u]", r->module_hv, s->min_update_hv,
			   s->module_hv);
	return SELECT_OK;
}

static void ok_reason(const struct select_host *h, const struct tdx_version *v,
		      const struct catalog_release *rel, char *reason, size_t len)
{
	char vs[TDX_VERSION_STR_LEN];
	int cmp = tdx_version_cmp(v, &h->module);

	tdx_version_str(&h->module, vs);
	if (!cmp)
		say(reason, len, SELECT_OK, "ok: same version as running (re-install)");
	else if (cmp > 0)
		say(reason, len, SELECT_OK, "ok: TD-preserving update from %s", vs);
	else
		say(reason, len, SELECT_OK, "ok: downgrade from %s (--force-downgrade)", vs);
	if (!h->running_sig)
		append(reason, len, "; SEAM SVN and handoff version not checked (no image of %s "
		       "in the catalogue)", vs);
	if (!rel)
		append(reason, len, "; P-SEAMLDR minimum and TD-preserving source not checked "
		       "(no catalogue entry)");
}

enum select_verdict select_check(const struct select_host *h, const struct tdx_version *v,
				 const struct image_facts *img, const struct catalog_release *rel,
				 char *reason, size_t len)
{
	enum select_verdict ret;

	ret = check_image(h, img, rel, reason, len);
	if (ret == SELECT_OK)
		ret = check_td_preserving(h, v, rel, reason, len);
	if (ret == SELECT_OK && h->running_sig)
		ret = check_running(h, &img->sig, reason, len);
	/*
	 * P-SEAMLDR checks the SVN only after the old module is shut down, so
	 * a downgrade it refuses loses every TD: never downgrade blind.
	 */
	if (ret == SELECT_OK && !h->running_sig && tdx_version_cmp(v, &h->module) < 0)
		ret = say(reason, len, SELECT_SVN,
			  "a downgrade needs the catalogue image of the running module to check "
			  "the SEAM SVN (P-SEAMLDR refuses a lower SVN after shutdown, losing "
			  "the module)");
	if (ret == SELECT_OK)
		ok_reason(h, v, rel, reason, len);
	return ret;
}

int select_run(const struct catalog *cat, const struct select_host *host,
	       struct select_result *r)
{
	const struct catalog_blob *run = catalog_find_blob(cat, &host->module);
	struct select_host h = *host;

	memset(r, 0, sizeof(*r));
	r->choice = -1;
	/* A damaged image of the running version says nothing reliable. */
	if (!h.running_sig && run && run->facts.intact)
		h.running_sig = &run->facts.sig;
	r->running_in_catalog = h.running_sig != NULL;
	r->cands = calloc(cat->nr_blobs + 1, sizeof(*r->cands));
	if (!r->cands)
		return -ENOMEM;
	r->nr = cat->nr_blobs;
	/* Blobs are newest first, so the first valid one is the choice. */
	for (size_t i = 0; i < cat->nr_blobs; i++) {
		const struct catalog_blob *b = &cat->blobs[i];
		struct select_candidate *c = &r->cands[i];

		c->version = b->version;
		c->blob = b;
		c->verdict = select_check(&h, &b->version, &b->facts, &cat->releases[b->release],
					  c->reason, sizeof(c->reason));
		if (c->verdict == SELECT_OK && r->choice < 0)
			r->choice = (int)i;
	}
	return 0;
}

void select_result_free(struct select_result *r)
{
	free(r->cands);
	r->cands = NULL;
	r->nr = 0;
	r->choice = -1;
}
