/* SPDX-License-Identifier: MIT */
/*
 * The emulator's catalogue of TDX module builds and the signed images made
 * from them (the vendor's build step; the production binary has none).
 */
#ifndef TDXUP_EMU_MODULE_BUILD_H
#define TDXUP_EMU_MODULE_BUILD_H

#include "tdxup/module_desc.h"
#include "tdxup/version.h"

/* The built-in catalogue, oldest first. */
const struct module_build *module_build_catalogue(size_t *nr);
const struct module_build *module_build_find(const char *version);


/* Module binary: nr_module_pages pages, descriptor first, then filler. */
int module_binary_build(const struct module_build *b, uint8_t **bin, size_t *len);

struct module_image_opts {
	unsigned int format;		/* 0x100 (default when 0) or 0x200 */
	bool debug;			/* debug-signed: module_type bit 31 */
};

/* A complete signed TDX-BLOB image of the build, malloc'ed. */
int module_image_build(const struct module_build *b, const struct module_image_opts *opts,
		       uint8_t **img, size_t *len);

#endif /* TDXUP_EMU_MODULE_BUILD_H */
