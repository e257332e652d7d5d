// SPDX-License-Identifier: MIT
/*
 * `tdxup-emu image build` and `image list`: the emulator's catalogue of
 * module builds, and signed images made from it with the project's test
 * key (the vendor's step). `tdxup image build/list` run these.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/emu_cmds.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"

static void emu_image_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s image build --version X.Y.Z [--format 0x100|0x200] [--debug] -o FILE\n"
		"       %1$s image list [--json]\n"
		"\n"
		"The emulator's module builds (the production tool inspects, verifies,\n"
		"converts and joins images: `tdxup image --help`).\n"
		"\n"
		"  build    write a signed image of a built-in emulated module build (see\n"
		"           `image list`), signed with the tdxup test key. --format defaults to\n"
		"           0x100; --debug sets the debug-signed bit (module_type bit 31).\n"
		"  list     the catalogue of built-in builds: version, crypto library,\n"
		"           update compatibility, TDX_FEATURES0, MODULE_HV/MIN_UPDATE_HV/\n"
		"           NO_DOWNGRADE, SEAM SVN; hypothetical builds are labelled.\n"
		"  --json   machine-readable output on stdout\n"
		"\n"
		"exit status: 0 written/listed; 1 unknown version or write error; 2 usage\n",
		cli_prog);
}

static void list_versions(FILE *f)
{
	size_t nr;
	const struct module_build *cat = module_build_catalogue(&nr);

	fprintf(f, "known versions:");
	for (size_t i = 0; i < nr; i++)
		fprintf(f, " %s", cat[i].version);
	fputc('\n', f);
}

static int image_build(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "version", required_argument, NULL, 'V' },
		{ "format", required_argument, NULL, 'f' },
		{ "debug", no_argument, NULL, 'd' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct module_image_opts opts = { .format = TDX_BLOB_VERSION_1 };
	const char *version = NULL, *out = NULL;
	const struct module_build *b;
	uint8_t *img;
	size_t len;
	int c, ret;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "o:h", longopts)) != -1) {
		switch (c) {
		case 'V':
			version = optarg;
			break;
		case 'f':
			if (cli_parse_image_format(optarg, &opts.format))
				return cli_usage_error(cmd, "image build: --format must be 0x100 or 0x200, not '%s'",
						       optarg);
			break;
		case 'd':
			opts.debug = true;
			break;
		case 'o':
			out = optarg;
			break;
		case 'h':
			return cli_help(cmd);
		default:
			return CLI_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error(cmd, "image build: unexpected argument '%s'", argv[optind]);
	if (!version || !out)
		return cli_usage_error(cmd, "image build: --version and -o are required");

	b = module_build_find(version);
	if (!b) {
		cli_err("image build: no built-in module build '%s'", version);
		list_versions(stderr);
		return CLI_FAIL;
	}
	ret = module_image_build(b, &opts, &img, &len);
	if (ret) {
		cli_err("image build: %s: %s", version, strerror(-ret));
		return CLI_FAIL;
	}
	ret = cli_write_file(out, img, len);
	free(img);
	if (ret)
		return CLI_FAIL;
	printf("wrote %s: TDX module %s%s, format 0x%x, %s, %zu bytes\n", out, b->version,
	       b->hypothetical ? " (hypothetical)" : "", opts.format,
	       opts.debug ? "debug-signed" : "production-signed", len);
	return CLI_OK;
}

static json_t *build_json(const struct module_build *b)
{
	json_t *fms = json_array();

	for (unsigned int i = 0; i < b->nr_cpu_fms; i++)
		json_array_append_new(fms, cli_json_hexnum(b->cpu_fms[i], 1));
	return json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:s, s:o, s:b, s:o, s:i, s:i, s:i,"
			 " s:i, s:o, s:i, s:i, s:o, s:i, s:b, s:s}",
			 "version", b->version, "major", b->major, "minor", b->minor,
			 "update", b->update, "build_num", b->build_num,
			 "build_date", (int)b->build_date,
			 "crypto_library", b->crypto_lib,
			 "crypto_layout", cli_json_hexnum(b->crypto_layout, 1),
			 "update_compat", b->update_compat,
			 "tdx_features0", cli_json_hexnum(b->tdx_features0, 16),
			 "module_hv", b->module_hv, "min_update_hv", b->min_update_hv,
			 "no_downgrade", b->no_downgrade,
			 "num_handoff_pages", b->num_handoff_pages,
			 "seamsvn", cli_json_hexnum((unsigned)b->seamsvn_major << 8 | b->seamsvn_minor, 4),
			 "seamsvn_major", b->seamsvn_major, "seamsvn_minor", b->seamsvn_minor,
			 "cpu_fms", fms, "module_pages", b->nr_module_pages,
			 "hypothetical", b->hypothetical, "note", b->note ? b->note : "");
}

static int image_list(const struct cli_cmd *cmd, int argc, char **argv)
{
	const struct module_build *cat;
	json_t *arr;
	bool json;
	size_t nr;
	int ret;

	ret = cli_getopt_json_only(cmd, argc, argv, &json);
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cli_usage_error(cmd, "image list: unexpected argument '%s'", argv[optind]);

	cat = module_build_catalogue(&nr);
	if (json) {
		arr = json_array();
		for (size_t i = 0; i < nr; i++)
			json_array_append_new(arr, build_json(&cat[i]));
		return cli_json_print(json_pack("{s:o}", "catalogue", arr));
	}
	printf("%-8s %-6s %-18s %-11s %-7s %-12s %s\n", "VERSION", "COMPAT", "TDX_FEATURES0",
	       "HV/MIN/NODG", "SEAMSVN", "KIND", "CRYPTO LIBRARY");
	for (size_t i = 0; i < nr; i++) {
		const struct module_build *b = &cat[i];
		char hv[16];

		snprintf(hv, sizeof(hv), "%u/%u/%u", b->module_hv, b->min_update_hv,
			 b->no_downgrade);
		printf("%-8s %-6s 0x%016llx %-11s 0x%02x%02x  %-12s %s\n", b->version,
		       b->update_compat ? "yes" : "no", (unsigned long long)b->tdx_features0, hv,
		       b->seamsvn_major, b->seamsvn_minor,
		       b->hypothetical ? "HYPOTHETICAL" : "release", b->crypto_lib);
	}
	return CLI_OK;
}

static const struct cli_subcmd emu_image_subcmds[] = {
	{ "build", image_build },
	{ "list", image_list },
	{ NULL, NULL },
};

static int emu_image_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	return cli_run_subcmd(cmd, emu_image_subcmds, argc, argv);
}

const struct cli_cmd cmd_emu_image = {
	.name = "image",
	.summary = "build and list the emulated TDX module images",
	.run = emu_image_run,
	.usage = emu_image_usage,
};
