/* SPDX-License-Identifier: MIT */
/*
 * A synthetic module catalogue in a temporary directory, laid out as
 * Intel's (mapping_file.json and joined_files/<major.minor>/ of blobs), with
 * images made by module_image_build. Header-only so that it is linked only
 * into the user tests that include it.
 */
#ifndef TDXUP_TESTS_CATALOG_FIXTURE_H
#define TDXUP_TESTS_CATALOG_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdxup/image.h"
#include "emu/module_build.h"

static inline char *fixture_dir(void)
{
	char *d = strdup("/tmp/tdxup-cat-XXXXXX");

	assert_non_null(d);
	assert_non_null(mkdtemp(d));
	return d;
}

static inline int fixture_rm_one(const char *path, const struct stat *sb, int flag,
				 struct FTW *ftw)
{
	return remove(path);
}

static inline void fixture_rm(char *dir)
{
	nftw(dir, fixture_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static inline void fixture_write(const char *dir, const char *rel, const void *buf, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(write_file(path, buf, len), 0);
}

static inline void fixture_json(const char *dir, const char *json)
{
	fixture_write(dir, "mapping_file.json", json, strlen(json));
}

static inline void fixture_mkdir(const char *dir, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_true(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
}

/* A build like base with another version number (and the same everything else). */
static inline struct module_build fixture_build(const char *base, uint16_t major,
						uint16_t minor, uint16_t update)
{
	const struct module_build *b = module_build_find(base);
	struct module_build nb;

	assert_non_null(b);
	nb = *b;
	nb.major = major;
	nb.minor = minor;
	nb.update = update;
	nb.hypothetical = true;
	return nb;
}

static inline void fixture_image(const struct module_build *b, unsigned int format, bool debug,
				 uint8_t **img, size_t *len)
{
	struct module_image_opts opts = { .format = format, .debug = debug };

	assert_int_equal(module_image_build(b, &opts, img, len), 0);
}

/* joined_files/<major.minor>/tdx_module_<ver>.blob; ver as given (may be odd). */
static inline void fixture_blob_named(const char *dir, const char *line, const char *name,
				      const struct module_build *b, unsigned int format,
				      bool debug)
{
	char rel[512];
	uint8_t *img;
	size_t len;

	fixture_mkdir(dir, "joined_files");
	snprintf(rel, sizeof(rel), "joined_files/%s", line);
	fixture_mkdir(dir, rel);
	snprintf(rel, sizeof(rel), "joined_files/%s/%s", line, name);
	fixture_image(b, format, debug, &img, &len);
	fixture_write(dir, rel, img, len);
	free(img);
}

static inline void fixture_blob(const char *dir, const struct module_build *b, bool debug)
{
	char line[32], name[64];

	snprintf(line, sizeof(line), "%u.%u", b->major, b->minor);
	snprintf(name, sizeof(name), "tdx_module_%u.%u.%02u.blob", b->major, b->minor, b->update);
	fixture_blob_named(dir, line, name, b, 0x100, debug);
}

static inline void fixture_blob_of(const char *dir, const char *version)
{
	const struct module_build *b = module_build_find(version);

	assert_non_null(b);
	fixture_blob(dir, b, false);
}

#endif /* TDXUP_TESTS_CATALOG_FIXTURE_H */
