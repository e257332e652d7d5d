// SPDX-License-Identifier: MIT
/*
 * `tdxup measure`: the MRTD a TD build produces, computed offline
 * (tdx-module.md 5.1), either for a TDVF/OVMF firmware image or for raw
 * pages added in a given order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tdxup/measure.h"
#include "tdxup/page.h"

#define MAX_PAGE_SPECS	256
/* The widest guest physical address TDX knows (inferred bound for input checks). */
#define GPA_LIMIT	(1ULL << 52)

static void measure_usage(FILE *f)
{
	fprintf(f,
		"usage: %1$s measure --tdvf FILE [--json]\n"
		"       %1$s measure --page GPA:FILE[:nomeasure] [--page ...]... [--json]\n"
		"\n"
		"Compute the MRTD (SHA-384 over the MEM.PAGE.ADD and MR.EXTEND records the\n"
		"TDX module hashes) offline, and print it in hex.\n"
		"\n"
		"  --tdvf FILE   a TDVF/OVMF firmware image: its TDVF metadata sections are\n"
		"                added (PAGE.AUG sections skipped) and MR_EXTEND sections\n"
		"                extended, as KVM/QEMU build the TD\n"
		"  --page GPA:FILE[:nomeasure]\n"
		"                raw pages, added in the order given: FILE's content, zero-\n"
		"                padded to a multiple of 4 KiB (an empty FILE is one zero page),\n"
		"                is added page by page at GPA, GPA+0x1000, ...; each page is\n"
		"                added (PAGE.ADD) and then extended (16 x MR.EXTEND) unless\n"
		"                :nomeasure is given. GPA is hex (0x...) or decimal, 4 KiB\n"
		"                aligned, below 2^52; a GPA may be added only once.\n"
		"  --json        machine-readable output\n"
		"\n"
		"exit status: 0 MRTD computed; 1 unreadable file, malformed TDVF, or a page\n"
		"added twice; 2 usage (also a malformed or unaligned GPA)\n",
		cli_prog);
}

struct page_spec {
	uint64_t gpa;
	const char *path;
	bool measure;
	uint8_t *buf;
	size_t len;
	size_t pages;
};

/* "GPA:FILE[:nomeasure]"; FILE may itself contain ':' (only a final ":nomeasure" counts). */
static int parse_page_spec(char *arg, struct page_spec *ps)
{
	static const char suffix[] = ":nomeasure";
	char *colon = strchr(arg, ':');
	size_t n;

	if (!colon || colon == arg || !colon[1])
		return -EINVAL;
	*colon = '\0';
	if (cli_parse_u64(arg, &ps->gpa) || ps->gpa % PAGE_SIZE || ps->gpa >= GPA_LIMIT) {
		*colon = ':';		/* the caller quotes the argument whole */
		return -EINVAL;
	}
	ps->path = colon + 1;
	ps->measure = true;
	n = strlen(ps->path);
	if (n > sizeof(suffix) - 1 && !strcmp(ps->path + n - (sizeof(suffix) - 1), suffix)) {
		colon[1 + n - (sizeof(suffix) - 1)] = '\0';
		ps->measure = false;
	}
	return 0;
}

static int load_page_spec(struct page_spec *ps)
{
	if (cli_read_file(ps->path, &ps->buf, &ps->len))
		return -EIO;
	ps->pages = ps->len ? (ps->len + PAGE_SIZE - 1) / PAGE_SIZE : 1;
	if (ps->gpa + ps->pages * PAGE_SIZE > GPA_LIMIT) {
		cli_err("%s: %zu pages at GPA 0x%llx run past 2^52", ps->path, ps->pages,
			(unsigned long long)ps->gpa);
		return -EINVAL;
	}
	return 0;
}

/* Every page of every spec is added once: the module refuses a second PAGE.ADD. */
static int check_overlaps(const struct page_spec *ps, int n)
{
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			uint64_t a0 = ps[i].gpa, a1 = a0 + ps[i].pages * PAGE_SIZE;
			uint64_t b0 = ps[j].gpa, b1 = b0 + ps[j].pages * PAGE_SIZE;

			if (a0 < b1 && b0 < a1) {
				cli_err("measure: %s at GPA 0x%llx overlaps %s at GPA 0x%llx:"
					" a page can be added only once", ps[i].path,
					(unsigned long long)a0, ps[j].path, (unsigned long long)b0);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int hash_pages(struct mrtd_calc *calc, const struct page_spec *ps)
{
	uint8_t page[PAGE_SIZE];

	for (size_t i = 0; i < ps->pages; i++) {
		size_t off = i * PAGE_SIZE;
		size_t n = ps->len - off < PAGE_SIZE ? ps->len - off : PAGE_SIZE;

		memset(page, 0, sizeof(page));
		if (off < ps->len)
			memcpy(page, ps->buf + off, n);
		if (mrtd_calc_add_page(calc, ps->gpa + off, page, ps->measure))
			return -EINVAL;
	}
	return 0;
}

static int print_mrtd(const uint8_t mrtd[48], json_t *j)
{
	char hex[97];

	if (j) {
		json_object_set_new(j, "mrtd", cli_json_hex(mrtd, 48));
		return cli_json_print(j);
	}
	hex_encode(mrtd, 48, hex);
	printf("MRTD: %s\n", hex);
	return CLI_OK;
}

static int measure_pages(struct page_spec *ps, int n, bool json)
{
	struct mrtd_calc *calc = mrtd_calc_new();
	json_t *j = NULL, *arr = NULL;
	uint64_t bytes = 0;
	uint8_t mrtd[48];
	int ret = CLI_FAIL;

	if (!calc) {
		cli_err("measure: out of memory");
		return CLI_FAIL;
	}
	for (int i = 0; i < n; i++)
		if (load_page_spec(&ps[i]))
			goto out;
	if (check_overlaps(ps, n))
		goto out;
	if (json)
		arr = json_array();
	for (int i = 0; i < n; i++) {
		if (hash_pages(calc, &ps[i]))
			goto out;
		bytes += ps[i].pages * (MRTD_RECORD_SIZE + (ps[i].measure ? 16 * 384 : 0));
		if (json)
			json_array_append_new(arr, json_pack("{s:o, s:s, s:I, s:b}",
				"gpa", cli_json_hexnum(ps[i].gpa, 1), "file", ps[i].path,
				"pages", (json_int_t)ps[i].pages, "measured", ps[i].measure));
		else
			printf("GPA 0x%llx: %zu page%s from %s, %s\n",
			       (unsigned long long)ps[i].gpa, ps[i].pages,
			       ps[i].pages == 1 ? "" : "s", ps[i].path,
			       ps[i].measure ? "added and extended" : "added, not measured");
	}
	if (mrtd_calc_final(calc, mrtd))
		goto out;
	if (json)
		j = json_pack("{s:o, s:I}", "pages", arr, "bytes_hashed", (json_int_t)bytes);
	arr = NULL;
	ret = print_mrtd(mrtd, j);
out:
	json_decref(arr);
	mrtd_calc_free(calc);
	return ret;
}

static int measure_tdvf(const char *path, bool json)
{
	uint8_t *fw, mrtd[48];
	char err[256];
	size_t len;
	int ret;

	if (cli_read_file(path, &fw, &len))
		return CLI_FAIL;
	ret = mrtd_of_tdvf(fw, len, mrtd, err, sizeof(err));
	free(fw);
	if (ret) {
		cli_err("%s: not a measurable TDVF image: %s", path, err);
		return CLI_FAIL;
	}
	return print_mrtd(mrtd, json ? json_pack("{s:s}", "tdvf", path) : NULL);
}

static int measure_run(const struct cli_cmd *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tdvf", required_argument, NULL, 't' },
		{ "page", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct page_spec ps[MAX_PAGE_SPECS];
	const char *tdvf = NULL;
	bool json = false;
	int c, n = 0, ret;

	cli_getopt_reset();
	while ((c = cli_getopt(cmd, argc, argv, "h", longopts)) != -1) {
		switch (c) {
		case 't':
			tdvf = optarg;
			break;
		case 'p':
			if (n == MAX_PAGE_SPECS)
				return cli_usage_error(cmd, "measure: at most %d --page", MAX_PAGE_SPECS);
			memset(&ps[n], 0, sizeof(ps[n]));
			if (parse_page_spec(optarg, &ps[n]))
				return cli_usage_error(cmd, "measure: bad --page '%s': expected"
						       " GPA:FILE[:nomeasure] with a 4 KiB-aligned GPA"
						       " below 2^52", optarg);
			n++;
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
	if (optind != argc)
		return cli_usage_error(cmd, "measure: unexpected argument '%s'", argv[optind]);
	if (!tdvf == !n)
		return cli_usage_error(cmd, "measure: give either --tdvf or --page");
	if (tdvf)
		return measure_tdvf(tdvf, json);
	ret = measure_pages(ps, n, json);
	for (int i = 0; i < n; i++)
		free(ps[i].buf);
	return ret;
}

const struct cli_cmd cmd_measure = {
	.name = "measure",
	.summary = "compute a TD's MRTD offline, from TDVF firmware or raw pages",
	.run = measure_run,
	.usage = measure_usage,
};
