// SPDX-License-Identifier: MIT
/*
 * `tdxup image`: convert and join TDX-BLOB module images; inspect and
 * verify are in cmd_image_check.c. build and list are the emulator's
 * (tdxup-emu), run from here as git runs its subcommands.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_image.h"
#include "tdxup/catalog.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"

static void image_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s image build --version X.Y.Z [--format 0x100|0x200] [--debug] -o FILE\n"
		"       %1$s image list [--json]\n"
		"       %1$s image inspect FILE [--attestation] [--json]\n"
		"       %1$s image verify FILE [--sysroot DIR] [--trust-key-hash HEX]... [--json]\n"
		"       %1$s image convert --to 0x100|0x200 IN OUT\n"
		"       %1$s image join BIN SIGSTRUCT -o OUT [--format 0x100|0x200] [--json]\n"
		"\n"
		"TDX-BLOB module images, formats 0x100 (Intel's published blobs, the v8 kernel)\n"
		"and 0x200 (mainline Linux 7.2).\n"
		"\n"
		"  build    (tdxup-emu) a signed image of an emulated module build, signed\n"
		"           with the tdxup test key; see `tdxup-emu image --help`.\n"
		"  list     (tdxup-emu) the emulated module builds.\n"
		"  inspect  header, sigstruct, attestation values and (for tdxup images)\n"
		"           emulated-build fields. Works on real Intel blobs too. The\n"
		"           attestation values are what a host running the image reports:\n"
		"           MRSEAM (the SHA-384 of the module pages, which must equal the\n"
		"           seamhash: otherwise none is shown), MRSIGNERSEAM (zero for\n"
		"           modules P-SEAMLDR loads), the SEAM SVN and the first two bytes of\n"
		"           TEE_TCB_SVN (minor, then major). --attestation: only those, as a\n"
		"           verifier allowlist takes them (with --json: mrseam, mrsignerseam,\n"
		"           signer, seam_svn, tee_tcb_svn_prefix, module_version)\n"
		"  verify   run every check P-SEAMLDR and the kernel make on an image, offline:\n"
		"             header     structure of the header page (the kernel's checks)\n"
		"             checksum   16-bit word sum is 0 (reported but ignored for 0x200)\n"
		"             sigstruct  header constants, attributes 0, min_update_hv <= module_hv\n"
		"             signature  RSA-3072 PKCS#1 v1.5 SHA-384 signature of the sigstruct\n"
		"             seamhash   SHA-384 of all module pages equals sigstruct seamhash\n"
		"             key        the signing key is one the updater would trust: Intel's\n"
		"                        production key (its published 16-byte hash prefix),\n"
		"                        or one the target declares in --sysroot (default /)\n"
		"                        etc/tdxup/trusted-keys.d/*.sha384 (root's files only,\n"
		"                        docs/trust.md); offline, also a key whose\n"
		"                        SHA-384 hash is given with --trust-key-hash (96 hex\n"
		"                        digits, repeatable). No key is trusted by default:\n"
		"                        not even the tdxup test key\n"
		"           Every failed check is named on stderr.\n"
		"  convert  rewrite the header page for the other format; nothing else changes.\n"
		"  join     join a module binary and its 2 KiB sigstruct, as Intel publishes\n"
		"           them in separate_files/, into an image. Format 0x100 (the default)\n"
		"           is byte for byte what Intel's blob_join.sh writes; 0x200 has the same\n"
		"           pages under the 0x200 header. OUT is written only if the image\n"
		"           passes the checksum, sigstruct, signature and seamhash checks.\n"
		"\n"
		"  --json   machine-readable output on stdout\n"
		"\n"
		"exit status:\n"
		"  build, list, convert, 0 written/listed; 1 unknown version, unreadable or\n"
		"  join                  malformed input, a failed check, write error; 2 usage\n"
		"  inspect               0 parsed; 1 unreadable file or malformed image (with\n"
		"                        --attestation: or no attestation values); 2 usage\n"
		"  verify                0 every check passed; 1 some check failed or the file\n"
		"                        is unreadable; 2 usage\n",
		cli_prog);
}


static int image_convert(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int to = 0;
	uint8_t *in = NULL, *out = NULL;
	char err[256];
	size_t len;
	int c, ret = CLI_FAIL;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (c == 'h')
			return cli_help(cmd);
		if (c != 't')
			return CLI_USAGE;
		if (cli_parse_image_format(optarg, &to))
			return cli_usage_error(cmd, "image convert: --to must be 0x100 or 0x200, not '%s'",
					       optarg);
	}
	if (!to)
		return cli_usage_error(cmd, "image convert: --to is required");
	if (argc - optind != 2)
		return cli_usage_error(cmd, "image convert: expected IN and OUT");

	if (cli_read_file(argv[optind], &in, &len))
		return CLI_FAIL;
	if (tdx_image_convert(in, len, to, &out, err, sizeof(err))) {
		cli_err("%s: cannot convert: %s", argv[optind], err);
		goto out;
	}
	if (cli_write_file(argv[optind + 1], out, len))
		goto out;
	printf("wrote %s: format 0x%x (from 0x%x), %zu bytes\n", argv[optind + 1], to,
	       le16(in + TDX_BLOB_V1_VERSION), len);
	ret = CLI_OK;
out:
	free(in);
	free(out);
	return ret;
}

static int join_report(const char *path, unsigned int format, size_t len, size_t pages,
		       const struct image_facts *f, bool json)
{
	json_t *o;

	if (!json) {
		printf("wrote %s: format 0x%x, %zu bytes, %zu module pages, verified; "
		       "signing key: %s\n",
		       path, format, len, pages,
		       key_trust_name(image_key_trust(f->key_hash, NULL, 0), f->key_hash));
		return CLI_OK;
	}
	o = json_pack("{s:s, s:o, s:I, s:I, s:o}", "output", path,
		      "format", cli_json_hexnum(format, 3), "size", (json_int_t)len,
		      "module_pages", (json_int_t)pages,
		      "seamhash", cli_json_hex(f->sig.seamhash, sizeof(f->sig.seamhash)));
	return cli_json_print(o);
}

static int image_join(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int format = TDX_BLOB_VERSION_1;
	uint8_t *bin = NULL, *sig = NULL, *img = NULL;
	size_t bin_len, sig_len, img_len;
	const char *output = NULL;
	struct image_facts facts;
	bool json = false;
	char err[320];
	int c, ret = CLI_FAIL;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "ho:", longopts)) != -1) {
		switch (c) {
		case 'h':
			return cli_help(cmd);
		case 'o':
			output = optarg;
			break;
		case 'f':
			if (cli_parse_image_format(optarg, &format))
				return cli_usage_error(cmd, "image join: --format must be 0x100 or 0x200, not '%s'",
						       optarg);
			break;
		case 'j':
			json = true;
			break;
		default:
			return CLI_USAGE;
		}
	}
	if (!output || !*output)
		return cli_usage_error(cmd, "image join: -o OUT is required");
	if (argc - optind != 2)
		return cli_usage_error(cmd, "image join: expected BIN and SIGSTRUCT");

	if (cli_read_file(argv[optind], &bin, &bin_len) ||
	    cli_read_file(argv[optind + 1], &sig, &sig_len))
		goto out;
	if (tdx_image_join(bin, bin_len, sig, sig_len, format, &img, &img_len, &facts,
			   err, sizeof(err))) {
		cli_err("image join: %s + %s: %s", argv[optind], argv[optind + 1], err);
		goto out;
	}
	/* Only a verified image gets here; cli_write_file renames it into place. */
	if (cli_write_file(output, img, img_len))
		goto out;
	ret = join_report(output, format, img_len, bin_len / 4096, &facts, json);
out:
	free(bin);
	free(sig);
	free(img);
	return ret;
}

static int image_emu(const struct cli_cmd *cmd, int argc, char **argv)
{
	/* argv[0] is "build" or "list": tdxup-emu image build ... */
	return cli_exec_emu("image", argc, argv);
}

static const struct cli_subcmd image_subcmds[] = {
	{ "build", image_emu },
	{ "list", image_emu },
	{ "inspect", image_inspect },
	{ "verify", image_verify },
	{ "convert", image_convert },
	{ "join", image_join },
	{ NULL, NULL },
};

static int image_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	return cli_run_subcmd(cmd, image_subcmds, argc, argv);
}

const struct cli_cmd cmd_image = {
	.name = "image",
	.summary = "inspect, verify, convert and join TDX module images",
	.run = image_run,
	.usage = image_usage,
};
