/* SPDX-License-Identifier: MIT */
/* The emulator's image signing with the project's test key. */
#ifndef TDXUP_EMU_SIGN_H
#define TDXUP_EMU_SIGN_H

#include <stdint.h>

#include "tdxup/seamldr_abi.h"

/* Fill modulus, exponent and signature with the project's test key. */
int sigstruct_sign_test_key(uint8_t raw[SIGSTRUCT_SIZE]);
/* The key hash computed from the private key (tests hold it against tdxup_test_key_hash()). */
const uint8_t *tdxup_test_key_hash_computed(void);

#endif /* TDXUP_EMU_SIGN_H */
