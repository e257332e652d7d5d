// SPDX-License-Identifier: MIT
/*
 * Scenario files for `tdxup lab --scenario FILE.json` (schema in
 * examples/README.md). Every field is optional; unknown fields are errors,
 * so a typo never silently runs the default scenario.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lab/lab.h"
#include "tdxup/image.h"
#include "emu/module_build.h"

static const struct {
	const char *name;
	enum lab_fault_kind kind;
} fault_names[] = {
	{ "install-recoverable", LAB_FAULT_INSTALL_RECOVERABLE },
	{ "install-unrecoverable", LAB_FAULT_INSTALL_UNRECOVERABLE },
	{ "lp-init", LAB_FAULT_LP_INIT },
	{ "sys-update", LAB_FAULT_SYS_UPDATE },
	{ "offline-cpu", LAB_FAULT_OFFLINE_CPU },
	{ "rnd-no-entropy", LAB_FAULT_RND_NO_ENTROPY },
	{ "corrupt-image", LAB_FAULT_CORRUPT_IMAGE },
	{ "mig-interrupted", LAB_FAULT_MIG_INTERRUPTED },
};

/* Strings in cfg point into this, kept for the process's life. */
static json_t *loaded[16];

static int fail(char *err, size_t len, const char *path, const char *what, const char *field)
{
	snprintf(err, len, "%s: %s%s%s", path, what, field ? ": " : "", field ? field : "");
	return -EINVAL;
}

static int get_uint(json_t *v, unsigned int max, unsigned int *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return -EINVAL;
	i = json_integer_value(v);
	if (i < 0 || i > max)
		return -EINVAL;
	*out = (unsigned int)i;
	return 0;
}

/* The key a kind takes its argument under, or NULL: a wrong key is refused. */
static const char *arg_key(enum lab_fault_kind k)
{
	if (lab_fault_takes_cpu(k))
		return "cpu";
	return lab_fault_takes_count(k) ? "count" : NULL;
}

static int parse_fault(json_t *f, struct lab_fault *out, char *why, size_t len)
{
	const char *kind = NULL, *key, *want;
	json_t *v;
	size_t i;

	if (!json_is_object(f) || json_unpack(f, "{s:s}", "kind", &kind)) {
		snprintf(why, len, "not an object with a \"kind\"");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(fault_names) / sizeof(fault_names[0]); i++)
		if (!strcmp(kind, fault_names[i].name))
			break;
	if (i == sizeof(fault_names) / sizeof(fault_names[0])) {
		snprintf(why, len, "unknown kind \"%s\"", kind);
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));
	out->kind = fault_names[i].kind;
	want = arg_key(out->kind);
	json_object_foreach(f, key, v) {
		unsigned int max = !strcmp(key, "cpu") ? 511 : !strcmp(key, "count") ? 1000 : 64;

		if (strcmp(key, "kind") && strcmp(key, "attempt") && (!want || strcmp(key, want))) {
			snprintf(why, len, "%s takes %s%s%s, not \"%s\"", kind,
				 want ? "\"" : "no CPU or count", want ? want : "",
				 want ? "\"" : "", key);
			return -EINVAL;
		}
		if (!strcmp(key, "kind"))
			continue;
		if (get_uint(v, max, !strcmp(key, "attempt") ? &out->attempt : &out->arg)) {
			snprintf(why, len, "%s: \"%s\" wants an integer from 0 to %u", kind, key, max);
			return -EINVAL;
		}
	}
	return lab_fault_check(out, why, len);
}

static int parse_faults(json_t *arr, struct lab_config *cfg, char *why, size_t len)
{
	size_t i;
	json_t *f;
	int n;

	if (!json_is_array(arr) || json_array_size(arr) > LAB_MAX_FAULTS) {
		snprintf(why, len, "an array of at most %u faults", LAB_MAX_FAULTS);
		return -EINVAL;
	}
	json_array_foreach(arr, i, f) {
		n = snprintf(why, len, "[%zu]: ", i);
		if (n < 0 || (size_t)n >= len)
			n = 0;
		if (parse_fault(f, &cfg->faults[i], why + n, len - (size_t)n))
			return -EINVAL;
	}
	cfg->nr_faults = (unsigned int)json_array_size(arr);
	return 0;
}

struct uint_field {
	const char *key;
	unsigned int min, max;
	size_t off;
};

#define UF(k, lo, hi, field) { k, lo, hi, offsetof(struct lab_config, field) }

static const struct uint_field uint_fields[] = {
	UF("cpus", 1, 512, cpus), UF("packages", 1, 8, packages),
	UF("running", 0, 16, running), UF("builders", 0, 32, builders),
	UF("pages", 1, 4096, pages), UF("rounds", 1, 16, rounds),
	UF("updates", 1, 16, updates), UF("updates_left", 0, 1000000, updates_left),
};

static int parse_field(const char *key, json_t *v, struct lab_config *cfg)
{
	unsigned int u;

	for (size_t i = 0; i < sizeof(uint_fields) / sizeof(uint_fields[0]); i++) {
		if (strcmp(key, uint_fields[i].key))
			continue;
		if (get_uint(v, uint_fields[i].max, &u) || u < uint_fields[i].min)
			return -EINVAL;
		*(unsigned int *)((char *)cfg + uint_fields[i].off) = u;
		return 0;
	}
	if (!strcmp(key, "name") || !strcmp(key, "from") || !strcmp(key, "to") ||
	    !strcmp(key, "expect") || !strcmp(key, "description")) {
		if (!json_is_string(v))
			return -EINVAL;
		if ((!strcmp(key, "from") || !strcmp(key, "to")) &&
		    !module_build_find(json_string_value(v)))
			return -EINVAL;	/* as --from/--to: a built-in build */
		if (!strcmp(key, "name"))
			cfg->name = json_string_value(v);
		else if (!strcmp(key, "from"))
			cfg->from = json_string_value(v);
		else if (!strcmp(key, "to"))
			cfg->to = json_string_value(v);
		else if (!strcmp(key, "expect"))
			cfg->expect = json_string_value(v);
		return 0;
	}
	if (!strcmp(key, "profile"))
		return json_is_string(v) ? kernel_profile_parse(json_string_value(v), &cfg->profile)
					 : -EINVAL;
	if (!strcmp(key, "seed")) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return -EINVAL;
		cfg->seed = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!strcmp(key, "retry")) {
		const char *s = json_is_string(v) ? json_string_value(v) : "";

		if (strcmp(s, "none") && strcmp(s, "backoff"))
			return -EINVAL;
		cfg->retry = !strcmp(s, "none") ? LAB_RETRY_NONE : LAB_RETRY_BACKOFF;
		return 0;
	}
	if (!strcmp(key, "retry_for_ms") || !strcmp(key, "update_at_us")) {
		if (get_uint(v, 3600000, &u))
			return -EINVAL;
		if (!strcmp(key, "retry_for_ms"))
			cfg->retry_for_us = (uint64_t)u * 1000;
		else
			cfg->update_at_us = u;
		return 0;
	}
	return -ENOENT;
}

int lab_scenario_parse(const char *name, const char *text, size_t len, struct lab_config *cfg,
		       struct json_t **rootp, char *err, size_t errlen)
{
	struct lab_config tmp;
	json_error_t jerr;
	const char *key;
	json_t *root, *v;

	root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		snprintf(err, errlen, "%s:%d: %s", name, jerr.line, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		return fail(err, errlen, name, "not a JSON object", NULL);
	}
	/* Parse into a copy: a rejected file changes nothing. */
	tmp = *cfg;
	json_object_foreach(root, key, v) {
		char why[192];
		int ret;

		if (!strcmp(key, "faults")) {
			if (!parse_faults(v, &tmp, why, sizeof(why)))
				continue;
			snprintf(err, errlen, "%s: bad value for field: faults%s", name, why);
			json_decref(root);
			return -EINVAL;
		}
		ret = parse_field(key, v, &tmp);
		if (ret) {
			/* key belongs to root: report before letting go of it. */
			fail(err, errlen, name,
			     ret == -ENOENT ? "unknown field" : "bad value for field", key);
			json_decref(root);
			return -EINVAL;
		}
	}
	*cfg = tmp;
	*rootp = root;
	return 0;
}

int lab_scenario_load(const char *path, struct lab_config *cfg, char *err, size_t errlen)
{
	struct lab_config tmp = *cfg;
	json_t *root;
	uint8_t *text;
	size_t slot, len;
	int rr;

	/* A regular file, bounded: a FIFO must not hang the lab. */
	rr = read_file(path, &text, &len);
	if (rr) {
		snprintf(err, errlen, "%s: %s", path, rr == -EINVAL ? "not a regular file" :
			 strerror(-rr));
		return -EINVAL;
	}
	rr = lab_scenario_parse(path, (const char *)text, len, &tmp, &root, err, errlen);
	free(text);
	if (rr)
		return rr;
	for (slot = 0; slot < sizeof(loaded) / sizeof(loaded[0]) && loaded[slot]; slot++)
		;
	if (slot == sizeof(loaded) / sizeof(loaded[0])) {
		json_decref(root);
		return fail(err, errlen, path, "too many scenario files", NULL);
	}
	loaded[slot] = root;
	*cfg = tmp;
	return 0;
}
