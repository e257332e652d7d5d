// SPDX-License-Identifier: MIT
/*
 * `tdxup image inspect` and `tdxup image verify`: the offline view of what
 * the kernel and P-SEAMLDR check in an image (seamldr.md 5-6). Both work on
 * real Intel blobs, which carry no tdxup build descriptor.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli/cmd_image.h"
#include "tdxup/attest.h"
#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/measure.h"
#include "tdxup/module_desc.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"
#include "tdxup/trusted_keys.h"

/*
 * The key check trusts what the production updater trusts: Intel's key and
 * the keys a target declares (SYSROOT/etc/tdxup/trusted-keys.d/, --sysroot
 * default /), plus, offline only, hashes given with --trust-key-hash. The
 * tdxup test key is named, never trusted for its own sake.
 */
static const char *key_label(const uint8_t hash[SHA384_DIGEST_SIZE],
			     const struct trusted_keys *tk)
{
	return key_trust_name(image_key_trust(hash, tk ? (const uint8_t (*)[48])tk->hash : NULL,
					      tk ? tk->nr : 0), hash);
}

/* An image file read and parsed; sig is NULL when the header is unusable. */
struct image_file {
	const char *path;
	uint8_t *buf;
	size_t len;
	struct tdx_image_info info;
	char err[256];
	const uint8_t *sig;
	struct sigstruct s;
};

static int image_load(struct image_file *f, const char *path)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	if (cli_read_file(path, &f->buf, &f->len))
		return -EIO;
	if (tdx_image_parse(f->buf, f->len, &f->info, f->err, sizeof(f->err)))
		return -EINVAL;
	f->sig = f->buf + f->info.sigstruct_off;
	sigstruct_parse(f->sig, &f->s);
	return 0;
}

static const uint8_t *module_bytes(const struct image_file *f, size_t *len)
{
	*len = f->info.module_pages * PAGE_SIZE;
	return f->buf + f->info.module_off;
}

/* ---- inspect ---------------------------------------------------------- */

static json_t *header_json(const struct image_file *f)
{
	const struct tdx_image_info *in = &f->info;
	json_t *h = json_pack("{s:o, s:I, s:o, s:b, s:I, s:I, s:I, s:I}",
			      "format", cli_json_hexnum(in->version, 3),
			      "size", (json_int_t)in->size,
			      "checksum", cli_json_hexnum(in->checksum, 4),
			      "checksum_ok", in->checksum_ok,
			      "sigstruct_offset", (json_int_t)in->sigstruct_off,
			      "sigstruct_pages", (json_int_t)in->sigstruct_pages,
			      "module_offset", (json_int_t)in->module_off,
			      "module_pages", (json_int_t)in->module_pages);

	if (h && in->version == TDX_BLOB_VERSION_1) {
		json_object_set_new(h, "offset_of_module", json_integer((json_int_t)in->module_off));
		json_object_set_new(h, "length", json_integer(in->length));
	}
	return h;
}

static json_t *sigstruct_json(const struct image_file *f)
{
	const struct sigstruct *s = &f->s;
	uint8_t kh[SHA384_DIGEST_SIZE];
	json_t *fms = json_array();

	sigstruct_key_hash(f->sig, kh);
	for (uint32_t i = 0; i < s->cpuid_table_size; i++)
		json_array_append_new(fms, cli_json_hexnum(s->cpuid_table[i], 1));
	return json_pack("{s:o, s:b, s:o, s:o, s:o, s:i, s:i, s:o, s:i, s:i, s:i, s:i,"
			 " s:o, s:o, s:o, s:s}",
			 "module_type", cli_json_hexnum(s->module_type, 8),
			 "debug", !!(s->module_type & SIGSTRUCT_MODULE_TYPE_DEBUG),
			 "module_vendor", cli_json_hexnum(s->module_vendor, 4),
			 "date", cli_json_hexnum(s->date, 8),
			 "seamsvn", cli_json_hexnum((unsigned)s->seamsvn_major << 8 | s->seamsvn_minor, 4),
			 "seamsvn_major", s->seamsvn_major, "seamsvn_minor", s->seamsvn_minor,
			 "attributes", cli_json_hexnum(s->attributes, 16),
			 "module_hv", s->module_hv, "min_update_hv", s->min_update_hv,
			 "no_downgrade", s->no_downgrade,
			 "num_handoff_pages", s->num_handoff_pages,
			 "cpuid_table", fms,
			 "seamhash", cli_json_hex(s->seamhash, SHA384_DIGEST_SIZE),
			 "key_hash", cli_json_hex(kh, SHA384_DIGEST_SIZE),
			 "key", key_label(kh, NULL));
}

static json_t *desc_json(const struct module_build *b)
{
	char version[24];

	/* Numbers, not the catalogue's string: the build may be uncatalogued. */
	snprintf(version, sizeof(version), "%u.%u.%02u", b->major, b->minor, b->update);
	return json_pack("{s:s, s:b, s:i, s:i, s:o, s:s, s:o, s:b, s:o, s:i, s:i, s:i}",
			 "version", version, "hypothetical", b->hypothetical,
			 "build_num", b->build_num,
			 "build_date", (int)b->build_date,
			 "crypto_layout", cli_json_hexnum(b->crypto_layout, 1),
			 "crypto_library", b->crypto_lib ? b->crypto_lib : "",
			 "tdx_features0", cli_json_hexnum(b->tdx_features0, 16),
			 "update_compat", b->update_compat,
			 "seamsvn", cli_json_hexnum((unsigned)b->seamsvn_major << 8 | b->seamsvn_minor, 4),
			 "module_hv", b->module_hv, "min_update_hv", b->min_update_hv,
			 "no_downgrade", b->no_downgrade);
}

static void print_header(const struct image_file *f)
{
	const struct tdx_image_info *in = &f->info;

	printf("file:               %s\n", f->path);
	printf("format:             TDX-BLOB 0x%x\n", in->version);
	printf("size:               %zu bytes\n", in->size);
	printf("checksum:           0x%04x (%s)\n", in->checksum,
	       in->checksum_ok ? "ok: the 16-bit word sum is 0" :
	       in->version == TDX_IMAGE_VERSION_2 ? "word sum is not 0; ignored for 0x200" :
	       "BAD: the 16-bit word sum is not 0");
	if (in->version == TDX_BLOB_VERSION_1) {
		printf("offset_of_module:   0x%zx\n", in->module_off);
		printf("length:             %u\n", in->length);
	}
	printf("sigstruct pages:    %zu at 0x%zx\n", in->sigstruct_pages, in->sigstruct_off);
	printf("module pages:       %zu at 0x%zx\n", in->module_pages, in->module_off);
}

static void print_sigstruct(const struct image_file *f)
{
	const struct sigstruct *s = &f->s;
	uint8_t kh[SHA384_DIGEST_SIZE];
	char hex[2 * SHA384_DIGEST_SIZE + 1];

	printf("sigstruct:\n");
	printf("  module_type:      0x%08x (%s)\n", s->module_type,
	       s->module_type & SIGSTRUCT_MODULE_TYPE_DEBUG ? "debug-signed" : "production-signed");
	printf("  module_vendor:    0x%04x\n", s->module_vendor);
	printf("  date:             %04x-%02x-%02x (0x%08x)\n", s->date >> 16,
	       (s->date >> 8) & 0xff, s->date & 0xff, s->date);
	printf("  seamsvn:          0x%02x%02x (major %u, minor %u)\n", s->seamsvn_major,
	       s->seamsvn_minor, s->seamsvn_major, s->seamsvn_minor);
	printf("  attributes:       0x%016llx\n", (unsigned long long)s->attributes);
	printf("  module_hv:        %u\n", s->module_hv);
	printf("  min_update_hv:    %u\n", s->min_update_hv);
	printf("  no_downgrade:     %u\n", s->no_downgrade);
	printf("  num_handoff_pages: %u (%u pages)\n", s->num_handoff_pages,
	       s->num_handoff_pages + 1u);
	printf("  cpuid_table:      %u entr%s:", s->cpuid_table_size,
	       s->cpuid_table_size == 1 ? "y" : "ies");
	for (uint32_t i = 0; i < s->cpuid_table_size; i++)
		printf(" 0x%x", s->cpuid_table[i]);
	printf("\n");
	hex_encode(s->seamhash, SHA384_DIGEST_SIZE, hex);
	printf("  seamhash:         %s\n", hex);
	sigstruct_key_hash(f->sig, kh);
	hex_encode(kh, SHA384_DIGEST_SIZE, hex);
	printf("  key_hash:         %s\n", hex);
	printf("  key:              %s\n", key_label(kh, NULL));
}

static void print_desc(const struct module_build *b, bool have)
{
	if (!have) {
		printf("emulated build:     none (no tdxup build descriptor: a real module binary?)\n");
		return;
	}
	printf("emulated build:\n");
	printf("  version:          %u.%u.%02u%s (build %u, %u)\n", b->major, b->minor, b->update,
	       b->hypothetical ? " HYPOTHETICAL, not an Intel release" : "", b->build_num,
	       b->build_date);
	printf("  crypto library:   %s (layout 0x%x)\n", b->crypto_lib ? b->crypto_lib : "?",
	       b->crypto_layout);
	printf("  update compat:    %s\n", b->update_compat ? "yes" : "no");
	printf("  tdx_features0:    0x%016llx\n", (unsigned long long)b->tdx_features0);
	printf("  hv/min/nodg:      %u/%u/%u\n", b->module_hv, b->min_update_hv, b->no_downgrade);
}

/* The values, or why there are none (attest_err), for text and JSON. */
struct inspect_attest {
	struct tdx_attestation a;
	char err[256];
	bool ok;
	char version[24];		/* the emulated build's, "" for a real blob */
};

static void print_attestation(const struct inspect_attest *ia)
{
	const struct tdx_attestation *a = &ia->a;
	char hex[2 * SHA384_DIGEST_SIZE + 1];

	if (!ia->ok) {
		printf("attestation:        none: %s\n", ia->err);
		return;
	}
	printf("attestation:\n");
	hex_encode(a->mrseam, SHA384_DIGEST_SIZE, hex);
	printf("  MRSEAM:           %s\n", hex);
	if (a->mrsignerseam_known) {
		hex_encode(a->mrsignerseam, SHA384_DIGEST_SIZE, hex);
		printf("  MRSIGNERSEAM:     %s\n", hex);
	} else {
		printf("  MRSIGNERSEAM:     unknown\n");
	}
	printf("                    (%s)\n", tdx_signer_mrsigner_note(a->signer));
	printf("  SEAM SVN:         major %u, minor %u\n", a->seam_svn_major, a->seam_svn_minor);
	printf("  TEE_TCB_SVN:      %02x%02x... (byte 0 minor, byte 1 major)\n",
	       a->tee_tcb_svn_prefix[0], a->tee_tcb_svn_prefix[1]);
}

static json_t *attestation_json(const struct inspect_attest *ia)
{
	return ia->ok ? cli_json_attestation(&ia->a, ia->version[0] ? ia->version : NULL) :
			json_null();
}

static int inspect_args(const struct cli_cmd *cmd, int argc, char **argv, bool *json,
			bool *attest)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "attestation", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (c == 'h')
			return cli_help(cmd);
		if (c == 'j')
			*json = true;
		else if (c == 'a')
			*attest = true;
		else
			return CLI_USAGE;
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "image inspect: expected one FILE");
	return -1;
}

/* --attestation: the values alone, or an error (exit 1) when there are none. */
static int print_attestation_only(const struct image_file *f, const struct inspect_attest *ia,
				  bool json)
{
	if (!ia->ok) {
		cli_err("%s: no attestation values: %s", f->path, ia->err);
		return CLI_FAIL;
	}
	if (json)
		return cli_json_print(attestation_json(ia));
	print_attestation(ia);
	return CLI_OK;
}

static int print_inspect(const struct image_file *f, const struct module_build *desc,
			 bool have_desc, const struct inspect_attest *ia, bool json)
{
	json_t *o;

	if (!json) {
		print_header(f);
		print_sigstruct(f);
		print_attestation(ia);
		print_desc(desc, have_desc);
		return CLI_OK;
	}
	o = json_pack("{s:s, s:o, s:o, s:o, s:o}", "file", f->path, "header", header_json(f),
		      "sigstruct", sigstruct_json(f), "attestation", attestation_json(ia),
		      "emulated_build", have_desc ? desc_json(desc) : json_null());
	if (o && !ia->ok)
		json_object_set_new(o, "attestation_error", json_string(ia->err));
	return cli_json_print(o);
}

int image_inspect(const struct cli_cmd *cmd, int argc, char **argv)
{
	struct inspect_attest ia = { .ok = false };
	struct module_build desc;
	bool json = false, attest = false, have_desc;
	struct image_file f;
	const uint8_t *mod;
	size_t mod_len;
	int ret;

	ret = inspect_args(cmd, argc, argv, &json, &attest);
	if (ret >= 0)
		return ret;
	ret = image_load(&f, argv[optind]);
	if (ret == -EINVAL)
		cli_err("%s: not a valid TDX-BLOB image: %s", f.path, f.err);
	if (ret) {
		free(f.buf);
		return CLI_FAIL;
	}
	mod = module_bytes(&f, &mod_len);
	have_desc = !module_desc_decode(mod, mod_len, &desc);
	if (have_desc)
		snprintf(ia.version, sizeof(ia.version), "%u.%u.%02u", desc.major, desc.minor,
			 desc.update);
	ia.ok = !tdx_attestation_from_image(f.buf, f.len, &ia.a, ia.err, sizeof(ia.err));
	if (attest)
		ret = print_attestation_only(&f, &ia, json);
	else
		ret = print_inspect(&f, &desc, have_desc, &ia, json);
	free(f.buf);
	return ret;
}

/* ---- verify ----------------------------------------------------------- */

enum check_result { CHECK_OK, CHECK_FAIL, CHECK_SKIP, CHECK_IGNORED };

static const char *const result_label[] = {
	[CHECK_OK] = "ok",
	[CHECK_FAIL] = "FAILED",
	[CHECK_SKIP] = "skipped",
	[CHECK_IGNORED] = "ignored",
};

struct check {
	const char *name;
	enum check_result res;
	char detail[256];
};

enum { CK_HEADER, CK_CHECKSUM, CK_SIGSTRUCT, CK_SIGNATURE, CK_SEAMHASH, CK_KEY, NR_CHECKS };

static const char *const check_names[NR_CHECKS] = {
	"header", "checksum", "sigstruct", "signature", "seamhash", "key",
};

static void set_check(struct check *c, enum check_result res, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_check(struct check *c, enum check_result res, const char *fmt, ...)
{
	va_list ap;

	c->res = res;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

static void check_checksum(const struct image_file *f, struct check *c)
{
	uint16_t sum = tdx_image_word_sum(f->buf, f->len);
	bool v2 = f->len >= 2 && le16(f->buf) == TDX_IMAGE_VERSION_2;

	if (!sum)
		set_check(c, CHECK_OK, "16-bit word sum is 0");
	else if (v2)
		set_check(c, CHECK_IGNORED,
			  "16-bit word sum is 0x%04x, not 0; the kernel ignores it for format 0x200",
			  sum);
	else
		set_check(c, CHECK_FAIL, "16-bit word sum is 0x%04x, not 0", sum);
}

static void check_seamhash(const struct image_file *f, struct check *c)
{
	uint8_t md[SHA384_DIGEST_SIZE];
	const uint8_t *mod;
	size_t len;

	mod = module_bytes(f, &len);
	if (EVP_Digest(mod, len, md, NULL, EVP_sha384(), NULL) != 1) {
		set_check(c, CHECK_FAIL, "cannot compute SHA-384");
		return;
	}
	if (memcmp(md, f->s.seamhash, sizeof(md)))
		set_check(c, CHECK_FAIL, "SHA-384 of the %zu module pages differs from seamhash",
			  f->info.module_pages);
	else
		set_check(c, CHECK_OK, "SHA-384 of the %zu module pages matches",
			  f->info.module_pages);
}

static size_t given_keys;

static void check_key(const struct image_file *f, const struct trusted_keys *tk,
		      struct check *c)
{
	uint8_t kh[SHA384_DIGEST_SIZE];
	char hex[2 * SHA384_DIGEST_SIZE + 1];

	sigstruct_key_hash(f->sig, kh);
	/* The first given_keys entries came from --trust-key-hash, the rest from the target. */
	for (size_t i = 0; i < given_keys; i++) {
		if (!memcmp(kh, tk->hash[i], SHA384_DIGEST_SIZE)) {
			set_check(c, CHECK_OK, "trusted key (--trust-key-hash)");
			return;
		}
	}
	if (image_key_trust(kh, (const uint8_t (*)[48])tk->hash, tk->nr) != KEY_UNTRUSTED) {
		set_check(c, CHECK_OK, "%s", key_label(kh, tk));
		return;
	}
	hex_encode(kh, sizeof(kh), hex);
	set_check(c, CHECK_FAIL, "%s, hash %s", key_label(kh, tk), hex);
}

static void run_checks(const struct image_file *f, bool parsed, const struct trusted_keys *tk,
		       struct check *ck)
{
	const char *why;

	for (int i = 0; i < NR_CHECKS; i++) {
		ck[i].name = check_names[i];
		set_check(&ck[i], CHECK_SKIP, "not run: the header is unusable");
	}
	check_checksum(f, &ck[CK_CHECKSUM]);
	if (!parsed) {
		set_check(&ck[CK_HEADER], CHECK_FAIL, "%s", f->err);
		return;
	}
	set_check(&ck[CK_HEADER], CHECK_OK, "TDX-BLOB 0x%x, %zu sigstruct page%s, %zu module pages",
		  f->info.version, f->info.sigstruct_pages,
		  f->info.sigstruct_pages == 1 ? "" : "s", f->info.module_pages);
	if (sigstruct_check_wellformed(&f->s, &why))
		set_check(&ck[CK_SIGSTRUCT], CHECK_FAIL, "malformed: %s", why);
	else
		set_check(&ck[CK_SIGSTRUCT], CHECK_OK, "%s", why);
	if (sigstruct_verify_signature(f->sig))
		set_check(&ck[CK_SIGNATURE], CHECK_FAIL, "RSA-3072 signature does not verify");
	else
		set_check(&ck[CK_SIGNATURE], CHECK_OK, "RSA-3072 PKCS#1 v1.5 SHA-384");
	check_seamhash(f, &ck[CK_SEAMHASH]);
	check_key(f, tk, &ck[CK_KEY]);
}

static int report_checks(const char *path, const struct check *ck, bool json)
{
	json_t *arr = NULL, *failed = NULL;
	unsigned int nr_failed = 0;

	if (json) {
		arr = json_array();
		failed = json_array();
	}
	for (int i = 0; i < NR_CHECKS; i++) {
		bool bad = ck[i].res == CHECK_FAIL;

		if (ck[i].res == CHECK_FAIL) {
			cli_err("%s: check '%s' failed: %s", path, ck[i].name, ck[i].detail);
			nr_failed++;
		}
		if (json) {
			json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", ck[i].name,
							     "result", result_label[ck[i].res],
							     "detail", ck[i].detail));
			if (bad)
				json_array_append_new(failed, json_string(ck[i].name));
		} else {
			printf("%s: %-9s %-7s %s\n", path, ck[i].name, result_label[ck[i].res],
			       ck[i].detail);
		}
	}
	if (json)
		cli_json_print(json_pack("{s:s, s:b, s:o, s:o}", "file", path, "ok", !nr_failed,
					 "checks", arr, "failed", failed));
	else
		printf("%s: %s\n", path, nr_failed ? "verification FAILED" : "OK");
	return nr_failed ? CLI_FAIL : CLI_OK;
}

static int add_trusted_key(const struct cli_cmd *cmd, struct trusted_keys *tk, const char *hex)
{
	if (tk->nr == TRUSTED_KEYS_MAX)
		return cli_usage_error(cmd, "image verify: at most %d trusted keys",
				       TRUSTED_KEYS_MAX);
	if (strlen(hex) != 2 * SHA384_DIGEST_SIZE ||
	    hex_decode(hex, tk->hash[tk->nr], SHA384_DIGEST_SIZE))
		return cli_usage_error(cmd, "image verify: --trust-key-hash needs a SHA-384 hash"
				       " (96 hex digits), not '%s'", hex);
	tk->nr++;
	return 0;
}

int image_verify(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "trust-key-hash", required_argument, NULL, 'k' },
		{ "sysroot", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check ck[NR_CHECKS];
	struct trusted_keys tk = { .nr = 0 };
	const char *sysroot = "/";
	char dir[PATH_MAX], err[PATH_MAX + 128];
	struct image_file f;
	bool json = false;
	int c, ret;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 'k':
			if (add_trusted_key(cmd, &tk, optarg))
				return CLI_USAGE;
			break;
		case 'r':
			sysroot = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return CLI_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, "image verify: expected one FILE");
	if (trusted_keys_dir(sysroot, dir, sizeof(dir)))
		return cli_usage_error(cmd, "image verify: --sysroot: path too long");
	given_keys = tk.nr;
	if (trusted_keys_load(dir, &tk, err, sizeof(err))) {
		cli_err("image verify: trusted keys: %s", err);
		return CLI_FAIL;
	}

	ret = image_load(&f, argv[optind]);
	if (ret == -EIO)
		return CLI_FAIL;
	run_checks(&f, ret == 0, &tk, ck);
	ret = report_checks(f.path, ck, json);
	free(f.buf);
	return ret;
}
