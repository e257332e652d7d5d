// SPDX-License-Identifier: MIT
/*
 * bench/update: stop-the-world time of one module update (no TD build in
 * flight) at 1, 2, 8, 64 and 256 emulated CPUs with the threads driver;
 * the median of repeated runs. P-SEAMLDR's image verification (RSA-3072
 * signature + SHA-384 seamhash, done once by the last LP) is measured on
 * its own so that the per-CPU cost can be read without it.
 *
 * Output, one line per CPU count: cpus=N stw_us=X per_cpu_us=Y
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "emu/host.h"
#include "emu/module_build.h"
#include "tdxup/seamldr_abi.h"
#include "tdxup/sigstruct.h"

#define RUNS	11

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * What the last LP's checks cost: signature and seamhash. The first round
 * is a warm-up: OpenSSL loads its providers on first use, which no update
 * pays (the host has verified its boot image by then).
 */
static double verify_us(const uint8_t *img, size_t len)
{
	uint32_t off = le32(img + TDX_BLOB_V1_OFFSET_OF_MODULE);
	uint8_t md[48];
	double t0 = 0;

	for (int i = 0; i <= RUNS; i++) {
		if (i == 1)
			t0 = now_us();
		if (sigstruct_verify_signature(img + TDX_BLOB_HEADER_SIZE))
			return -1;
		EVP_Digest(img + off, len - off, md, NULL, EVP_sha384(), NULL);
	}
	return (now_us() - t0) / RUNS;
}

/*
 * per_cpu_us leaves out the verification: it is paid once per update by
 * one LP, whatever the CPU count, and would swamp small counts.
 */
static int bench_cpus(unsigned int cpus, const uint8_t *img, size_t len, double verify)
{
	double per_cpu;
	struct tdx_host_config cfg;
	struct tdx_host_stats st;
	uint64_t stw[RUNS];
	struct tdx_host *h;
	int err;

	tdx_host_config_init(&cfg);
	cfg.nr_cpus = cpus;
	cfg.nr_packages = cpus >= 2 ? 2 : 1;
	cfg.boot_module = "1.5.24";
	cfg.num_remaining_updates = RUNS + 1;
	cfg.driver = LOCKSTEP_THREADS;
	h = tdx_host_create(&cfg, &err);
	if (!h) {
		fprintf(stderr, "update: cannot create a %u-CPU host (%d)\n", cpus, err);
		return 1;
	}
	for (int i = 0; i < RUNS; i++) {
		err = tdx_host_install_module(h, img, len);
		if (err) {
			fprintf(stderr, "update: run %d at %u CPUs failed (%d)\n", i, cpus, err);
			tdx_host_destroy(h);
			return 1;
		}
		tdx_host_get_stats(h, &st);
		stw[i] = st.last_stw_us;
	}
	tdx_host_destroy(h);
	qsort(stw, RUNS, sizeof(stw[0]), cmp_u64);
	per_cpu = ((double)stw[RUNS / 2] - verify) / cpus;
	printf("cpus=%u stw_us=%llu per_cpu_us=%.1f\n", cpus, (unsigned long long)stw[RUNS / 2],
	       per_cpu > 0 ? per_cpu : 0);
	return 0;
}

int main(void)
{
	static const unsigned int counts[] = { 1, 2, 8, 64, 256 };
	struct module_image_opts opts = { .format = 0x100 };
	double verify;
	uint8_t *img;
	size_t len;
	int ret = 0;

	if (module_image_build(module_build_find("1.5.25"), &opts, &img, &len)) {
		fprintf(stderr, "update: cannot build the image\n");
		return 1;
	}
	verify = verify_us(img, len);
	if (verify < 0) {
		fprintf(stderr, "update: the image does not verify\n");
		free(img);
		return 1;
	}
	printf("image verification (signature + seamhash, once per update, not in per_cpu_us): "
	       "%.1f us\n", verify);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]) && !ret; i++)
		ret = bench_cpus(counts[i], img, len, verify);
	free(img);
	return ret;
}
