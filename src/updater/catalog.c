// SPDX-License-Identifier: MIT
/*
 * Intel's module catalogue (userspace.md 2.1): mapping_file.json and
 * joined_files/<major.minor>/tdx_module_<x.y.z>.blob. The JSON is checked
 * field by field so that a damaged or hand-edited file gets an error that
 * names the field, instead of a selection made on a missing value.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/version.h"
#include "updater/errmsg.h"

#define MAPPING_FILE	"mapping_file.json"
#define JOINED_DIR	"joined_files"
#define BLOB_PREFIX	"tdx_module_"
#define BLOB_SUFFIX	".blob"

/* ---- versions ---- */

int tdx_version_parse(const char *s, struct tdx_version *v)
{
	return module_version_parse(s, &v->major, &v->minor, &v->update);
}

int tdx_version_cmp(const struct tdx_version *a, const struct tdx_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->update != b->update)
		return a->update < b->update ? -1 : 1;
	return 0;
}

bool tdx_version_same_line(const struct tdx_version *a, const struct tdx_version *b)
{
	return a->major == b->major && a->minor == b->minor;
}

char *tdx_version_str(const struct tdx_version *v, char *buf)
{
	snprintf(buf, TDX_VERSION_STR_LEN, "%u.%u.%02u", v->major, v->minor, v->update);
	return buf;
}

/* ---- errors and notes ---- */

static int add_note(struct catalog *cat, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int add_note(struct catalog *cat, const char *fmt, ...)
{
	char **notes;
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	notes = realloc(cat->notes, (cat->nr_notes + 1) * sizeof(*notes));
	if (!notes) {
		free(s);
		return -ENOMEM;
	}
	notes[cat->nr_notes++] = s;
	cat->notes = notes;
	return 0;
}

/* ---- mapping_file.json ---- */

/* Where we are in the JSON, for error messages: "tdx_module_releases[3]". */
struct jctx {
	const char *file;
	char *err;
	size_t errlen;
	size_t idx;
};

static int field_version(const struct jctx *j, json_t *rel, const char *key,
			 struct tdx_version *v)
{
	json_t *val = json_object_get(rel, key);

	if (!val)
		return fail(j->err, j->errlen, "%s: tdx_module_releases[%zu].%s: missing",
			    j->file, j->idx, key);
	if (!json_is_string(val) || tdx_version_parse(json_string_value(val), v))
		return fail(j->err, j->errlen,
			    "%s: tdx_module_releases[%zu].%s: expected a version string "
			    "\"X.Y.Z\"", j->file, j->idx, key);
	return 0;
}

static int field_seamldr(const struct jctx *j, json_t *rel, struct catalog_release *r)
{
	static const char key[] = "min_seamldr_versions";
	json_t *arr = json_object_get(rel, key), *val;
	size_t i;

	if (!arr)
		return fail(j->err, j->errlen, "%s: tdx_module_releases[%zu].%s: missing",
			    j->file, j->idx, key);
	if (!json_is_array(arr) || !json_array_size(arr))
		return fail(j->err, j->errlen,
			    "%s: tdx_module_releases[%zu].%s: expected a non-empty array of "
			    "version strings", j->file, j->idx, key);
	r->min_seamldr = calloc(json_array_size(arr), sizeof(*r->min_seamldr));
	if (!r->min_seamldr)
		return fail(j->err, j->errlen, "out of memory");
	json_array_foreach(arr, i, val) {
		if (!json_is_string(val) ||
		    tdx_version_parse(json_string_value(val), &r->min_seamldr[i]))
			return fail(j->err, j->errlen,
				    "%s: tdx_module_releases[%zu].%s[%zu]: expected a version "
				    "string \"X.Y.Z\"", j->file, j->idx, key, i);
	}
	r->nr_min_seamldr = json_array_size(arr);
	return 0;
}

/* A hex string ("0x...", as Intel writes it) or a plain integer (inferred). */
static int field_feature0(const struct jctx *j, json_t *rel, uint64_t *f0)
{
	static const char key[] = "tdx_feature0";
	json_t *val = json_object_get(rel, key);
	const char *s;
	char *end;

	if (!val)
		return fail(j->err, j->errlen, "%s: tdx_module_releases[%zu].%s: missing",
			    j->file, j->idx, key);
	if (json_is_integer(val) && json_integer_value(val) >= 0) {
		*f0 = (uint64_t)json_integer_value(val);
		return 0;
	}
	s = json_is_string(val) ? json_string_value(val) : NULL;
	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && s[2] && s[2] != '-' &&
	    s[2] != '+') {
		errno = 0;
		*f0 = strtoull(s + 2, &end, 16);
		if (!errno && !*end)
			return 0;
	}
	return fail(j->err, j->errlen,
		    "%s: tdx_module_releases[%zu].%s: expected a hex string \"0x...\"",
		    j->file, j->idx, key);
}

static int parse_release(struct jctx *j, json_t *rel, struct catalog_release *r)
{
	int ret;

	if (!json_is_object(rel))
		return fail(j->err, j->errlen, "%s: tdx_module_releases[%zu]: expected an object",
			    j->file, j->idx);
	ret = field_version(j, rel, "version", &r->version);
	if (!ret)
		ret = field_version(j, rel, "min_module_version_for_td_preserving",
				    &r->min_td_preserving);
	if (!ret)
		ret = field_seamldr(j, rel, r);
	if (!ret)
		ret = field_feature0(j, rel, &r->tdx_feature0);
	return ret;
}

static int check_duplicate(const struct jctx *j, const struct catalog *cat)
{
	const struct tdx_version *v = &cat->releases[j->idx].version;
	char vs[TDX_VERSION_STR_LEN];

	for (size_t i = 0; i < j->idx; i++)
		if (!tdx_version_cmp(&cat->releases[i].version, v))
			return fail(j->err, j->errlen,
				    "%s: tdx_module_releases[%zu].version: %s already listed at "
				    "tdx_module_releases[%zu]", j->file, j->idx,
				    tdx_version_str(v, vs), i);
	return 0;
}

static int parse_releases(struct catalog *cat, json_t *root, struct jctx *j)
{
	json_t *arr, *rel;
	int ret;

	if (!json_is_object(root))
		return fail(j->err, j->errlen, "%s: expected a JSON object at the top level",
			    j->file);
	arr = json_object_get(root, "tdx_module_releases");
	if (!arr)
		return fail(j->err, j->errlen, "%s: tdx_module_releases: missing", j->file);
	if (!json_is_array(arr))
		return fail(j->err, j->errlen, "%s: tdx_module_releases: expected an array",
			    j->file);
	cat->releases = calloc(json_array_size(arr) + 1, sizeof(*cat->releases));
	if (!cat->releases)
		return fail(j->err, j->errlen, "out of memory");
	json_array_foreach(arr, j->idx, rel) {
		/* Counted first so that catalog_free releases a half-parsed entry. */
		cat->nr_releases++;
		ret = parse_release(j, rel, &cat->releases[j->idx]);
		if (!ret)
			ret = check_duplicate(j, cat);
		if (ret)
			return ret;
	}
	return 0;
}

int catalog_parse_mapping(struct catalog *cat, const char *file, const char *text, size_t len,
			  char *err, size_t errlen)
{
	struct jctx j = { .file = file, .err = err, .errlen = errlen };
	json_error_t jerr;
	json_t *root;
	int ret;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line > 0)
			return fail(err, errlen, "%s: invalid JSON at line %d column %d: %s", file,
				    jerr.line, jerr.column, jerr.text);
		return fail(err, errlen, "%s: %s", file, jerr.text);
	}
	ret = parse_releases(cat, root, &j);
	json_decref(root);
	return ret;
}

static int load_mapping(struct catalog *cat, char *err, size_t errlen)
{
	uint8_t *text;
	char *path;
	size_t len;
	int ret;

	if (asprintf(&path, "%s/%s", cat->dir, MAPPING_FILE) < 0)
		return fail(err, errlen, "out of memory");
	/* read_file: a regular file, bounded; a FIFO must not hang the load. */
	ret = read_file(path, &text, &len);
	if (ret) {
		ret = fail(err, errlen, "%s: %s", path, ret == -EINVAL ? "not a regular file" :
			   strerror(-ret));
		free(path);
		return ret;
	}
	ret = catalog_parse_mapping(cat, path, (const char *)text, len, err, errlen);
	free(text);
	free(path);
	return ret;
}

/* ---- joined_files ---- */

static const char *digits(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p == s ? NULL : p;
}

/* "1.5" and nothing else: Intel's script matches ^\d+\.\d+$. */
static bool line_dir_name(const char *s, struct tdx_version *line)
{
	char buf[TDX_VERSION_STR_LEN + 4];
	const char *p = digits(s);

	if (!p || *p != '.' || !(p = digits(p + 1)) || *p)
		return false;
	if (strlen(s) > TDX_VERSION_STR_LEN - 4)
		return false;
	snprintf(buf, sizeof(buf), "%s.0", s);
	return !tdx_version_parse(buf, line);
}

static bool blob_name(const char *s, char *ver, size_t verlen)
{
	size_t len = strlen(s), pl = strlen(BLOB_PREFIX), sl = strlen(BLOB_SUFFIX);

	if (len <= pl + sl || strncmp(s, BLOB_PREFIX, pl) || strcmp(s + len - sl, BLOB_SUFFIX))
		return false;
	if (len - pl - sl >= verlen)
		return false;
	memcpy(ver, s + pl, len - pl - sl);
	ver[len - pl - sl] = '\0';
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of a directory, so every run sees the same order. */
static int list_dir(const char *path, char ***names, size_t *nr)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0;
	DIR *d = opendir(path);

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			free(nv ? nv : v);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*nr = n;
	return 0;
}

static void free_names(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

static struct catalog_release *release_of(struct catalog *cat, const struct tdx_version *v)
{
	for (size_t i = 0; i < cat->nr_releases; i++)
		if (!tdx_version_cmp(&cat->releases[i].version, v))
			return &cat->releases[i];
	return NULL;
}

/* Why a file cannot be a catalogue entry; NULL when it can. */
static const char *unusable(struct catalog *cat, const struct tdx_version *line,
			    const char *verstr, struct tdx_version *v)
{
	struct catalog_release *rel;

	if (tdx_version_parse(verstr, v))
		return "the name is not tdx_module_<x.y.z>.blob";
	if (!tdx_version_same_line(v, line))
		return "its directory is not its major.minor";
	rel = release_of(cat, v);
	if (!rel)
		return "its version is not in " MAPPING_FILE;
	if (rel->has_blob)
		return "another blob has the same version";
	return NULL;
}

/* Why read_file refused path (ret), in words an operator can act on. */
static void read_problem(const char *path, int ret, char *buf, size_t len)
{
	struct stat st;
	const char *what = NULL;

	if (ret == -EINVAL && !stat(path, &st)) {
		if (S_ISFIFO(st.st_mode))
			what = "a FIFO";
		else if (S_ISCHR(st.st_mode))
			what = "a character device";
		else if (S_ISBLK(st.st_mode))
			what = "a block device";
		else if (S_ISSOCK(st.st_mode))
			what = "a socket";
	}
	if (what)
		snprintf(buf, len, "cannot read: %s, not a regular file", what);
	else if (ret == -EINVAL)
		snprintf(buf, len, "cannot read: not a regular file");
	else if (ret == -EISDIR)
		snprintf(buf, len, "cannot read: a directory, not a regular file");
	else if (ret == -EFBIG)
		snprintf(buf, len, "cannot read: larger than %u MiB", READ_FILE_MAX >> 20);
	else
		snprintf(buf, len, "cannot read: %s", strerror(-ret));
}

static int add_blob(struct catalog *cat, const char *rel_path, const struct tdx_version *v)
{
	struct catalog_blob *b, *nb;
	uint8_t *buf;
	size_t len;
	int ret;

	nb = realloc(cat->blobs, (cat->nr_blobs + 1) * sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	cat->blobs = nb;
	b = &cat->blobs[cat->nr_blobs];
	memset(b, 0, sizeof(*b));
	b->rel_path = strdup(rel_path);
	if (!b->rel_path || asprintf(&b->path, "%s/%s", cat->dir, rel_path) < 0) {
		free(b->rel_path);
		return -ENOMEM;
	}
	cat->nr_blobs++;
	b->version = *v;
	b->release = (size_t)(release_of(cat, v) - cat->releases);
	cat->releases[b->release].has_blob = true;
	ret = read_file(b->path, &buf, &len);
	if (ret) {
		b->read_err = ret;
		read_problem(b->path, ret, b->facts.problem, sizeof(b->facts.problem));
		return ret == -ENOMEM ? ret : 0;
	}
	image_facts_get(buf, len, &b->facts);
	free(buf);
	/* A renamed emulated build would be judged, and installed, as another version. */
	if (b->facts.intact && b->facts.has_desc && tdx_version_cmp(&b->facts.desc_version, v)) {
		char a[TDX_VERSION_STR_LEN], n[TDX_VERSION_STR_LEN];

		b->facts.intact = false;
		snprintf(b->facts.problem, sizeof(b->facts.problem),
			 "its build descriptor says module %s, its name %s",
			 tdx_version_str(&b->facts.desc_version, a), tdx_version_str(v, n));
	}
	return 0;
}

static int scan_line(struct catalog *cat, const char *line_name, const struct tdx_version *line)
{
	char *dir, rel[PATH_MAX], ver[TDX_VERSION_STR_LEN];
	struct tdx_version v;
	const char *why;
	char **names;
	size_t nr;
	int ret;

	if (asprintf(&dir, "%s/%s/%s", cat->dir, JOINED_DIR, line_name) < 0)
		return -ENOMEM;
	ret = list_dir(dir, &names, &nr);
	free(dir);
	if (ret)
		return ret == -ENOTDIR ? 0 : ret;
	for (size_t i = 0; i < nr && ret >= 0; i++) {
		snprintf(rel, sizeof(rel), "%s/%s/%s", JOINED_DIR, line_name, names[i]);
		if (!blob_name(names[i], ver, sizeof(ver)))
			continue;	/* not a blob: Intel's glob ignores it too */
		why = unusable(cat, line, ver, &v);
		if (why)
			ret = add_note(cat, "%s: skipped: %s", rel, why);
		else
			ret = add_blob(cat, rel, &v);
	}
	free_names(names, nr);
	return ret;
}

static int cmp_blobs(const void *a, const void *b)
{
	const struct catalog_blob *x = a, *y = b;

	return tdx_version_cmp(&y->version, &x->version);	/* newest first */
}

static int scan_blobs(struct catalog *cat, char *err, size_t errlen)
{
	struct tdx_version line;
	char *dir, **names;
	size_t nr;
	int ret;

	if (asprintf(&dir, "%s/%s", cat->dir, JOINED_DIR) < 0)
		return fail(err, errlen, "out of memory");
	ret = list_dir(dir, &names, &nr);
	if (ret) {
		fail(err, errlen, "%s: %s", dir, strerror(-ret));
		free(dir);
		return ret;
	}
	free(dir);
	for (size_t i = 0; i < nr && !ret; i++)
		if (line_dir_name(names[i], &line))
			ret = scan_line(cat, names[i], &line);
	free_names(names, nr);
	if (ret)
		return fail(err, errlen, "%s/%s: %s", cat->dir, JOINED_DIR, strerror(-ret));
	if (cat->nr_blobs)
		qsort(cat->blobs, cat->nr_blobs, sizeof(*cat->blobs), cmp_blobs);
	return 0;
}

static int note_missing_blobs(struct catalog *cat)
{
	char vs[TDX_VERSION_STR_LEN];
	int ret = 0;

	for (size_t i = 0; i < cat->nr_releases && !ret; i++)
		if (!cat->releases[i].has_blob)
			ret = add_note(cat, "release %s: no blob in %s/",
				       tdx_version_str(&cat->releases[i].version, vs), JOINED_DIR);
	return ret;
}

int catalog_load(const char *dir, struct catalog **out, char *err, size_t errlen)
{
	struct catalog *cat = calloc(1, sizeof(*cat));
	int ret;

	*out = NULL;
	if (!cat || !(cat->dir = strdup(dir))) {
		free(cat);
		return fail(err, errlen, "out of memory");
	}
	ret = load_mapping(cat, err, errlen);
	if (!ret)
		ret = scan_blobs(cat, err, errlen);
	if (!ret && note_missing_blobs(cat))
		ret = fail(err, errlen, "out of memory");
	if (ret) {
		catalog_free(cat);
		return ret;
	}
	*out = cat;
	return 0;
}

void catalog_free(struct catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->nr_releases; i++)
		free(cat->releases[i].min_seamldr);
	for (size_t i = 0; i < cat->nr_blobs; i++) {
		free(cat->blobs[i].path);
		free(cat->blobs[i].rel_path);
	}
	free_names(cat->notes, cat->nr_notes);
	free(cat->releases);
	free(cat->blobs);
	free(cat->dir);
	free(cat);
}

const struct catalog_blob *catalog_find_blob(const struct catalog *cat,
					     const struct tdx_version *v)
{
	for (size_t i = 0; i < cat->nr_blobs; i++)
		if (!tdx_version_cmp(&cat->blobs[i].version, v))
			return &cat->blobs[i];
	return NULL;
}

const struct catalog_release *catalog_find_release(const struct catalog *cat,
						   const struct tdx_version *v)
{
	for (size_t i = 0; i < cat->nr_releases; i++)
		if (!tdx_version_cmp(&cat->releases[i].version, v))
			return &cat->releases[i];
	return NULL;
}
