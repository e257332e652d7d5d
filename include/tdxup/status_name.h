/* SPDX-License-Identifier: MIT */
/*
 * Names of SEAMCALL statuses (TDX module, P-SEAMLDR and the software values
 * Linux defines), so that every status that reaches a person is printed by
 * name and value: "TDX_UPDATE_COMPAT_SENSITIVE (0x8000051200010000)".
 */
#ifndef TDXUP_STATUS_NAME_H
#define TDXUP_STATUS_NAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Name of a status, or NULL if unknown. P-SEAMLDR and software codes match
 * exactly; module codes match after TDX_SEAMCALL_STATUS_MASK, as Linux
 * compares them, because the low 32 bits carry details (an operand ID, the
 * current op_state, the td_build_count).
 */
const char *tdx_status_name(uint64_t status);

/*
 * "NAME (0x...)" with the full value, or "unknown status (0x...)". Returns
 * buf, always NUL-terminated. 64 bytes are always enough.
 */
#define TDX_STATUS_STR_LEN	64
char *tdx_status_str(uint64_t status, char *buf, size_t len);

/* "TDH.MR.EXTEND", "SEAMLDR.INSTALL"... from a RAX value; "TDH.?" if unknown. */
const char *tdx_leaf_name(uint64_t rax);

#endif /* TDXUP_STATUS_NAME_H */
