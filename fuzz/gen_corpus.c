// SPDX-License-Identifier: MIT
/*
 * Seed corpora for the fuzz targets, generated at build time from the
 * descriptions below (no binary file is kept in the repository): signed
 * images of the emulator's module builds, their sigstructs and binaries
 * for join, a TDVF image laid out like OVMF, fake sysfs states and
 * fw_upload sessions. Text seeds are readable files in fuzz/corpus.d/.
 *
 *   gen_corpus OUTDIR     writes OUTDIR/<target>/<seed>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emu/module_build.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"

struct seed {
	uint8_t *buf;
	size_t len, cap;
};

static const char *outdir;

static void put(struct seed *s, const void *p, size_t n)
{
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->buf = realloc(s->buf, s->cap);
		if (!s->buf)
			abort();
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void put_byte(struct seed *s, uint8_t b)
{
	put(s, &b, 1);
}

static void put_le(struct seed *s, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		put_byte(s, (uint8_t)(v >> (8 * i)));
}

static void emit(const char *target, const char *name, const uint8_t *buf, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0755) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", outdir, target, name);
	if (write_file(path, buf, len)) {
		fprintf(stderr, "gen_corpus: cannot write %s\n", path);
		exit(1);
	}
}

static void emit_seed(const char *target, const char *name, struct seed *s)
{
	emit(target, name, s->buf, s->len);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static uint8_t *image(const char *version, unsigned int format, bool debug, size_t *len)
{
	struct module_image_opts opts = { .format = format, .debug = debug };
	uint8_t *img;

	if (module_image_build(module_build_find(version), &opts, &img, len)) {
		fprintf(stderr, "gen_corpus: cannot build %s\n", version);
		exit(1);
	}
	return img;
}

/* ---- images, and their pieces for join ---- */

static void gen_images(void)
{
	static const char *const versions[] = { "1.5.06", "1.5.24", "1.5.25", "2.0.08" };
	struct tdx_image_info info;
	char name[64];
	size_t len;
	uint8_t *img;

	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		for (unsigned int f = TDX_BLOB_VERSION_1; f <= TDX_IMAGE_VERSION_2; f += 0x100) {
			img = image(versions[i], f, false, &len);
			snprintf(name, sizeof(name), "tdx_module_%s_0x%x.blob", versions[i], f);
			emit("blob", name, img, len);
			free(img);
		}
	}
	img = image("1.5.25", TDX_BLOB_VERSION_1, true, &len);
	emit("blob", "tdx_module_1.5.25_debug.blob", img, len);
	/* The header page alone: a truncated download. */
	emit("blob", "header_only", img, TDX_BLOB_HEADER_SIZE);
	if (tdx_image_parse(img, len, &info, NULL, 0))
		abort();
	/* The sigstruct alone, for the field parse. */
	emit("blob", "sigstruct", img + info.sigstruct_off, SIGSTRUCT_SIZE);
	free(img);
}

/* join input: u16 sigstruct length, format byte, sigstruct, binary. */
static void gen_join_seed(const char *version, unsigned int format, size_t sig_len)
{
	struct tdx_image_info info;
	struct seed s = { 0 };
	char name[64];
	size_t len;
	uint8_t *img = image(version, TDX_BLOB_VERSION_1, false, &len);

	if (tdx_image_parse(img, len, &info, NULL, 0))
		abort();
	put_le(&s, sig_len, 2);
	put_byte(&s, format == TDX_IMAGE_VERSION_2);
	put(&s, img + info.sigstruct_off, sig_len);
	put(&s, img + info.module_off, len - info.module_off);
	snprintf(name, sizeof(name), "%s_0x%x_sig%zu", version, format, sig_len);
	emit_seed("join", name, &s);
	free(img);
}

/* ---- a TDVF image like OVMF's: CFV low, BFV high, metadata and footer ---- */

#define TDVF_LEN	0x10000u
#define TDVF_DESC	0xe000u

static const uint8_t ovmf_footer_guid[16] = {
	0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
	0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d,
};
static const uint8_t tdx_metadata_offset_guid[16] = {
	0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
	0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2,
};

static void le_at(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void gen_tdvf(void)
{
	/* data offset, raw size, GPA, memory size, type, attributes (1 MR.EXTEND, 2 PAGE.AUG) */
	static const uint64_t secs[][6] = {
		{ 0x8000, 0x8000, 0xffff8000, 0x8000, 0, 1 },	/* BFV */
		{ 0x0000, 0x2000, 0xffff0000, 0x2000, 1, 0 },	/* CFV */
		{ 0, 0, 0x809000, 0x2000, 2, 0 },		/* TD_HOB */
		{ 0, 0, 0x80b000, 0x3000, 3, 0 },		/* TempMem */
		{ 0, 0, 0x1000000, 0x10000, 4, 2 },		/* PermMem, accepted later */
		{ 0x2000, 0x1800, 0x1200000, 0x2000, 5, 1 },	/* Payload, partly raw */
	};
	const size_t nr = sizeof(secs) / sizeof(secs[0]);
	uint8_t *img = malloc(TDVF_LEN);
	size_t end = TDVF_LEN - 0x32;

	if (!img)
		abort();
	for (uint32_t i = 0; i < TDVF_LEN; i++)
		img[i] = (uint8_t)(i * 131 + 7);
	memcpy(img + TDVF_DESC, "TDVF", 4);
	le_at(img + TDVF_DESC + 4, 16 + 32 * nr, 4);
	le_at(img + TDVF_DESC + 8, 1, 4);
	le_at(img + TDVF_DESC + 12, nr, 4);
	for (size_t i = 0; i < nr; i++) {
		uint8_t *p = img + TDVF_DESC + 16 + 32 * i;

		le_at(p, secs[i][0], 4);
		le_at(p + 4, secs[i][1], 4);
		le_at(p + 8, secs[i][2], 8);
		le_at(p + 16, secs[i][3], 8);
		le_at(p + 24, secs[i][4], 4);
		le_at(p + 28, secs[i][5], 4);
	}
	/* Footer: its GUID at end - 0x30, the table length below, one entry. */
	memcpy(img + TDVF_LEN - 0x30, ovmf_footer_guid, 16);
	le_at(img + end, 22 + 18, 2);
	memcpy(img + end - 16, tdx_metadata_offset_guid, 16);
	le_at(img + end - 18, 22, 2);
	le_at(img + end - 22, TDVF_LEN - TDVF_DESC, 4);
	emit("tdvf", "ovmf_like.fd", img, TDVF_LEN);
	free(img);
}

/* ---- fake sysfs states (fuzz_status.c's encoding) ---- */

enum { N_DEV, N_VER, N_SVER, N_REM, N_LDIR, N_LVER, N_LREM, N_FW, N_FWST, N_FWERR,
       N_LFW, N_LFWST, N_LFWERR, N_NR };

static void gen_status_seed(const char *name, unsigned int mask, const char *const content[N_NR])
{
	struct seed s = { 0 };

	put_le(&s, mask, 2);
	for (int i = 0; i < N_NR; i++) {
		const char *c = content[i] ? content[i] : "";

		if (c[0] == '!') {	/* "!6": the read fails with errno 6 */
			put_byte(&s, 0xff);
			put_byte(&s, (uint8_t)(atoi(c + 1) - 1));
			continue;
		}
		put_byte(&s, (uint8_t)strlen(c));
		put(&s, c, strlen(c));
	}
	emit_seed("status", name, &s);
}

#define BIT(n)	(1u << (n))

static void gen_status(void)
{
	const unsigned int final = BIT(N_DEV) | BIT(N_VER) | BIT(N_SVER) | BIT(N_REM) |
				   BIT(N_FW) | BIT(N_FWST) | BIT(N_FWERR);
	const unsigned int legacy = BIT(N_DEV) | BIT(N_VER) | BIT(N_LDIR) | BIT(N_LVER) |
				    BIT(N_LREM) | BIT(N_LFW) | BIT(N_LFWST) | BIT(N_LFWERR);

	gen_status_seed("final_idle", final, (const char *const[N_NR]){
		[N_VER] = "1.5.24\n", [N_SVER] = "1.5.01\n", [N_REM] = "16\n",
		[N_FWST] = "idle\n" });
	gen_status_seed("final_failed", final, (const char *const[N_NR]){
		[N_VER] = "1.5.24\n", [N_SVER] = "1.5.01\n", [N_REM] = "15\n",
		[N_FWST] = "idle\n", [N_FWERR] = "transferring:device-busy\n" });
	gen_status_seed("final_busy", final, (const char *const[N_NR]){
		[N_VER] = "1.5.24\n", [N_SVER] = "1.5.01\n", [N_REM] = "16\n",
		[N_FWST] = "transferring\n", [N_FWERR] = "!16" });
	gen_status_seed("module_lost", final, (const char *const[N_NR]){
		[N_VER] = "!6", [N_SVER] = "1.5.01\n", [N_REM] = "15\n", [N_FWST] = "idle\n",
		[N_FWERR] = "transferring:firmware-invalid\n" });
	gen_status_seed("no_updates_left", final, (const char *const[N_NR]){
		[N_VER] = "1.5.25\n", [N_SVER] = "1.5.01\n", [N_REM] = "0\n",
		[N_FWST] = "idle\n" });
	gen_status_seed("user_no_access", final, (const char *const[N_NR]){
		[N_VER] = "1.5.24\n", [N_SVER] = "!13", [N_REM] = "!13", [N_FWST] = "idle\n" });
	gen_status_seed("legacy", legacy, (const char *const[N_NR]){
		[N_VER] = "1.5.24\n", [N_LVER] = "1.5.01\n", [N_LREM] = "16\n",
		[N_LFWST] = "idle\n" });
	gen_status_seed("no_fw_upload", BIT(N_DEV) | BIT(N_VER) | BIT(N_SVER) | BIT(N_REM),
			(const char *const[N_NR]){ [N_VER] = "1.5.24\n", [N_SVER] = "1.5.01\n",
						   [N_REM] = "16\n" });
	gen_status_seed("no_device", 0, (const char *const[N_NR]){ 0 });
}

/* ---- fw_upload sessions (fuzz_emu_sysfs.c's encoding) ---- */

/* files[] of fuzz_emu_sysfs.c */
enum { F_LOADING, F_DATA, F_CANCEL, F_STATUS, F_ERROR, F_REMAINING, F_VERSION, F_SVER, F_REM,
       F_DEV_LOADING, F_DEV_DATA };
#define OP_READ		0x10
#define OP_USER		0x20

static void op(struct seed *s, unsigned int code, uint32_t off, const void *buf, uint16_t len)
{
	put_byte(s, (uint8_t)code);
	put_le(s, off, 4);
	put_le(s, len, 2);
	if (!(code & OP_READ))
		put(s, buf, len);
}

static void op_str(struct seed *s, unsigned int code, const char *str)
{
	op(s, code, 0, str, (uint16_t)strlen(str));
}

static void op_reads(struct seed *s)
{
	for (unsigned int f = F_STATUS; f <= F_REM; f++)
		op(s, f | OP_READ, 0, NULL, 256);
}

/* loading=1, the image a page per write at increasing offsets, loading=0. */
static void upload_ops(struct seed *s, const uint8_t *img, size_t len, size_t stop_at,
		       unsigned int data_file)
{
	op_str(s, F_LOADING, "1");
	for (size_t off = 0; off < len && off < stop_at; off += 4096) {
		size_t n = len - off < 4096 ? len - off : 4096;

		op(s, data_file, (uint32_t)off, img + off, (uint16_t)n);
	}
}

static void gen_upload(const char *name, const char *version, unsigned int format,
		       size_t stop_at, const char *finish, unsigned int data_file)
{
	struct seed s = { 0 };
	size_t len;
	uint8_t *img = image(version, format, false, &len);

	upload_ops(&s, img, len, stop_at, data_file);
	op_str(&s, F_LOADING, finish);
	op_reads(&s);
	emit_seed("emu_sysfs", name, &s);
	free(img);
}

static void gen_emu_sysfs(void)
{
	struct seed s = { 0 };

	gen_upload("update_1.5.25", "1.5.25", TDX_BLOB_VERSION_1, SIZE_MAX, "0", F_DATA);
	gen_upload("update_wrong_format", "1.5.25", TDX_IMAGE_VERSION_2, SIZE_MAX, "0", F_DATA);
	gen_upload("downgrade_1.5.06", "1.5.06", TDX_BLOB_VERSION_1, SIZE_MAX, "0",
		   F_DEV_DATA);
	gen_upload("truncated", "1.5.25", TDX_BLOB_VERSION_1, 8192, "0", F_DATA);
	gen_upload("aborted", "1.5.25", TDX_BLOB_VERSION_1, 8192, "-1", F_DATA);

	op_reads(&s);
	op_str(&s, F_CANCEL, "1");
	op_str(&s, F_DEV_LOADING, "1");
	op(&s, F_DATA, 0x3ffff00, "xyz", 3);		/* just below the 64 MiB bound */
	op(&s, F_DATA | OP_READ, 0, NULL, 64);
	op(&s, F_DATA | OP_USER, 0, "abc", 3);		/* no CAP_SYS_RAWIO */
	op_str(&s, F_VERSION, "1.5.30");		/* read-only */
	op_str(&s, F_LOADING, "0");
	emit_seed("emu_sysfs", "misc", &s);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus OUTDIR\n");
		return 2;
	}
	outdir = argv[1];
	if (mkdir(outdir, 0755) && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	gen_images();
	gen_join_seed("1.5.25", TDX_BLOB_VERSION_1, SIGSTRUCT_SIZE);
	gen_join_seed("1.5.25", TDX_IMAGE_VERSION_2, 4096);
	gen_join_seed("2.0.08", TDX_BLOB_VERSION_1, SIGSTRUCT_SIZE);
	gen_tdvf();
	gen_status();
	gen_emu_sysfs();
	return 0;
}
