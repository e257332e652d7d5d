// SPDX-License-Identifier: MIT
/*
 * MRTD throughput of a TD build through the full SEAMCALL path, against raw
 * SHA-384 of the same bytes.
 *
 * What is timed, per run:
 *  - raw: one EVP SHA-384 call over the record stream the module hashes
 *    (per page one 128-byte PAGE.ADD record, then 16 x (128-byte EXTEND
 *    record + 256 data bytes): 6272 bytes, 49 blocks), held contiguously in
 *    memory that was written before the first run and is re-read each run.
 *  - granular: the same bytes from the same buffer, one EVP update per record
 *    and per 256-byte chunk (the module's hashing granularity).
 *  - mrtd: per page the SEAMCALLs KVM makes on a booted emulated module,
 *    TDH.MEM.PAGE.ADD and then 16 TDH.MR.EXTEND, plus the final
 *    TDH.MR.FINALIZE. This includes everything a leaf does besides hashing:
 *    SEAMCALL entry (LP flags, fw_lock), dispatch, TD lookup and op_state
 *    gating, the SEPT walk, the 4 KiB copy of PAGE.ADD, and the hash state
 *    unpacked from and packed into TDCS bytes on every leaf.
 * Not timed: TD creation, SEPT tables, page allocation and the writing of
 * source content and targets (so first-touch page faults stay out; both the
 * stream and the pages have been written once before their timed read).
 * The MRTD must equal the raw digest, or the run fails.
 *
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time:
 * everything timed is single-threaded and CPU-bound, and on a shared
 * machine wall time mostly measured how often the run was preempted (ratios
 * ranged 0.70-1.46 between runs of the same build; with CPU time they
 * agree to about 0.02).
 *
 * Usage: measure [PAGES [RUNS]]   (default 2048 pages, 5 runs; median taken)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "helpers/fw_driver.h"
#include "tdxup/measure.h"
#include "emu/physmem.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/status_name.h"
#include "tdxup/tdx_abi.h"

#define GPA_BASE	0x200000ULL
#define CHUNKS		(PAGE_SIZE / MR_EXTEND_CHUNK)
#define BYTES_PER_PAGE	(MRTD_RECORD_SIZE + CHUNKS * (MRTD_RECORD_SIZE + MR_EXTEND_CHUNK))
#define MAX_RUNS	64

struct bench {
	struct seam_platform *p;
	size_t pages;
	uint8_t *content;		/* pages x 4 KiB of TD memory */
	uint8_t *stream;		/* the exact bytes the module hashes */
	uint8_t sha[48];		/* EVP digest of stream */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int die(const char *what, uint64_t status)
{
	char s[TDX_STATUS_STR_LEN];

	fprintf(stderr, "measure: %s: %s\n", what, tdx_status_str(status, s, sizeof(s)));
	return 1;
}

static void fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed | 1;

	for (size_t i = 0; i + 8 <= len; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		put_le64(buf + i, x);
	}
}

/* The module's byte stream, built with the offline tool's record builders. */
static void build_stream(struct bench *b)
{
	uint8_t *s = b->stream;

	for (size_t i = 0; i < b->pages; i++) {
		uint64_t gpa = GPA_BASE + i * PAGE_SIZE;

		mrtd_record_page_add(s, gpa);
		s += MRTD_RECORD_SIZE;
		for (size_t c = 0; c < CHUNKS; c++) {
			mrtd_record_extend(s, gpa + c * MR_EXTEND_CHUNK);
			memcpy(s + MRTD_RECORD_SIZE,
			       b->content + i * PAGE_SIZE + c * MR_EXTEND_CHUNK, MR_EXTEND_CHUNK);
			s += MRTD_RECORD_SIZE + MR_EXTEND_CHUNK;
		}
	}
}

/*
 * The same bytes fed to EVP the way the module must take them, one update
 * per record and per 256-byte chunk: shows how much of the gap is the
 * hashing granularity rather than the SEAMCALL path.
 */
static double run_sha_granular(struct bench *b)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	const uint8_t *s = b->stream;
	uint8_t out[48];
	double t = now();

	EVP_DigestInit_ex(md, EVP_sha384(), NULL);
	for (size_t i = 0; i < b->pages; i++) {
		EVP_DigestUpdate(md, s, MRTD_RECORD_SIZE);
		s += MRTD_RECORD_SIZE;
		for (size_t c = 0; c < CHUNKS; c++) {
			EVP_DigestUpdate(md, s, MRTD_RECORD_SIZE);
			EVP_DigestUpdate(md, s + MRTD_RECORD_SIZE, MR_EXTEND_CHUNK);
			s += MRTD_RECORD_SIZE + MR_EXTEND_CHUNK;
		}
	}
	EVP_DigestFinal_ex(md, out, NULL);
	t = now() - t;
	EVP_MD_CTX_free(md);
	return t;
}

static double run_sha(struct bench *b)
{
	unsigned int len = 0;
	double t = now();

	EVP_Digest(b->stream, b->pages * BYTES_PER_PAGE, b->sha, &len, EVP_sha384(), NULL);
	return now() - t;
}

/*
 * Everything but the measured leaves happens before the clock starts: TD
 * creation, the SEPT tables, the target and source pages and their content.
 */
static int prepare_td(struct bench *b, struct fwd_td *td, uint16_t hkid,
		      uint64_t *target, uint64_t *src)
{
	struct physmem *pm = seam_physmem(b->p);
	uint64_t ret;

	ret = fwd_td_create(b->p, td, hkid);
	if (!ret)
		ret = fwd_td_init(b->p, td);
	if (!ret)
		ret = fwd_td_vcpu(b->p, td, GPA_BASE);
	for (size_t i = 0; !ret && i < b->pages; i += 512)
		ret = fwd_td_sept(b->p, td, GPA_BASE + i * PAGE_SIZE);
	if (ret)
		return die("TD setup", ret);
	if (physmem_alloc_n(pm, b->pages, target) || physmem_alloc_n(pm, b->pages, src))
		return die("page allocation", FWD_ENOMEM);
	for (size_t i = 0; i < b->pages; i++) {
		memcpy(physmem_map(pm, src[i], PAGE_SIZE), b->content + i * PAGE_SIZE, PAGE_SIZE);
		/*
		 * physmem backs frames lazily; touch the targets now so the host
		 * kernel's first-touch page faults (an emulator artefact: real
		 * physical memory exists already) stay out of the timed loop.
		 */
		memset(physmem_map(pm, target[i], PAGE_SIZE), 0, PAGE_SIZE);
	}
	return 0;
}

static int run_mrtd(struct bench *b, uint16_t hkid, double *secs)
{
	uint64_t *target = calloc(b->pages, sizeof(*target));
	uint64_t *src = calloc(b->pages, sizeof(*src));
	uint8_t mrtd[48];
	struct fwd_td td;
	uint64_t ret = 0;
	double t;
	int err = 1;

	if (!target || !src || prepare_td(b, &td, hkid, target, src))
		goto out;
	t = now();
	for (size_t i = 0; !ret && i < b->pages; i++) {
		uint64_t gpa = GPA_BASE + i * PAGE_SIZE;
		struct seam_args a = { .rcx = gpa, .rdx = td.tdr, .r8 = target[i], .r9 = src[i] };

		ret = seamcall(b->p, 0, tdx_leaf(TDH_MEM_PAGE_ADD, 0), &a);
		for (size_t c = 0; !ret && c < CHUNKS; c++) {
			a = (struct seam_args){ .rcx = gpa + c * MR_EXTEND_CHUNK, .rdx = td.tdr };
			ret = seamcall(b->p, 0, tdx_leaf(TDH_MR_EXTEND, 0), &a);
		}
	}
	if (!ret)
		ret = fwd_td_finalize(b->p, &td);
	*secs = now() - t;
	if (ret) {
		die("TD build", ret);
		goto out;
	}
	ret = fwd_td_mrtd(b->p, &td, mrtd);
	if (ret) {
		die("TDH.MNG.RD", ret);
		goto out;
	}
	if (memcmp(mrtd, b->sha, sizeof(mrtd))) {
		fprintf(stderr, "measure: MRTD differs from SHA-384 of the record stream\n");
		goto out;
	}
	physmem_free_n(seam_physmem(b->p), b->pages, src);
	err = 0;
out:
	free(target);
	free(src);
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static struct seam_platform *boot(size_t pages, int runs)
{
	struct seam_platform_config cfg;
	struct seam_platform *p;
	uint64_t ret;

	seam_platform_config_init(&cfg);
	/* TD pages and sources of every run, plus room for the module and SEPT. */
	cfg.physmem_frames = 2 * pages * (uint64_t)(runs + 1) + 4096;
	p = seam_platform_create(&cfg);
	if (!p)
		return NULL;
	ret = fwd_boot(p, module_build_find("1.5.25"));
	if (ret) {
		die("boot", ret);
		seam_platform_destroy(p);
		return NULL;
	}
	return p;
}

int main(int argc, char **argv)
{
	double t_sha[MAX_RUNS], t_gran[MAX_RUNS], t_mrtd[MAX_RUNS];
	double sha_mbps, gran_mbps, mrtd_mbps, mb;
	struct bench b = { .pages = argc > 1 ? strtoul(argv[1], NULL, 0) : 2048 };
	int runs = argc > 2 ? atoi(argv[2]) : 5, ret = 1;

	if (!b.pages || b.pages > 65536 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: measure [PAGES (1..65536) [RUNS (1..%d)]]\n", MAX_RUNS);
		return 2;
	}
	b.content = malloc(b.pages * PAGE_SIZE);
	b.stream = malloc(b.pages * BYTES_PER_PAGE);
	b.p = boot(b.pages, runs);
	if (!b.content || !b.stream || !b.p)
		goto out;
	fill(b.content, b.pages * PAGE_SIZE, 0x5eed);
	build_stream(&b);

	/* One warm-up of each, then alternate so both see the same machine state. */
	run_sha(&b);
	if (run_mrtd(&b, 2, &t_mrtd[0]))
		goto out;
	for (int r = 0; r < runs; r++) {
		t_sha[r] = run_sha(&b);
		t_gran[r] = run_sha_granular(&b);
		if (run_mrtd(&b, (uint16_t)(r + 3), &t_mrtd[r]))
			goto out;
	}
	mb = (double)(b.pages * BYTES_PER_PAGE) / 1e6;
	sha_mbps = mb / median(t_sha, runs);
	gran_mbps = mb / median(t_gran, runs);
	mrtd_mbps = mb / median(t_mrtd, runs);
	printf("pages per run: %zu (%u hashed bytes each, %.2f MB per run), runs: %d, median\n",
	       b.pages, (unsigned int)BYTES_PER_PAGE, mb, runs);
	printf("raw SHA-384 (EVP, one call over the record stream): %8.1f MB/s\n", sha_mbps);
	printf("SHA-384 (EVP, one update per record/chunk):         %8.1f MB/s (%.3f of raw)\n",
	       gran_mbps, gran_mbps / sha_mbps);
	printf("MRTD via seamcall (PAGE.ADD + 16 x MR.EXTEND/page): %8.1f MB/s, %.2f us/page\n",
	       mrtd_mbps, 1e6 * median(t_mrtd, runs) / (double)b.pages);
	printf("MRTD equals SHA-384 of the record stream: yes\n");
	printf("sha384_mbps=%.1f mrtd_mbps=%.1f ratio=%.3f\n", sha_mbps, mrtd_mbps,
	       mrtd_mbps / sha_mbps);
	ret = 0;
out:
	seam_platform_destroy(b.p);
	free(b.content);
	free(b.stream);
	return ret;
}
