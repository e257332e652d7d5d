// SPDX-License-Identifier: MIT
/*
 * The target host's files beside sysfs: /proc/cpuinfo for the CPU that
 * select checks against, /proc/sys/kernel/osrelease for the image version
 * the kernel takes. Under a sysroot they are the emulator's (tdxup serve
 * --mount DIR serves DIR/proc too), so that no flow needs --cpu-fms.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdxup/seamldr_abi.h"
#include "tdxup/status.h"
#include "tdxup/sysroot.h"

/* The first processor's block is well inside this on any real host. */
#define CPUINFO_MAX	(64 * 1024)

static int set_path(char *out, const char *dir, const char *sub)
{
	size_t len = strlen(dir);
	int n;

	/* "/" and "DIR/" join without a double slash. */
	while (len > 0 && dir[len - 1] == '/')
		len--;
	n = snprintf(out, PATH_MAX, "%.*s%s", (int)len, dir, sub);
	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

int tdx_sysroot_init(struct tdx_sysroot *t, const char *sysroot, const char *sysfs)
{
	memset(t, 0, sizeof(*t));
	if (sysroot && sysfs)
		return -EINVAL;
	if (sysfs) {
		if (strlen(sysfs) >= sizeof(t->sysfs))
			return -ENAMETOOLONG;
		strcpy(t->sysfs, sysfs);
		strcpy(t->proc, "/proc");
		return 0;
	}
	if (!sysroot)
		sysroot = "/";
	if (strlen(sysroot) >= sizeof(t->dir))
		return -ENAMETOOLONG;
	strcpy(t->dir, sysroot);
	if (set_path(t->sysfs, sysroot, "/sys") || set_path(t->proc, sysroot, "/proc"))
		return -ENAMETOOLONG;
	return 0;
}

ssize_t tdx_read_small_file(const char *path, char *buf, size_t size)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	if (!size)
		return -EINVAL;
	/* Non-blocking open: a FIFO planted there must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
out:
	close(fd);
	return ret ? ret : (ssize_t)len;
}

/* "key<tabs>: value" -> value, when the line's key is key. */
static const char *field(const char *line, const char *key)
{
	size_t klen = strlen(key);

	if (strncmp(line, key, klen))
		return NULL;
	line += klen;
	line += strspn(line, " \t");
	if (*line != ':')
		return NULL;
	return line + 1 + strspn(line + 1, " \t");
}

static int parse_dec(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *out > max || (*end && *end != '\n'))
		return -EINVAL;
	return 0;
}

/* CPUID.1.EAX from the displayed family, model and stepping (SDM vol. 2, CPUID). */
static uint32_t encode_fms(unsigned long family, unsigned long model, unsigned long stepping)
{
	uint32_t eax = (uint32_t)stepping | (uint32_t)(model & 0xF) << 4 |
		       (uint32_t)(model >> 4) << 16;

	if (family <= 0xF)
		return eax | (uint32_t)family << 8;
	return eax | 0xFu << 8 | (uint32_t)(family - 0xF) << 20;
}

int cpuinfo_parse_fms(const char *text, uint32_t *fms)
{
	/* Set before use (seen[]), but GCC 12 -O3 cannot tell: zeroed for it. */
	unsigned long v[3] = { 0, 0, 0 };
	static const char *const keys[3] = { "cpu family", "model", "stepping" };
	static const unsigned long max[3] = { 0xF + 0xFF, 0xFF, 0xF };
	bool seen[3] = { false, false, false }, in_first = false;
	const char *line = text, *val;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (field(line, "processor")) {
			/* Only the first processor's block counts. */
			if (in_first)
				break;
			in_first = true;
		}
		for (int i = 0; i < 3; i++) {
			val = field(line, keys[i]);
			if (!val || seen[i])
				continue;
			if (parse_dec(val, max[i], &v[i]))
				return -EINVAL;
			seen[i] = true;
		}
	}
	if (!seen[0] || !seen[1] || !seen[2])
		return -ENODATA;
	*fms = encode_fms(v[0], v[1], v[2]);
	return 0;
}

int tdx_sysroot_cpu_fms(const struct tdx_sysroot *t, uint32_t *fms)
{
	char path[PATH_MAX];
	char *buf;
	ssize_t n;
	int ret;

	ret = set_path(path, t->proc, "/cpuinfo");
	if (ret)
		return ret;
	buf = malloc(CPUINFO_MAX);
	if (!buf)
		return -ENOMEM;
	n = tdx_read_small_file(path, buf, CPUINFO_MAX);
	ret = n < 0 ? (int)n : cpuinfo_parse_fms(buf, fms);
	free(buf);
	return ret;
}

ssize_t tdx_sysroot_kernel_release(const struct tdx_sysroot *t, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int ret;

	ret = set_path(path, t->proc, "/sys/kernel/osrelease");
	if (ret)
		return ret;
	n = tdx_read_small_file(path, buf, size);
	if (n < 0)
		return n;
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	/* One line of text; anything else is no release we could name. */
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] < 0x20 || buf[i] > 0x7e)
			return -EPROTO;
	return n ? n : -EPROTO;
}

int kernel_release_merged(const char *release)
{
	unsigned long major, minor;
	char *end;

	if (!release || !isdigit((unsigned char)release[0]))
		return -EINVAL;
	errno = 0;
	major = strtoul(release, &end, 10);
	if (errno || *end != '.' || !isdigit((unsigned char)end[1]))
		return -EINVAL;
	minor = strtoul(end + 1, &end, 10);
	if (errno)
		return -EINVAL;
	return major > 7 || (major == 7 && minor >= 2);
}

int kernel_release_image_format(const char *release, unsigned int *format)
{
	int merged = kernel_release_merged(release);

	if (merged < 0)
		return merged;
	/* 7.2 merged the tdx_image format; the postings before it took tdx_blob. */
	*format = merged ? TDX_IMAGE_VERSION_2 : TDX_BLOB_VERSION_1;
	return 0;
}

/* 1 if dir has an entry besides . and .., 0 if none, -errno. */
static int has_entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int ret = 0;

	if (!d)
		return -errno;
	while (!ret && (de = readdir(d)))
		ret = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return ret;
}

void tdx_sysroot_no_device_reason(const struct tdx_sysroot *t, char *buf, size_t size)
{
	int ret = has_entries(t->sysfs);
	bool real = !strcmp(t->dir, "/");

	if (ret == -ENOENT && t->dir[0] && !real && !has_entries(t->dir))
		snprintf(buf, size, "%s is empty: is the emulator mounted there?", t->dir);
	else if (ret == -ENOENT && t->dir[0] && !real)
		snprintf(buf, size, "no %s: %s is no sysroot (tdxup serve --mount DIR makes "
			 "one)", t->sysfs, t->dir);
	else if (ret == -ENOTCONN)
		snprintf(buf, size, "%s: %s: a dead FUSE mount, its server is gone (killed?); "
			 "the host's state cannot be read (`fusermount3 -u -z %s` clears it)",
			 t->sysfs, strerror(-ret), t->dir[0] ? t->dir : t->sysfs);
	else if (ret < 0)
		snprintf(buf, size, "%s: %s", t->sysfs, strerror(-ret));
	else if (!ret)
		snprintf(buf, size, "%s is empty: is the emulator mounted there?", t->sysfs);
	else if (real)
		snprintf(buf, size, "no /sys/%s: TDX is not enabled or the kernel lacks the "
			 "tdx_host driver", TDX_HOST_DIR);
	else if (t->dir[0])
		snprintf(buf, size, "no /sys/%s under %s: TDX is not enabled or the kernel "
			 "lacks the tdx_host driver", TDX_HOST_DIR, t->dir);
	else
		snprintf(buf, size, "no %s under %s: TDX is not enabled or the kernel lacks "
			 "the tdx_host driver", TDX_HOST_DIR, t->sysfs);
}
