// SPDX-License-Identifier: MIT
/*
 * `tdxup serve`: the procfs files of the sysroot it mounts, so that the
 * updater learns the CPU and the kernel from DIR as it would from / on a
 * real host. Only what the updater and an operator read is there:
 *  - DIR/proc/cpuinfo: one block per emulated CPU, in the x86 format
 *    (arch/x86/kernel/cpu/proc.c) cut down to the identification lines,
 *    the topology and a flags line with tdx_host_platform (which a TDX
 *    host kernel shows) (inferred: the flags beyond it are a plausible
 *    Sapphire Rapids subset, not a capture);
 *  - DIR/proc/sys/kernel/osrelease: the profile's release
 *    (kernel_profile_release: "7.1.0-tdx-v8", "7.2.0", "7.2.0-tdx-detect");
 *  - DIR/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384: the hash of the
 *    key the emulated P-SEAMLDR accepts, the declaration root would write
 *    on a real host for its platform's key (root's, 0444, as the mount
 *    shows every file), so the updater trusts the emulator's images here
 *    and nowhere else.
 */
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/serve.h"
#include "emu/topology.h"
#include "tdxup/sigstruct.h"

#define CPUINFO_FLAGS \
	"fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 " \
	"clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm " \
	"constant_tsc arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid " \
	"aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma " \
	"cx16 xtpr pdcm pcid dca sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer " \
	"aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb cat_l3 " \
	"cat_l2 cdp_l3 tdx_host_platform invpcid_single intel_ppin cdp_l2 ssbd mba ibrs " \
	"ibpb stibp ibrs_enhanced tpr_shadow flexpriority ept vpid ept_ad fsgsbase " \
	"tsc_adjust bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed " \
	"adx smap avx512ifma clflushopt clwb intel_pt avx512cd sha_ni avx512bw avx512vl " \
	"xsaveopt xsavec xgetbv1 xsaves split_lock_detect avx_vnni avx512_bf16 " \
	"wbnoinvd dtherm ida arat pln pts hfi vnmi avx512vbmi umip pku ospke waitpkg " \
	"avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg tme " \
	"avx512_vpopcntdq la57 rdpid bus_lock_detect cldemote movdiri movdir64b enqcmd " \
	"fsrm md_clear serialize tsxldtrk pconfig arch_lbr ibt amx_bf16 avx512_fp16 " \
	"amx_tile amx_int8 flush_l1d arch_capabilities"

/* Family, model and stepping as Linux shows them (arch/x86/lib/cpu.c). */
static void decode_fms(uint32_t eax, unsigned int *family, unsigned int *model,
		       unsigned int *stepping)
{
	*family = (eax >> 8) & 0xF;
	*model = (eax >> 4) & 0xF;
	*stepping = eax & 0xF;
	if (*family == 0xF)
		*family += (eax >> 20) & 0xFF;
	if (*family >= 6)
		*model += ((eax >> 16) & 0xF) << 4;
}

static char *cpuinfo_text(const struct tdx_host_config *c)
{
	unsigned int fam, mod, step, n = c->nr_cpus, per_pkg[256] = { 0 }, first[256] = { 0 };
	size_t size = (size_t)n * (sizeof(CPUINFO_FLAGS) + 512) + 1, used = 0;
	char *buf = malloc(size);

	if (!buf)
		return NULL;
	decode_fms(c->cpu_fms, &fam, &mod, &step);
	/* Packages take consecutive CPUs, as the board splits them (topology.h). */
	if (c->nr_packages > 256 || c->nr_packages > n) {
		free(buf);
		return NULL;
	}
	for (unsigned int i = n; i-- > 0;) {
		unsigned int pkg = topology_lp_package(i, n, c->nr_packages);

		per_pkg[pkg]++;
		first[pkg] = i;
	}
	for (unsigned int i = 0; i < n; i++) {
		unsigned int pkg = topology_lp_package(i, n, c->nr_packages);
		unsigned int in_pkg = per_pkg[pkg];

		used += (size_t)snprintf(buf + used, size - used,
			"processor\t: %u\n"
			"vendor_id\t: GenuineIntel\n"
			"cpu family\t: %u\n"
			"model\t\t: %u\n"
			"model name\t: Intel(R) Xeon(R) CPU (tdxup emulated host)\n"
			"stepping\t: %u\n"
			"physical id\t: %u\n"
			"siblings\t: %u\n"
			"core id\t\t: %u\n"
			"cpu cores\t: %u\n"
			"apicid\t\t: %u\n"
			"flags\t\t: " CPUINFO_FLAGS "\n"
			"\n",
			i, fam, mod, step, pkg, in_pkg, i - first[pkg], in_pkg, i);
	}
	return buf;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void serve_state_remove(struct serve *s)
{
	if (s->state[0])
		nftw(s->state, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	s->state[0] = '\0';
}

/* A real directory for DIR/run: the lease's files need real flocks. */
static int make_state(struct serve *s)
{
	snprintf(s->state, sizeof(s->state), "/tmp/tdxup-serve-XXXXXX");
	if (!mkdtemp(s->state)) {
		s->state[0] = '\0';
		return -errno;
	}
	/* Others' VMMs and updaters take leases too: the sysroot's run/ is 0755. */
	if (chmod(s->state, 0755))
		return -errno;
	snprintf(s->run_link, sizeof(s->run_link), "%s/run", s->state);
	if (mkdir(s->run_link, 0755))
		return -errno;
	snprintf(s->lease_dir, sizeof(s->lease_dir), "%s/tdxup/lease", s->run_link);
	return 0;
}

int serve_proc_files(struct serve *s, const struct tdx_host_config *c, bool leases)
{
	const char *release = kernel_profile_release(c->profile);
	int ret;

	s->cpuinfo = cpuinfo_text(c);
	if (!s->cpuinfo)
		return -ENOMEM;
	snprintf(s->osrelease, sizeof(s->osrelease), "%s\n", release);
	s->proc_files[0] = (struct sysfs_fuse_file){ "/proc/cpuinfo", s->cpuinfo, NULL };
	s->proc_files[1] = (struct sysfs_fuse_file){ "/proc/sys/kernel/osrelease",
						     s->osrelease, NULL };
	cli_hex_line(s->trust, sizeof(s->trust), tdxup_test_key_hash(), 48);
	s->proc_files[2] = (struct sysfs_fuse_file){
		"/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384", s->trust, NULL };
	ret = make_state(s);
	if (ret)
		return ret;
	s->proc_files[3] = (struct sysfs_fuse_file){ "/run", NULL, s->run_link };
	s->nr_files = 4;
	if (leases)
		s->proc_files[s->nr_files++] = (struct sysfs_fuse_file){
			"/etc/tdxup/lease.d/tdxup-emu",
			"# tdxup serve's workload takes build leases (docs/lease.md)\n", NULL };
	return 0;
}
