// SPDX-License-Identifier: MIT
/* The last update run's record (tdxup/last_update.h). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "tdxup/fsafe.h"
#include "tdxup/last_update.h"
#include "tdxup/sysroot.h"

#define RECORD_MAX	4096

int last_update_path(const char *sysfs_root, char *buf, size_t size)
{
	size_t len = strlen(sysfs_root);

	while (len > 1 && sysfs_root[len - 1] == '/')
		len--;
	if (len < 3 || memcmp(sysfs_root + len - 3, "sys", 3) ||
	    (len > 3 && sysfs_root[len - 4] != '/'))
		return -ENOENT;
	len -= 3;
	if ((size_t)snprintf(buf, size, "%.*s%s/%s", (int)len, sysfs_root, LAST_UPDATE_DIR,
			     LAST_UPDATE_FILE) >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int bad(char *err, size_t errlen, const char *why)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", why);
	return -EINVAL;
}

static int copy_str(json_t *o, const char *key, char *dst, size_t size)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) >= size)
		return -EINVAL;
	strcpy(dst, json_string_value(v));
	return 0;
}

static int get_uint(json_t *o, const char *key, uint64_t *dst)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -EINVAL;
	*dst = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse(json_t *o, struct last_update *lu)
{
	uint64_t ts;

	if (!json_is_object(o) || copy_str(o, "result", lu->result, sizeof(lu->result)) ||
	    copy_str(o, "from", lu->from, sizeof(lu->from)) ||
	    copy_str(o, "to", lu->to, sizeof(lu->to)) || get_uint(o, "timestamp", &ts) ||
	    get_uint(o, "busy_rejections", &lu->busy_rejections) ||
	    get_uint(o, "busy_rejections_total", &lu->busy_rejections_total) ||
	    get_uint(o, "runs_total", &lu->runs_total))
		return -EINVAL;
	lu->timestamp = (int64_t)ts;
	return 0;
}

int last_update_read(const char *path, struct last_update *lu, char *err, size_t errlen)
{
	char *text = malloc(RECORD_MAX);
	json_t *o;
	ssize_t n;
	int ret;

	memset(lu, 0, sizeof(*lu));
	if (!text)
		return -ENOMEM;
	n = tdx_read_small_file(path, text, RECORD_MAX);
	if (n < 0) {
		free(text);
		return (int)n;
	}
	o = json_loadb(text, (size_t)n, 0, NULL);
	free(text);
	ret = o && !parse(o, lu) ? 0 : bad(err, errlen, "not a tdxup last-update record");
	json_decref(o);
	if (ret)
		memset(lu, 0, sizeof(*lu));
	return ret;
}

/*
 * The record's directory (run/tdxup), made 0755 whatever the umask, and
 * refused if anyone but root could change it (fsafe_ensure_dir).
 */
static int make_dir(const char *path, struct fsafe_err *fe)
{
	char dir[PATH_MAX];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return fsafe_ensure_dir(dir, 0755, (gid_t)-1, fe);
}

int last_update_record(const char *path, const struct update_result *r, int64_t now,
		       char *err, size_t errlen)
{
	struct fsafe_err fe = { "" };
	struct last_update prev;
	json_t *o;
	char *text;
	int ret;

	/* A damaged record restarts the totals: counters may reset. */
	if (last_update_read(path, &prev, NULL, 0))
		memset(&prev, 0, sizeof(prev));
	/* The operator's --kernel-busy declaration: a decision rested on it. */
	o = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:o}",
		      "result", update_outcome_name(r->outcome), "timestamp", (json_int_t)now,
		      "from", r->from, "to", r->to,
		      "busy_rejections", (json_int_t)r->busy_rejections,
		      "busy_rejections_total",
		      (json_int_t)(prev.busy_rejections_total + r->busy_rejections),
		      "runs_total", (json_int_t)(prev.runs_total + 1),
		      "kernel_busy", r->kernel_busy ? json_string(r->kernel_busy) : json_null());
	text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	if (!text)
		return -ENOMEM;
	ret = make_dir(path, &fe);
	if (!ret) {
		size_t len = strlen(text);

		text[len] = '\n';	/* over the NUL: the file ends with a newline */
		/* Never through a symlink, never half a file (fsafe_write_output). */
		ret = fsafe_write_output(path, text, len + 1, 0644, &fe);
	}
	free(text);
	if (ret && err && errlen)
		snprintf(err, errlen, "%s", fe.msg[0] ? fe.msg : strerror(-ret));
	return ret;
}
