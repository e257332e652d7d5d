/* SPDX-License-Identifier: MIT */
/*
 * The descriptor of an emulated TDX module build. An emulated module image
 * is a real TDX-BLOB whose module pages begin with this small descriptor;
 * the emulated P-SEAMLDR verifies the image as it would any other and then
 * instantiates the module behaviour from the descriptor (our stand-in for
 * ELF relocation). A real Intel module has no descriptor.
 */
#ifndef TDXUP_MODULE_DESC_H
#define TDXUP_MODULE_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Layouts of the packed SHA-384 state in TDCS.td_sha_ctx.buffer, one per
 * crypto library (tdx-module.md 5.4). ICP 1.0.1 is 1 because 1.5.25 calls it
 * CRYPTO_LIB_COMPAT_VERSION 1; the IPP numbers only need to differ.
 */
enum crypto_layout {
	CRYPTO_LAYOUT_ICP_1_0		= 1,	/* Intel Cryptography Primitives 1.0.1 */
	CRYPTO_LAYOUT_ICP_NEXT		= 2,	/* hypothetical future library */
	CRYPTO_LAYOUT_IPP_2021_10	= 0x2110, /* IPP 2021.10.0 */
	CRYPTO_LAYOUT_IPP_2021_7	= 0x2107, /* IPP 2021.7.1 */
};

/* The crypto libraries' names, as the catalogue and a decoded descriptor give them. */
#define LIB_IPP_2021_7		"IPP 2021.7.1"
#define LIB_IPP_2021_10		"IPP 2021.10.0"
#define LIB_ICP_1_0		"Intel Cryptography Primitives 1.0.1"
#define LIB_ICP_NEXT		"hypothetical successor of Intel Cryptography Primitives 1.0.1"

#define MODULE_BUILD_MAX_FMS	4

struct module_build {
	char version[24];		/* "1.5.25" (three u16s fit) */
	uint16_t major, minor, update;
	uint16_t build_num;
	uint32_t build_date;		/* YYYYMMDD, decimal */
	uint64_t tdx_features0;
	uint16_t module_hv;
	uint16_t min_update_hv;
	uint8_t no_downgrade;
	uint16_t num_handoff_pages;	/* sigstruct value: pages - 1 */
	bool update_compat;		/* the 1.5.24+ "compat" model */
	uint16_t crypto_layout;		/* enum crypto_layout */
	const char *crypto_lib;
	uint8_t seamsvn_minor, seamsvn_major;
	uint32_t cpu_fms[MODULE_BUILD_MAX_FMS];
	unsigned int nr_cpu_fms;
	unsigned int nr_module_pages;
	bool hypothetical;		/* not a real Intel release */
	const char *note;
};

/* The descriptor at the start of module page 0. */
#define MODULE_DESC_MAGIC	"TDXUPMOD"
#define MODULE_DESC_SIZE	128

/*
 * Decode the descriptor from the first bytes of the module binary. Strings in
 * *out are static; -EINVAL if the bytes are not a descriptor
 * (e.g. a real Intel module: there is no way to run its code here).
 */
int module_desc_decode(const uint8_t *buf, size_t len, struct module_build *out);
void module_desc_encode(const struct module_build *b, uint8_t desc[MODULE_DESC_SIZE]);

#endif /* TDXUP_MODULE_DESC_H */
