// SPDX-License-Identifier: MIT
/* Helpers shared by the subcommands: errors, option parsing, files, JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "tdxup/attest.h"
#include "tdxup/fsafe.h"
#include "tdxup/image.h"
#include "tdxup/seamldr_abi.h"

const char *cli_prog = "tdxup";

const char cli_exit_table[] =
	"exit status (one table for every command of tdxup and tdxup-emu):\n"
	"  0  success: done as asked, or nothing to do (already current); every\n"
	"     check passed (lab: the verdict is PASS)\n"
	"  1  a check failed or the input is invalid (unreadable or malformed file,\n"
	"     unknown version, lab verdict FAIL), or an unexpected I/O error; for\n"
	"     update the host's state is then unknown: see `tdxup status`\n"
	"  2  usage error: unknown command or option, missing or malformed argument\n"
	"  3  refused before anything was changed (an update pre-check, a lab or\n"
	"     serve setup the emulator cannot run, the emulator not installed)\n"
	"  4  update: still device-busy when the retry window closed; nothing changed\n"
	"     (lease: timed out, builds still held or in flight; nothing changed)\n"
	"  5  update: the update failed and nothing changed; TDs are safe\n"
	"  6  update: the TDX module is lost; TDs are gone, reboot the host\n";

int cli_print_version(void)
{
	printf("%s %s\n", cli_prog, cli_version);
	return CLI_OK;
}

int cli_run_subcmd(const struct cli_cmd *cmd, const struct cli_subcmd *subs, int argc,
		   char **argv)
{
	if (argc < 2)
		return cli_usage_error(cmd, "%s: missing subcommand", cmd->name);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
		return cli_help(cmd);
	for (; subs->name; subs++)
		if (!strcmp(argv[1], subs->name))
			return subs->run(cmd, argc - 1, argv + 1);
	return cli_usage_error(cmd, "%s: unknown subcommand '%s'", cmd->name, argv[1]);
}

static void verr(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd->usage(stderr);
	return CLI_USAGE;
}

int cli_help(const struct cli_cmd *cmd)
{
	cmd->usage(stdout);
	return CLI_OK;
}

void cli_getopt_reset(void)
{
	optind = 0;		/* glibc: 0 also reinitialises its internal state */
	opterr = 0;		/* errors are reported by cli_getopt, uniformly */
}

int cli_getopt(const struct cli_cmd *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char opts[64];
	int c;

	/* A leading ':' tells a missing argument (':') from an unknown option ('?'). */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == '?') {
		if (optopt && optopt != '?')
			cli_usage_error(cmd, "%s: unknown option '-%c'", cmd->name, optopt);
		else
			cli_usage_error(cmd, "%s: unknown option '%s'", cmd->name, argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		cli_usage_error(cmd, "%s: option '%s' needs an argument", cmd->name,
				argv[optind - 1]);
		return '?';
	}
	return c;
}

int cli_getopt_json_only(const struct cli_cmd *cmd, int argc, char **argv, bool *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*json = false;
	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		if (c == 'h')
			return cli_help(cmd);
		if (c != 'j')
			return CLI_USAGE;
		*json = true;
	}
	return -1;
}

int cli_parse_u64(const char *s, uint64_t *v)
{
	int base = 10;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* strtoull would accept a sign, spaces and an empty hex part. */
	if (!*s || !strchr(base == 16 ? "0123456789abcdefABCDEF" : "0123456789", *s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, base);
	if (errno || *end)
		return -EINVAL;
	return 0;
}

int cli_parse_image_format(const char *s, unsigned int *version)
{
	uint64_t v;

	if (cli_parse_u64(s, &v) || (v != TDX_BLOB_VERSION_1 && v != TDX_IMAGE_VERSION_2))
		return -EINVAL;
	*version = (unsigned int)v;
	return 0;
}

int cli_parse_hex32(const char *s, uint32_t *v)
{
	unsigned long n;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	/* strtoul would accept a sign, spaces and an empty string. */
	if (!*s || !strchr("0123456789abcdefABCDEF", *s))
		return -EINVAL;
	errno = 0;
	n = strtoul(s, &end, 16);
	if (errno || *end || n > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

/* What a path is, for an error message; stat() never blocks on a FIFO. */
static const char *file_kind(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return "not a regular file";
	if (S_ISFIFO(st.st_mode))
		return "a FIFO, not a regular file";
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		return "a device, not a regular file";
	if (S_ISSOCK(st.st_mode))
		return "a socket, not a regular file";
	return "not a regular file";
}

int cli_read_file(const char *path, uint8_t **buf, size_t *len)
{
	int ret = read_file(path, buf, len);

	/* read_file's -EINVAL is always "not a regular file". */
	if (ret == -EINVAL)
		cli_err("%s: %s", path, file_kind(path));
	else if (ret == -EFBIG)
		cli_err("%s: too large (more than %u MiB)", path, READ_FILE_MAX >> 20);
	else if (ret)
		cli_err("%s: %s", path, strerror(-ret));
	return ret;
}

int cli_write_file(const char *path, const uint8_t *buf, size_t len)
{
	struct fsafe_err fe;
	int ret = write_file_err(path, buf, len, &fe);

	if (ret)
		cli_err("%s", fe.msg);
	return ret;
}

void cli_hex_line(char *out, size_t size, const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len && n + 3 < size; i++) {
		out[n++] = digits[buf[i] >> 4];
		out[n++] = digits[buf[i] & 15];
	}
	if (n + 1 < size)
		out[n++] = '\n';
	out[n] = '\0';
}

json_t *cli_json_hex(const uint8_t *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);
	json_t *j;

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[buf[i] >> 4];
		s[2 * i + 1] = digits[buf[i] & 15];
	}
	s[2 * len] = '\0';
	j = json_string(s);
	free(s);
	return j;
}

json_t *cli_json_hexnum(uint64_t v, int digits)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%0*llx", digits, (unsigned long long)v);
	return json_string(s);
}

int cli_json_print(json_t *v)
{
	int ret;

	if (!v) {
		cli_err("out of memory building JSON");
		return CLI_FAIL;
	}
	ret = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (ret) {
		cli_err("cannot write JSON output");
		return CLI_FAIL;
	}
	fputc('\n', stdout);
	return CLI_OK;
}

json_t *cli_json_attestation(const struct tdx_attestation *a, const char *module_version)
{
	return json_pack("{s:o, s:o, s:s, s:s, s:{s:i, s:i}, s:o, s:o}",
			 "mrseam", cli_json_hex(a->mrseam, sizeof(a->mrseam)),
			 "mrsignerseam", a->mrsignerseam_known ?
				cli_json_hex(a->mrsignerseam, sizeof(a->mrsignerseam)) : json_null(),
			 "mrsignerseam_note", tdx_signer_mrsigner_note(a->signer),
			 "signer", tdx_signer_name(a->signer),
			 "seam_svn", "major", a->seam_svn_major, "minor", a->seam_svn_minor,
			 "tee_tcb_svn_prefix", cli_json_hex(a->tee_tcb_svn_prefix,
							    sizeof(a->tee_tcb_svn_prefix)),
			 "module_version", module_version ? json_string(module_version) :
				json_null());
}
