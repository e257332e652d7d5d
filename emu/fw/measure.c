// SPDX-License-Identifier: MIT
/*
 * The module's running MRTD hash (tdx-module.md 5.1-5.4).
 *
 * The SHA-384 state does not live in module memory: like the real module
 * (ippsHashPack_rmf / ippsHashUnpack_rmf), every leaf unpacks the TDCS bytes
 * td_sha_ctx.buffer[256] into a stack context, updates it, and packs it back.
 * The byte layout of that buffer belongs to the crypto library of the module
 * build (enum crypto_layout), so a build that unpacks a blob written by a
 * build with another library reads the fields from the wrong places. Nothing
 * detects this: the hash simply continues from a wrong state and MR.FINALIZE
 * produces a wrong MRTD. That is the update erratum, reproduced from the data
 * rather than from a flag.
 *
 * OpenSSL 3 deprecates the low-level SHA384_* functions in favour of EVP.
 * EVP keeps its state opaque and cannot export or import it, but the design
 * needs exactly that: the raw state must be serialised into TDCS bytes and
 * read back by a possibly different module build. So this one file opts in
 * to the deprecated API on purpose.
 */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <string.h>

#include <openssl/sha.h>

#include "emu/module_build.h"

#include "fw/measure.h"

#define SHA_BLOCK	SHA512_CBLOCK		/* 128 */
#define REC_SIZE	128
#define GPA_OFF		16

/* sizeof(SHA512_CTX) is 216: 8 h words, Nl, Nh, block, num, md_len. */
_Static_assert(sizeof(SHA512_CTX) <= TD_SHA_CTX_BUFFER_SIZE,
	       "SHA-512 context must fit td_sha_ctx.buffer");
_Static_assert(SHA_BLOCK == 128, "SHA-384 block is 128 bytes");

/*
 * Header words of the IPP-style layouts (the ID word IPP keeps at the start
 * of its contexts). The values are ours (inferred); unpack never checks them,
 * as a blind ippsHashUnpack would not.
 */
#define IPP_2021_10_ID	0x30313132u	/* "2110" in memory */
#define IPP_2021_7_ID	0x37303132u	/* "2107" in memory */

/* Little/big-endian stores that are one mov (plus bswap) on x86. */
static inline uint64_t to_le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

static inline uint64_t to_be64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v;
#else
	return __builtin_bswap64(v);
#endif
}

static inline uint32_t to_le32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap32(v);
#else
	return v;
#endif
}

static inline uint32_t to_be32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return v;
#else
	return __builtin_bswap32(v);
#endif
}

static inline void st64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static inline uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static inline void st32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static inline uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * The four layouts. Each is a different serialisation of the same fields;
 * unused tail bytes are zero. Offsets are in bytes.
 *
 * ICP_1_0 (Intel Cryptography Primitives 1.0.1, the 1.5.20+ library):
 *   0 h[0..7] LE | 64 Nl LE | 72 Nh LE | 80 num LE32 | 84 md_len LE32 |
 *   88 block[128] | 216 zero
 * ICP_NEXT (hypothetical successor): length first, digest words reversed
 * and big-endian, counters at the end:
 *   0 Nh BE | 8 Nl BE | 16 h[7..0] BE | 80 block[128] | 208 num BE32 |
 *   212 md_len BE32 | 216 zero
 * IPP_2021_10 (IPP 2021.10.0, 1.5.08-1.5.16): ID word, buffered-byte count,
 * length, the block buffer, then the digest:
 *   0 ID LE32 | 4 num LE32 | 8 Nl LE | 16 Nh LE | 24 block[128] |
 *   152 h[0..7] LE | 216 md_len LE32 | 220 zero
 * IPP_2021_7 (IPP 2021.7.1, 1.5.01-1.5.06): ID word, digest as 32-bit limbs
 * with the high limb first, then length and count, block last:
 *   0 ID LE32 | 4 md_len LE32 | 8 h[0..7] as {hi LE32, lo LE32} |
 *   72 Nl LE | 80 Nh LE | 88 num LE32 | 92 zero | 96 block[128] | 224 zero
 *
 * Every layout puts h[] at a different offset or in a different word order,
 * so a foreign blob always unpacks to a different state.
 * These layouts are our model, not IPP's real formats (inferred).
 */

static void pack_icp_1_0(const SHA512_CTX *c, uint8_t *b)
{
	for (int i = 0; i < 8; i++)
		st64(b + 8 * i, to_le64(c->h[i]));
	st64(b + 64, to_le64(c->Nl));
	st64(b + 72, to_le64(c->Nh));
	st32(b + 80, to_le32(c->num));
	st32(b + 84, to_le32(c->md_len));
	memcpy(b + 88, c->u.p, SHA_BLOCK);
	memset(b + 216, 0, TD_SHA_CTX_BUFFER_SIZE - 216);
}

static void unpack_icp_1_0(SHA512_CTX *c, const uint8_t *b)
{
	for (int i = 0; i < 8; i++)
		c->h[i] = to_le64(ld64(b + 8 * i));
	c->Nl = to_le64(ld64(b + 64));
	c->Nh = to_le64(ld64(b + 72));
	c->num = to_le32(ld32(b + 80));
	memcpy(c->u.p, b + 88, SHA_BLOCK);
}

static void pack_icp_next(const SHA512_CTX *c, uint8_t *b)
{
	st64(b + 0, to_be64(c->Nh));
	st64(b + 8, to_be64(c->Nl));
	for (int i = 0; i < 8; i++)
		st64(b + 16 + 8 * i, to_be64(c->h[7 - i]));
	memcpy(b + 80, c->u.p, SHA_BLOCK);
	st32(b + 208, to_be32(c->num));
	st32(b + 212, to_be32(c->md_len));
	memset(b + 216, 0, TD_SHA_CTX_BUFFER_SIZE - 216);
}

static void unpack_icp_next(SHA512_CTX *c, const uint8_t *b)
{
	c->Nh = to_be64(ld64(b + 0));
	c->Nl = to_be64(ld64(b + 8));
	for (int i = 0; i < 8; i++)
		c->h[7 - i] = to_be64(ld64(b + 16 + 8 * i));
	memcpy(c->u.p, b + 80, SHA_BLOCK);
	c->num = to_be32(ld32(b + 208));
}

static void pack_ipp_2021_10(const SHA512_CTX *c, uint8_t *b)
{
	st32(b + 0, to_le32(IPP_2021_10_ID));
	st32(b + 4, to_le32(c->num));
	st64(b + 8, to_le64(c->Nl));
	st64(b + 16, to_le64(c->Nh));
	memcpy(b + 24, c->u.p, SHA_BLOCK);
	for (int i = 0; i < 8; i++)
		st64(b + 152 + 8 * i, to_le64(c->h[i]));
	st32(b + 216, to_le32(c->md_len));
	memset(b + 220, 0, TD_SHA_CTX_BUFFER_SIZE - 220);
}

static void unpack_ipp_2021_10(SHA512_CTX *c, const uint8_t *b)
{
	c->num = to_le32(ld32(b + 4));
	c->Nl = to_le64(ld64(b + 8));
	c->Nh = to_le64(ld64(b + 16));
	memcpy(c->u.p, b + 24, SHA_BLOCK);
	for (int i = 0; i < 8; i++)
		c->h[i] = to_le64(ld64(b + 152 + 8 * i));
}

static void pack_ipp_2021_7(const SHA512_CTX *c, uint8_t *b)
{
	st32(b + 0, to_le32(IPP_2021_7_ID));
	st32(b + 4, to_le32(c->md_len));
	for (int i = 0; i < 8; i++) {
		st32(b + 8 + 8 * i, to_le32((uint32_t)(c->h[i] >> 32)));
		st32(b + 12 + 8 * i, to_le32((uint32_t)c->h[i]));
	}
	st64(b + 72, to_le64(c->Nl));
	st64(b + 80, to_le64(c->Nh));
	st32(b + 88, to_le32(c->num));
	st32(b + 92, 0);
	memcpy(b + 96, c->u.p, SHA_BLOCK);
	memset(b + 224, 0, TD_SHA_CTX_BUFFER_SIZE - 224);
}

static void unpack_ipp_2021_7(SHA512_CTX *c, const uint8_t *b)
{
	for (int i = 0; i < 8; i++) {
		uint64_t hi = to_le32(ld32(b + 8 + 8 * i));
		uint64_t lo = to_le32(ld32(b + 12 + 8 * i));

		c->h[i] = hi << 32 | lo;
	}
	c->Nl = to_le64(ld64(b + 72));
	c->Nh = to_le64(ld64(b + 80));
	c->num = to_le32(ld32(b + 88));
	memcpy(c->u.p, b + 96, SHA_BLOCK);
}

bool td_sha_layout_known(uint16_t layout)
{
	switch (layout) {
	case CRYPTO_LAYOUT_ICP_1_0:
	case CRYPTO_LAYOUT_ICP_NEXT:
	case CRYPTO_LAYOUT_IPP_2021_10:
	case CRYPTO_LAYOUT_IPP_2021_7:
		return true;
	default:
		return false;
	}
}

static void pack(uint16_t layout, const SHA512_CTX *c, uint8_t *b)
{
	switch (layout) {
	case CRYPTO_LAYOUT_ICP_1_0:
		pack_icp_1_0(c, b);
		break;
	case CRYPTO_LAYOUT_ICP_NEXT:
		pack_icp_next(c, b);
		break;
	case CRYPTO_LAYOUT_IPP_2021_10:
		pack_ipp_2021_10(c, b);
		break;
	case CRYPTO_LAYOUT_IPP_2021_7:
		pack_ipp_2021_7(c, b);
		break;
	}
}

/*
 * Unpack blindly, as the real library does: no ID or range checks that
 * could notice a foreign blob. The only sanitising is what keeps OpenSSL
 * inside its own buffer whatever the bytes say: num is clamped to a partial
 * block (SHA384_Update computes 128 - num and copies that much) and md_len
 * is forced to SHA-384's 48 (SHA512_Final switches on it).
 */
static void unpack(uint16_t layout, SHA512_CTX *c, const uint8_t *b)
{
	switch (layout) {
	case CRYPTO_LAYOUT_ICP_1_0:
		unpack_icp_1_0(c, b);
		break;
	case CRYPTO_LAYOUT_ICP_NEXT:
		unpack_icp_next(c, b);
		break;
	case CRYPTO_LAYOUT_IPP_2021_10:
		unpack_ipp_2021_10(c, b);
		break;
	case CRYPTO_LAYOUT_IPP_2021_7:
		unpack_ipp_2021_7(c, b);
		break;
	}
	if (c->num > SHA_BLOCK - 1)
		c->num = SHA_BLOCK - 1;
	c->md_len = SHA384_DIGEST_LENGTH;
}

/*
 * An unknown layout is never selected by a module build (module_build.c only
 * describes known ones). Should one reach us anyway, stay well-defined and
 * fail closed (inferred): init writes a zero buffer, updates leave the buffer
 * alone, and final reports an all-zero MRTD that no real TD can match.
 */

void td_sha_init(uint16_t layout, uint8_t buf[TD_SHA_CTX_BUFFER_SIZE])
{
	SHA512_CTX c;

	if (!td_sha_layout_known(layout)) {
		memset(buf, 0, TD_SHA_CTX_BUFFER_SIZE);
		return;
	}
	/* SHA384_Init leaves the block buffer alone: zero it so the TDCS is deterministic. */
	memset(&c, 0, sizeof(c));
	SHA384_Init(&c);
	pack(layout, &c, buf);
}

/*
 * Record header: tag zero-padded to 16 bytes, GPA LE at 16, zeros to 128.
 *
 * Copied from a constant template (plain vector stores) rather than built
 * by memset + tag + GPA: compilers turn that memset into rep stos, whose
 * startup and non-forwardable stores sit right before SHA-512's first
 * loads of the block, on the hash's critical path. Measured: 20-30 cycles
 * less per PAGE.ADD and per EXTEND, same bytes.
 */
static void build_record(uint8_t rec[REC_SIZE], const uint8_t tmpl[REC_SIZE], uint64_t gpa)
{
	const uint64_t gpa_chunk[2] = { to_le64(gpa), 0 };

	memcpy(rec, tmpl, REC_SIZE);
	memcpy(rec + GPA_OFF, gpa_chunk, sizeof(gpa_chunk));
}

void td_sha_page_add(uint16_t layout, uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], uint64_t gpa)
{
	static const uint8_t tmpl[REC_SIZE] = "MEM.PAGE.ADD";
	_Alignas(16) uint8_t rec[REC_SIZE];
	SHA512_CTX c;

	if (!td_sha_layout_known(layout))
		return;
	build_record(rec, tmpl, gpa);
	unpack(layout, &c, buf);
	SHA384_Update(&c, rec, sizeof(rec));
	pack(layout, &c, buf);
}

/*
 * The hot path (16 calls per measured page): one unpack, the record and the
 * 256 data bytes, one pack. With num == 0 (always, outside the erratum)
 * OpenSSL hashes the three blocks straight from rec, without copying; rec
 * is aligned so that holds even where it needs aligned input.
 */
void td_sha_extend(uint16_t layout, uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], uint64_t gpa,
		   const uint8_t data[256])
{
	static const uint8_t tmpl[REC_SIZE] = "MR.EXTEND";
	_Alignas(16) uint8_t rec[REC_SIZE + 256];
	SHA512_CTX c;

	if (!td_sha_layout_known(layout))
		return;
	/* Record and data hashed in one update: three whole blocks, one call. */
	build_record(rec, tmpl, gpa);
	memcpy(rec + REC_SIZE, data, 256);
	unpack(layout, &c, buf);
	SHA384_Update(&c, rec, sizeof(rec));
	pack(layout, &c, buf);
}

void td_sha_final(uint16_t layout, const uint8_t buf[TD_SHA_CTX_BUFFER_SIZE], uint8_t mrtd[48])
{
	SHA512_CTX c;

	if (!td_sha_layout_known(layout)) {
		memset(mrtd, 0, 48);
		return;
	}
	/* Finalise a private copy: MR.FINALIZE must leave TDCS bytes as they were. */
	unpack(layout, &c, buf);
	SHA384_Final(mrtd, &c);
}

void td_rtmr_extend(uint8_t rtmr[48], const uint8_t data[48])
{
	uint8_t in[96];

	memcpy(in, rtmr, 48);
	memcpy(in + 48, data, 48);
	SHA384(in, sizeof(in), rtmr);
}
