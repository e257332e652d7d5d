/* SPDX-License-Identifier: MIT */
/* Sigstruct parse and verify (seamldr.md 5). */
#ifndef TDXUP_SIGSTRUCT_H
#define TDXUP_SIGSTRUCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tdxup/seamldr_abi.h"

struct sigstruct {
	uint32_t header_type, header_length, header_version;
	uint32_t module_type;
	uint32_t module_vendor;
	uint32_t date;			/* BCD */
	uint32_t size, key_size, modulus_size, exponent_size;
	uint32_t exponent;
	uint8_t seamhash[48];
	uint8_t seamsvn_minor, seamsvn_major;
	uint64_t attributes;
	uint32_t rip_offset;
	uint8_t num_stack_pages, num_tls_pages;
	uint16_t num_keyhole_pages, num_global_data_pages;
	uint16_t max_tdmrs, max_rsvd_per_tdmr;
	uint16_t pamt_entry_size_4k, pamt_entry_size_2m, pamt_entry_size_1g;
	uint16_t module_hv, min_update_hv;
	uint8_t no_downgrade;
	uint16_t num_handoff_pages;
	uint32_t cpuid_table_size;
	uint32_t cpuid_table[SIGSTRUCT_CPUID_TABLE_MAX];
};

/* Field extraction; never fails on 2048 bytes (cpuid_table_size clamped). */
void sigstruct_parse(const uint8_t raw[SIGSTRUCT_SIZE], struct sigstruct *s);
/* Serialise every field above except modulus, exponent and signature. */
void sigstruct_serialize(const struct sigstruct *s, uint8_t raw[SIGSTRUCT_SIZE]);

/*
 * Header constants of seamldr.md 5 hold, attributes == 0, min_update_hv <=
 * module_hv. Returns 0 or -EINVAL with a reason in *why.
 */
int sigstruct_check_wellformed(const struct sigstruct *s, const char **why);

/* SHA-384 of the 384 modulus bytes as stored. */
void sigstruct_key_hash(const uint8_t raw[SIGSTRUCT_SIZE], uint8_t out[48]);

/* RSA-3072 PKCS#1 v1.5 SHA-384 over [0,128) + [900,2048); 0 or -EBADMSG. */
int sigstruct_verify_signature(const uint8_t raw[SIGSTRUCT_SIZE]);

/* SHA-384 of the signed message [0,128) + [900,2048); 0 or -EIO. */
int sigstruct_message_digest(const uint8_t raw[SIGSTRUCT_SIZE], uint8_t md[48]);

/*
 * Hash of the public modulus of the project's test signing key (48 bytes),
 * so that tools can name it. Public data; the private key is the
 * emulator's (tests/fw/test_sigstruct.c holds this constant against it).
 */
const uint8_t *tdxup_test_key_hash(void);

/* Known prefix of Intel's production key hash (16 bytes, seamldr.md 5.1). */
extern const uint8_t intel_production_key_hash_prefix[16];

/* Does the CPUID table cover fms (stepping masked)? */
bool sigstruct_supports_fms(const struct sigstruct *s, uint32_t fms);

#endif /* TDXUP_SIGSTRUCT_H */
