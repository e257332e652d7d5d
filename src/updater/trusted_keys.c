// SPDX-License-Identifier: MIT
/* The target's declared signing keys (include/tdxup/trusted_keys.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdxup/trusted_keys.h"

#define KEY_FILE_MAX	(64 * 1024)

int trusted_keys_dir(const char *sysroot, char *out, size_t size)
{
	size_t len = sysroot ? strlen(sysroot) : 0;
	int n;

	while (len > 0 && sysroot[len - 1] == '/')
		len--;
	n = snprintf(out, size, "%.*s/%s", (int)len, sysroot ? sysroot : "", TRUSTED_KEYS_DIR);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_hash(const char *s, size_t len, uint8_t out[48])
{
	if (len != 96)
		return -EINVAL;
	for (size_t i = 0; i < 48; i++) {
		int hi = hexval((unsigned char)s[2 * i]), lo = hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Whole file, regular only, bounded; never blocks on a FIFO. Read to EOF,
 * not to st_size: a file served like procfs's says size 0.
 */
static int slurp(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	size_t used = 0;
	struct stat st;
	ssize_t n;
	int ret;

	if (fd < 0)
		return -errno;
	*buf = NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	*buf = malloc(KEY_FILE_MAX + 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (used < KEY_FILE_MAX) {
		n = read(fd, *buf + used, KEY_FILE_MAX - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (!n)
			break;
		used += (size_t)n;
	}
	if (used == KEY_FILE_MAX) {
		ret = -EFBIG;
		goto out;
	}
	(*buf)[used] = '\0';
	*len = used;
	ret = 0;
out:
	if (ret) {
		free(*buf);
		*buf = NULL;
	}
	close(fd);
	return ret;
}

int trusted_keys_parse(const char *name, char *text, size_t len, struct trusted_keys *tk,
		       char *err, size_t errlen)
{
	char *line, *save = NULL;
	unsigned int lineno = 0;

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: binary data, not key hashes", name);
		return -EINVAL;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t l = strlen(line);

		lineno++;
		while (l && isspace((unsigned char)line[l - 1]))
			line[--l] = '\0';
		while (isspace((unsigned char)*line))
			line++, l--;
		if (!l || line[0] == '#')
			continue;
		if (tk->nr >= TRUSTED_KEYS_MAX) {
			snprintf(err, errlen, "%s:%u: more than %d trusted keys", name, lineno,
				 TRUSTED_KEYS_MAX);
			return -EINVAL;
		}
		if (parse_hash(line, l, tk->hash[tk->nr])) {
			snprintf(err, errlen, "%s:%u: not a key hash (96 hex digits: the SHA-384 "
				 "of the sigstruct modulus)", name, lineno);
			return -EINVAL;
		}
		tk->nr++;
	}
	return 0;
}

static int load_file(const char *path, struct trusted_keys *tk, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	int ret = slurp(path, &buf, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path, ret == -EINVAL ? "not a regular file" :
			 strerror(-ret));
		return -EINVAL;
	}
	ret = trusted_keys_parse(path, buf, len, tk, err, errlen);
	free(buf);
	return ret;
}

static int skip_name(const char *name)
{
	size_t l = strlen(name);

	return name[0] == '.' || (l && name[l - 1] == '~');
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int trusted_keys_load(const char *dir, struct trusted_keys *tk, char *err, size_t errlen)
{
	struct dirent **ents;
	char path[4096];
	int n, ret = 0;

	n = scandir(dir, &ents, NULL, by_name);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!ret && !skip_name(ents[i]->d_name)) {
			if (snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name) >=
			    (int)sizeof(path)) {
				snprintf(err, errlen, "%s: name too long", dir);
				ret = -EINVAL;
			} else {
				ret = load_file(path, tk, err, errlen);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}
