/* SPDX-License-Identifier: MIT */
/*
 * The module catalogue as Intel publishes it (userspace.md 2.1):
 *
 *   DIR/mapping_file.json                               release metadata
 *   DIR/joined_files/<major.minor>/tdx_module_<x.y.z>.blob   the images
 *
 * plus what the updater knows about one image file (image_facts), which
 * both the catalogue and `tdxup update IMAGE` need.
 */
#ifndef TDXUP_CATALOG_H
#define TDXUP_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxup/sigstruct.h"

struct tdx_version {
	uint16_t major, minor, update;
};

/* "X.Y.Z", decimal; 0 or -EINVAL. */
int tdx_version_parse(const char *s, struct tdx_version *v);
int tdx_version_cmp(const struct tdx_version *a, const struct tdx_version *b);
bool tdx_version_same_line(const struct tdx_version *a, const struct tdx_version *b);
/* The kernel's "%u.%u.%02u" (1.5.06); returns buf. 24 bytes always do. */
#define TDX_VERSION_STR_LEN	24
char *tdx_version_str(const struct tdx_version *v, char *buf);

/* ---- one image file ---- */

/*
 * Whose key signed an image, as the updater decides what may reach the
 * kernel (safety rule 1, README.md "The updater"). P-SEAMLDR checks the
 * signature only after the old module is shut down, so an image whose key
 * it refuses loses every TD: the production updater trusts Intel's
 * production key and the keys the target itself declares
 * (SYSROOT/etc/tdxup/trusted-keys.d/, root's configuration; the emulator
 * declares its test key there), and no key compiled into the tool.
 */
enum key_trust {
	KEY_UNTRUSTED,
	KEY_INTEL,		/* Intel's production key (published hash prefix) */
	KEY_DECLARED,		/* declared trusted by the target */
};

struct image_facts {
	unsigned int format;		/* 0x100 or 0x200; 0 if the header is unusable */
	size_t size;
	bool parsed;			/* header and sigstruct readable: sig is valid */
	bool intact;			/* parsed + checksum + sigstruct + signature + seamhash */
	char problem[200];		/* first problem found, "" when intact */
	struct sigstruct sig;
	uint8_t key_hash[48];
	bool has_desc;			/* an emulated build: its version is known */
	struct tdx_version desc_version;
};

/*
 * Everything checkable offline (seamldr.md 5-6): header, checksum (v0x100
 * only; the kernel ignores it for v0x200), sigstruct well-formedness, RSA
 * signature, seamhash. Always fills *f; returns 0 when intact, else -EINVAL.
 */
int image_facts_get(const uint8_t *buf, size_t len, struct image_facts *f);
enum key_trust image_key_trust(const uint8_t hash[48], const uint8_t (*declared)[48],
			      size_t nr_declared);
/* "Intel production key", "key declared by the target (the tdxup test key)"... */
const char *key_trust_name(enum key_trust t, const uint8_t hash[48]);

/* ---- the catalogue ---- */

struct catalog_release {
	struct tdx_version version;
	struct tdx_version min_td_preserving;	/* min_module_version_for_td_preserving */
	struct tdx_version *min_seamldr;	/* min_seamldr_versions */
	size_t nr_min_seamldr;
	uint64_t tdx_feature0;			/* required by Intel's script, never used */
	bool has_blob;
};

struct catalog_blob {
	char *path;
	char *rel_path;			/* joined_files/1.5/tdx_module_1.5.16.blob */
	struct tdx_version version;	/* from the file name */
	size_t release;			/* index into releases */
	struct image_facts facts;
	/*
	 * -errno when the file could not be read (a FIFO, a device, no
	 * permission...): facts.problem says why. Unlike a damaged image, no
	 * verdict on its module: the update does not choose past it silently.
	 */
	int read_err;
};

struct catalog {
	char *dir;
	struct catalog_release *releases;	/* in JSON order */
	size_t nr_releases;
	struct catalog_blob *blobs;		/* newest first */
	size_t nr_blobs;
	char **notes;				/* skipped files and other remarks */
	size_t nr_notes;
};

/*
 * Load DIR. On a malformed mapping_file.json the error names the file and
 * the field ("DIR/mapping_file.json: tdx_module_releases[2].version: ...").
 * Blobs that cannot be used (name not x.y.z, directory not its major.minor,
 * version not in the JSON) are skipped with a note; a blob whose image is
 * damaged or cannot be read stays, with facts.intact false (and read_err
 * set for the latter), so that selection can say why.
 */
int catalog_load(const char *dir, struct catalog **out, char *err, size_t errlen);
void catalog_free(struct catalog *cat);

/*
 * The mapping_file.json part of catalog_load on text already read: fills
 * cat->releases (cat zeroed, or as catalog_load leaves it before the scan),
 * errors named after file. 0 or -EINVAL; catalog_free releases what was
 * filled either way.
 */
int catalog_parse_mapping(struct catalog *cat, const char *file, const char *text, size_t len,
			  char *err, size_t errlen);

const struct catalog_blob *catalog_find_blob(const struct catalog *cat,
					     const struct tdx_version *v);
const struct catalog_release *catalog_find_release(const struct catalog *cat,
						   const struct tdx_version *v);

#endif /* TDXUP_CATALOG_H */
