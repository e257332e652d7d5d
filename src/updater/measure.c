// SPDX-License-Identifier: MIT
/*
 * Offline MRTD/RTMR calculation (tdx-module.md 5.1, 5.2) with OpenSSL's EVP
 * SHA-384, and the MRTD of a TD built from a TDVF (OVMF) image.
 *
 * Deliberately independent of emu/fw/measure.c (which uses the low-level
 * SHA512_CTX so it can serialise the state): records are built differently,
 * the hash runs through EVP, and no measurement code is shared, so each
 * checks the other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <tdxup/measure.h>
#include <tdxup/seamldr_abi.h>

#include "updater/errmsg.h"

#define CHUNKS_PER_PAGE		(PAGE_SIZE / MR_EXTEND_CHUNK)

struct mrtd_calc {
	EVP_MD_CTX *md;
	bool done;		/* finalised: no more records */
};

struct mrtd_calc *mrtd_calc_new(void)
{
	struct mrtd_calc *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->md = EVP_MD_CTX_new();
	if (!c->md)
		goto err_free;
	if (EVP_DigestInit_ex(c->md, EVP_sha384(), NULL) != 1)
		goto err_md;
	return c;

err_md:
	EVP_MD_CTX_free(c->md);
err_free:
	free(c);
	return NULL;
}

void mrtd_calc_free(struct mrtd_calc *c)
{
	if (!c)
		return;
	EVP_MD_CTX_free(c->md);
	free(c);
}

/* Little-endian u64 at p, byte by byte: no host-order assumptions. */
static void put_u64_le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void record(uint8_t rec[MRTD_RECORD_SIZE], const char *op, uint64_t gpa)
{
	size_t n = strlen(op);

	memset(rec, 0, MRTD_RECORD_SIZE);
	memcpy(rec, op, n);			/* zero-padded to 16 */
	put_u64_le(rec + 16, gpa);
}

void mrtd_record_page_add(uint8_t rec[MRTD_RECORD_SIZE], uint64_t gpa)
{
	record(rec, "MEM.PAGE.ADD", gpa);
}

void mrtd_record_extend(uint8_t rec[MRTD_RECORD_SIZE], uint64_t gpa)
{
	record(rec, "MR.EXTEND", gpa);
}

static int calc_usable(const struct mrtd_calc *c)
{
	return c && c->md && !c->done ? 0 : -EINVAL;
}

/*
 * GPA alignment is checked because the module itself refuses a PAGE.ADD of
 * an unaligned page or an EXTEND of an unaligned chunk, so no real MRTD can
 * contain such a record (inferred: better an error than a value no TD has).
 */
int mrtd_calc_page_add(struct mrtd_calc *c, uint64_t gpa)
{
	uint8_t rec[MRTD_RECORD_SIZE];

	if (calc_usable(c) || gpa % PAGE_SIZE)
		return -EINVAL;
	mrtd_record_page_add(rec, gpa);
	return EVP_DigestUpdate(c->md, rec, sizeof(rec)) == 1 ? 0 : -EIO;
}

int mrtd_calc_extend(struct mrtd_calc *c, uint64_t gpa, const uint8_t data[MR_EXTEND_CHUNK])
{
	uint8_t rec[MRTD_RECORD_SIZE];

	if (calc_usable(c) || !data || gpa % MR_EXTEND_CHUNK)
		return -EINVAL;
	mrtd_record_extend(rec, gpa);
	if (EVP_DigestUpdate(c->md, rec, sizeof(rec)) != 1 ||
	    EVP_DigestUpdate(c->md, data, MR_EXTEND_CHUNK) != 1)
		return -EIO;
	return 0;
}

/* KVM's order (kernel.md 12): PAGE.ADD of the page, then its 16 EXTENDs. */
int mrtd_calc_add_page(struct mrtd_calc *c, uint64_t gpa, const uint8_t page[PAGE_SIZE], bool measure)
{
	int ret;

	if (measure && !page)
		return -EINVAL;
	ret = mrtd_calc_page_add(c, gpa);
	if (ret || !measure)
		return ret;
	for (unsigned int i = 0; i < CHUNKS_PER_PAGE; i++) {
		ret = mrtd_calc_extend(c, gpa + i * MR_EXTEND_CHUNK, page + i * MR_EXTEND_CHUNK);
		if (ret)
			return ret;
	}
	return 0;
}

int mrtd_calc_final(struct mrtd_calc *c, uint8_t mrtd[48])
{
	unsigned int n = 0;

	if (calc_usable(c) || !mrtd)
		return -EINVAL;
	c->done = true;
	if (EVP_DigestFinal_ex(c->md, mrtd, &n) != 1 || n != 48)
		return -EIO;
	return 0;
}

void rtmr_extend_calc(uint8_t rtmr[48], const uint8_t data[48])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t out[48];
	unsigned int n = 0;
	bool ok;

	ok = md && EVP_DigestInit_ex(md, EVP_sha384(), NULL) == 1 &&
	     EVP_DigestUpdate(md, rtmr, 48) == 1 &&
	     EVP_DigestUpdate(md, data, 48) == 1 &&
	     EVP_DigestFinal_ex(md, out, &n) == 1 && n == 48;
	EVP_MD_CTX_free(md);
	/*
	 * The API has no error return. Should OpenSSL fail (out of memory),
	 * poison the register with 0xff bytes rather than leave the old value,
	 * which would look like a successful extend of nothing (inferred).
	 */
	if (ok)
		memcpy(rtmr, out, 48);
	else
		memset(rtmr, 0xff, 48);
}

void hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}

static int hex_val(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Strict: exactly 2*len hex digits, nothing else (no 0x, no spaces, no
 * newline). buf is written only when the whole string is valid.
 */
int hex_decode(const char *hex, uint8_t *buf, size_t len)
{
	if (!hex || (len && !buf) || len > SIZE_MAX / 2)
		return -EINVAL;
	if (strnlen(hex, 2 * len + 1) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < 2 * len; i++)
		if (hex_val(hex[i]) < 0)
			return -EINVAL;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(hex_val(hex[2 * i]) << 4 | hex_val(hex[2 * i + 1]));
	return 0;
}

/*
 * ------------------------------------------------------------------------
 * TDVF / OVMF.
 *
 * Format (edk2 OvmfPkg/ResetVector/Ia16/ResetVectorVtf0.asm and
 * X64/IntelTdxMetadata.asm; TDVF Design Guide; QEMU hw/i386/tdvf.c):
 *  - The image ends with the OVMF GUIDed table. The footer GUID
 *    96b582de-1fb2-45f7-baea-a366c55a082d sits 0x30 bytes before the end
 *    (0xffffffd0 when mapped below 4 GiB), preceded by a u16 holding the
 *    length of the whole table including the footer's own 18 bytes.
 *  - Entries lie back to back below it, each [data][u16 len][GUID], len
 *    counting from the start of data to the end of the GUID. Walk them back
 *    from the footer.
 *  - The entry e47a6535-984a-4798-865e-4685a7bf8ec2 holds one u32: the
 *    distance from the end of the image to the TDVF descriptor (edk2 emits
 *    "fourGigabytes - TdxMetadataGuid - 16", i.e. up to the byte after the
 *    metadata GUID; QEMU reads the descriptor at size - value, as does
 *    td-shim's tee-info-hash tool). The metadata GUID e9eaf9f3-... in front
 *    of the descriptor is not checked, as QEMU does not.
 *  - Descriptor: "TDVF", Length u32 (= 16 + 32 * n), Version u32 (= 1),
 *    NumberOfSectionEntry u32 n, then n sections {DataOffset u32,
 *    RawDataSize u32, MemoryAddress u64, MemoryDataSize u64, Type u32,
 *    Attributes u32}, all little-endian. DataOffset is from the start of the
 *    image (the unified OVMF.fd).
 *
 * Build rules (what QEMU target/i386/kvm/tdx.c + KVM do, cross-checked with
 * td-shim's td-shim-tee-info-hash and td-layout validation):
 *  - Sections are processed in metadata order, one KVM_TDX_INIT_MEM_REGION
 *    each; KVM adds page by page, extending each page right after its add.
 *  - Every page of a section is PAGE.ADDed, including TD_HOB and TempMem
 *    (QEMU adds those from anonymous memory, unmeasured), unless the
 *    section has PAGE.AUG (bit 1): then the guest accepts it later and
 *    nothing is hashed (td-shim: such pages get no MEM.PAGE.ADD; PermMem
 *    is the type that carries it).
 *  - MR.EXTEND (bit 0) adds the 16 EXTENDs of each page.
 *  - Page content: RawDataSize bytes of the image from DataOffset, then
 *    zeros up to MemoryDataSize. (QEMU maps BFV/CFV straight from the flash
 *    image, so for a measured section whose RawDataSize < MemoryDataSize it
 *    would hash the image bytes after the raw data instead of zeros; every
 *    real OVMF has RawDataSize == MemoryDataSize there, where both agree.)
 *
 * Checks, each rejecting the image with a reason:
 *  - footer, table and entry lengths in bounds; metadata offset entry data
 *    exactly one u32; descriptor in bounds; signature; version 1;
 *    1 <= n <= TDVF_MAX_SECTIONS; Length == 16 + 32 * n and in bounds
 *    (QEMU, td-shim);
 *  - MemoryAddress and MemoryDataSize 4 KiB-aligned, RawDataSize <=
 *    MemoryDataSize (QEMU); DataOffset + RawDataSize within the image;
 *  - Type known (0..6); BFV/CFV have raw data; TD_HOB/TempMem/PermMem have
 *    none (QEMU, td-shim);
 *  - no attribute bits beyond MR.EXTEND and PAGE.AUG, not both at once, and
 *    no MR.EXTEND on TD_HOB, whose content the VMM writes at launch and
 *    which cannot be predicted offline (inferred; td-shim requires TD_HOB
 *    attributes 0 and never pairs PAGE.AUG with MR.EXTEND);
 *  - an added section is not empty (KVM refuses nr_pages == 0), ends below
 *    2^52 (the widest GPA), and overlaps no other added section (PAGE.ADD
 *    of a GPA already added fails) (inferred);
 *  - at most TDVF_MAX_PAGES pages in all (inferred: OVMF adds a few MiB).
 * ------------------------------------------------------------------------
 */

#define OVMF_FOOTER_FROM_END	0x30	/* footer GUID at end - 0x30 */
#define OVMF_ENTRY_TAIL		18	/* u16 length + GUID */
#define TDVF_DESC_HDR		16
#define TDVF_SECTION_SIZE	32
#define TDVF_MAX_SECTIONS	256u		/* (inferred) */
#define TDVF_MAX_PAGES		(1u << 18)	/* 1 GiB (inferred) */
#define GPA_LIMIT		(1ull << 52)

#define TDVF_ATTR_MR_EXTEND	(1u << 0)
#define TDVF_ATTR_PAGE_AUG	(1u << 1)

enum tdvf_type {
	TDVF_BFV,
	TDVF_CFV,
	TDVF_TD_HOB,
	TDVF_TEMP_MEM,
	TDVF_PERM_MEM,
	TDVF_PAYLOAD,
	TDVF_PAYLOAD_PARAM,
	TDVF_NR_TYPES,
};

static const char *const tdvf_type_names[TDVF_NR_TYPES] = {
	"BFV", "CFV", "TD_HOB", "TempMem", "PermMem", "Payload", "PayloadParam",
};

/* GUIDs in their on-disk (mixed-endian EFI_GUID) byte order. */
static const uint8_t ovmf_footer_guid[16] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};

static const uint8_t tdx_metadata_offset_guid[16] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};

struct tdvf_section {
	uint32_t data_offset;
	uint32_t raw_size;
	uint64_t gpa;
	uint64_t mem_size;
	uint32_t type;
	uint32_t attr;
};

/* Find the data of the footer-table entry tagged guid; *dlen gets its size. */
static int ovmf_table_find(const uint8_t *fw, size_t len, const uint8_t guid[16],
			   size_t *doff, size_t *dlen, char *err, size_t errlen)
{
	size_t footer, start, end, tot;

	if (len < OVMF_FOOTER_FROM_END + 2) {
		set_err(err, errlen, "image too small (%zu bytes) for an OVMF footer table", len);
		return -EINVAL;
	}
	footer = len - OVMF_FOOTER_FROM_END;
	if (memcmp(fw + footer, ovmf_footer_guid, 16)) {
		set_err(err, errlen, "no OVMF footer table GUID at end - 0x30: not an OVMF/TDVF image");
		return -EINVAL;
	}
	tot = le16(fw + footer - 2);
	/* The table ends at the footer GUID's end and includes the footer entry. */
	if (tot < OVMF_ENTRY_TAIL || tot > footer + 16) {
		set_err(err, errlen, "OVMF footer table length %zu out of range", tot);
		return -EINVAL;
	}
	start = footer + 16 - tot;
	end = footer - 2;
	while (end - start >= OVMF_ENTRY_TAIL) {
		size_t elen = le16(fw + end - OVMF_ENTRY_TAIL);

		if (elen < OVMF_ENTRY_TAIL || elen > end - start) {
			set_err(err, errlen, "OVMF footer table entry at 0x%zx has bad length %zu",
				end - OVMF_ENTRY_TAIL, elen);
			return -EINVAL;
		}
		if (!memcmp(fw + end - 16, guid, 16)) {
			*doff = end - elen;
			*dlen = elen - OVMF_ENTRY_TAIL;
			return 0;
		}
		end -= elen;
	}
	set_err(err, errlen, "OVMF footer table has no TDX metadata offset GUID "
		"e47a6535-984a-4798-865e-4685a7bf8ec2: not a TDVF image");
	return -ENOENT;
}

/* Locate and check the TDVF descriptor; *desc is its offset, *n its count. */
static int tdvf_descriptor(const uint8_t *fw, size_t len, size_t *desc, uint32_t *n,
			   char *err, size_t errlen)
{
	size_t doff, dlen, d;
	uint32_t from_end, length, version, count;
	int ret;

	ret = ovmf_table_find(fw, len, tdx_metadata_offset_guid, &doff, &dlen, err, errlen);
	if (ret)
		return -EINVAL;
	if (dlen != 4) {
		set_err(err, errlen, "TDX metadata offset entry holds %zu bytes, not a u32", dlen);
		return -EINVAL;
	}
	from_end = le32(fw + doff);
	if (from_end < TDVF_DESC_HDR || from_end > len) {
		set_err(err, errlen, "TDX metadata offset 0x%x points outside the image", from_end);
		return -EINVAL;
	}
	d = len - from_end;
	if (memcmp(fw + d, "TDVF", 4)) {
		set_err(err, errlen, "no \"TDVF\" signature at image offset 0x%zx", d);
		return -EINVAL;
	}
	length = le32(fw + d + 4);
	version = le32(fw + d + 8);
	count = le32(fw + d + 12);
	if (version != 1) {
		set_err(err, errlen, "TDVF metadata version %u unsupported (only 1)", version);
		return -EINVAL;
	}
	if (count == 0 || count > TDVF_MAX_SECTIONS) {
		set_err(err, errlen, "TDVF section count %u out of range 1..%u", count,
			TDVF_MAX_SECTIONS);
		return -EINVAL;
	}
	if (length != TDVF_DESC_HDR + (uint64_t)count * TDVF_SECTION_SIZE) {
		set_err(err, errlen, "TDVF metadata length %u does not match %u sections",
			length, count);
		return -EINVAL;
	}
	if (length > from_end) {
		set_err(err, errlen, "TDVF metadata (%u bytes) runs past the end of the image",
			length);
		return -EINVAL;
	}
	*desc = d;
	*n = count;
	return 0;
}

static void tdvf_read_section(const uint8_t *p, struct tdvf_section *s)
{
	s->data_offset = le32(p);
	s->raw_size = le32(p + 4);
	s->gpa = le64(p + 8);
	s->mem_size = le64(p + 16);
	s->type = le32(p + 24);
	s->attr = le32(p + 28);
}

static bool tdvf_section_added(const struct tdvf_section *s)
{
	return !(s->attr & TDVF_ATTR_PAGE_AUG);
}

static int tdvf_check_type(const struct tdvf_section *s, unsigned int i, char *err, size_t errlen)
{
	if (s->type >= TDVF_NR_TYPES) {
		set_err(err, errlen, "TDVF section %u: unsupported type %u", i, s->type);
		return -EINVAL;
	}
	switch (s->type) {
	case TDVF_BFV:
	case TDVF_CFV:
		if (!s->raw_size) {
			set_err(err, errlen, "TDVF section %u (%s): no raw data", i,
				tdvf_type_names[s->type]);
			return -EINVAL;
		}
		break;
	case TDVF_TD_HOB:
	case TDVF_TEMP_MEM:
	case TDVF_PERM_MEM:
		if (s->raw_size) {
			set_err(err, errlen, "TDVF section %u (%s): must have no raw data, has 0x%x",
				i, tdvf_type_names[s->type], s->raw_size);
			return -EINVAL;
		}
		break;
	}
	if (s->attr & ~(TDVF_ATTR_MR_EXTEND | TDVF_ATTR_PAGE_AUG)) {
		set_err(err, errlen, "TDVF section %u: unknown attribute bits 0x%x", i, s->attr);
		return -EINVAL;
	}
	if ((s->attr & TDVF_ATTR_MR_EXTEND) && (s->attr & TDVF_ATTR_PAGE_AUG)) {
		set_err(err, errlen, "TDVF section %u: MR.EXTEND with PAGE.AUG (an AUGed page "
			"cannot be measured at build time)", i);
		return -EINVAL;
	}
	if (s->type == TDVF_TD_HOB && (s->attr & TDVF_ATTR_MR_EXTEND)) {
		set_err(err, errlen, "TDVF section %u: TD_HOB with MR.EXTEND (its content is "
			"made by the VMM at launch)", i);
		return -EINVAL;
	}
	return 0;
}

static int tdvf_check_section(const struct tdvf_section *s, unsigned int i, size_t len,
			      char *err, size_t errlen)
{
	int ret = tdvf_check_type(s, i, err, errlen);

	if (ret)
		return ret;
	if (s->gpa % PAGE_SIZE) {
		set_err(err, errlen, "TDVF section %u: MemoryAddress 0x%llx not 4 KiB-aligned",
			i, (unsigned long long)s->gpa);
		return -EINVAL;
	}
	if (s->mem_size % PAGE_SIZE) {
		set_err(err, errlen, "TDVF section %u: MemoryDataSize 0x%llx not 4 KiB-aligned",
			i, (unsigned long long)s->mem_size);
		return -EINVAL;
	}
	if (s->raw_size > s->mem_size) {
		set_err(err, errlen, "TDVF section %u: RawDataSize 0x%x exceeds MemoryDataSize 0x%llx",
			i, s->raw_size, (unsigned long long)s->mem_size);
		return -EINVAL;
	}
	/* Both are u32: the sum cannot wrap in 64 bits. */
	if ((uint64_t)s->data_offset + s->raw_size > len) {
		set_err(err, errlen, "TDVF section %u: raw data 0x%x+0x%x runs past the image (%zu bytes)",
			i, s->data_offset, s->raw_size, len);
		return -EINVAL;
	}
	if (!tdvf_section_added(s))
		return 0;
	if (!s->mem_size) {
		set_err(err, errlen, "TDVF section %u: empty section", i);
		return -EINVAL;
	}
	if (s->gpa >= GPA_LIMIT || s->mem_size > GPA_LIMIT - s->gpa) {
		set_err(err, errlen, "TDVF section %u: 0x%llx+0x%llx overflows the GPA space", i,
			(unsigned long long)s->gpa, (unsigned long long)s->mem_size);
		return -EINVAL;
	}
	return 0;
}

static bool ranges_overlap(const struct tdvf_section *a, const struct tdvf_section *b)
{
	return a->gpa < b->gpa + b->mem_size && b->gpa < a->gpa + a->mem_size;
}

/* Parse and check every section before anything is hashed. */
static int tdvf_parse(const uint8_t *fw, size_t len, struct tdvf_section *secs, uint32_t n,
		      size_t desc, char *err, size_t errlen)
{
	uint64_t pages = 0;
	int ret;

	for (uint32_t i = 0; i < n; i++) {
		struct tdvf_section *s = &secs[i];

		tdvf_read_section(fw + desc + TDVF_DESC_HDR + (size_t)i * TDVF_SECTION_SIZE, s);
		ret = tdvf_check_section(s, i, len, err, errlen);
		if (ret)
			return ret;
		if (!tdvf_section_added(s))
			continue;
		for (uint32_t j = 0; j < i; j++) {
			if (tdvf_section_added(&secs[j]) && ranges_overlap(&secs[j], s)) {
				set_err(err, errlen, "TDVF sections %u and %u overlap", j, i);
				return -EINVAL;
			}
		}
		/* mem_size < 2^52 here, so the sum stays far from wrapping. */
		pages += s->mem_size / PAGE_SIZE;
		if (pages > TDVF_MAX_PAGES) {
			set_err(err, errlen, "TDVF sections add more than %u pages", TDVF_MAX_PAGES);
			return -EINVAL;
		}
	}
	return 0;
}

static int tdvf_hash_section(struct mrtd_calc *c, const uint8_t *fw, const struct tdvf_section *s,
			     uint8_t *page)
{
	bool measure = s->attr & TDVF_ATTR_MR_EXTEND;
	uint64_t nr = s->mem_size / PAGE_SIZE;
	int ret;

	for (uint64_t p = 0; p < nr; p++) {
		uint64_t off = p * PAGE_SIZE;

		if (measure) {
			size_t take = 0;

			/* Past the raw data only zeros: no pointer beyond the image. */
			if (off < s->raw_size) {
				take = s->raw_size - off;
				if (take > PAGE_SIZE)
					take = PAGE_SIZE;
				memcpy(page, fw + s->data_offset + off, take);
			}
			memset(page + take, 0, PAGE_SIZE - take);
		}
		ret = mrtd_calc_add_page(c, s->gpa + off, page, measure);
		if (ret)
			return ret;
	}
	return 0;
}

int mrtd_of_tdvf(const uint8_t *fw, size_t len, uint8_t mrtd[48], char *err, size_t errlen)
{
	struct tdvf_section *secs = NULL;
	struct mrtd_calc *c = NULL;
	uint8_t *page = NULL;
	size_t desc;
	uint32_t n;
	int ret;

	set_err(err, errlen, "%s", "");
	if (!fw || !mrtd) {
		set_err(err, errlen, "no image");
		return -EINVAL;
	}
	ret = tdvf_descriptor(fw, len, &desc, &n, err, errlen);
	if (ret)
		return ret;
	secs = calloc(n, sizeof(*secs));
	page = malloc(PAGE_SIZE);
	c = mrtd_calc_new();
	if (!secs || !page || !c) {
		set_err(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	ret = tdvf_parse(fw, len, secs, n, desc, err, errlen);
	if (ret)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		if (!tdvf_section_added(&secs[i]))
			continue;
		ret = tdvf_hash_section(c, fw, &secs[i], page);
		if (ret)
			goto hash_failed;
	}
	ret = mrtd_calc_final(c, mrtd);
	if (ret)
		goto hash_failed;
	goto out;

hash_failed:
	set_err(err, errlen, "SHA-384 failed (%d)", ret);
out:
	mrtd_calc_free(c);
	free(page);
	free(secs);
	return ret;
}
