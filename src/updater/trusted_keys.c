// SPDX-License-Identifier: MIT
/* The target's declared signing keys (include/tdxup/trusted_keys.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tdxup/fsafe.h"
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
 * Whole file, bounded. Read to EOF, not to st_size: a file served like
 * procfs's says size 0.
 */
static int slurp(int fd, char **buf, size_t *len)
{
	size_t used = 0;
	ssize_t n;

	*buf = malloc(KEY_FILE_MAX + 1);
	if (!*buf)
		return -ENOMEM;
	while (used < KEY_FILE_MAX) {
		n = read(fd, *buf + used, KEY_FILE_MAX - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (!n)
			break;
		used += (size_t)n;
	}
	if (used == KEY_FILE_MAX) {
		errno = EFBIG;
		goto fail;
	}
	(*buf)[used] = '\0';
	*len = used;
	return 0;
fail:
	free(*buf);
	*buf = NULL;
	return -errno;
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

/* One key list, opened by fsafe's rules: regular, ours, not writable by others, no symlink. */
static int load_file(int dfd, const char *dir, const char *name, struct trusted_keys *tk,
		     char *err, size_t errlen)
{
	struct fsafe_err fe;
	char *buf = NULL, path[PATH_MAX];
	size_t len = 0;
	int fd, ret;

	fd = fsafe_open_trusted(dfd, dir, name, &fe);
	if (fd < 0) {
		snprintf(err, errlen, "%s", fe.msg);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ret = slurp(fd, &buf, &len);
	close(fd);
	if (ret) {
		snprintf(err, errlen, "%s: %s", path, ret == -EFBIG ? "too large for a key list" :
			 strerror(-ret));
		return -EINVAL;
	}
	ret = trusted_keys_parse(path, buf, len, tk, err, errlen);
	free(buf);
	return ret;
}

/*
 * Only "NAME.sha384" counts: the packaged README, dpkg's .dpkg-old and
 * .dpkg-dist copies (which may hold a key the administrator removed),
 * editors' "~" backups and dot-files never end in the suffix.
 */
bool trusted_keys_name(const char *name)
{
	size_t l = strlen(name), s = strlen(TRUSTED_KEYS_SUFFIX);

	return name[0] != '.' && l > s && !strcmp(name + l - s, TRUSTED_KEYS_SUFFIX);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int want_entry(const struct dirent *d)
{
	return trusted_keys_name(d->d_name);
}

/*
 * The directory, then its key lists in name order. The directory and every
 * parent are checked first (fsafe_check_dir), then opened O_NOFOLLOW: with
 * no parent writable by anyone else, nobody can swap it in between.
 */
int trusted_keys_load(const char *dir, struct trusted_keys *tk, char *err, size_t errlen)
{
	struct dirent **ents = NULL;
	struct fsafe_err fe;
	int dfd, n, ret;

	ret = fsafe_check_dir(dir, 0, &fe);
	if (ret == -ENOENT)
		return 0;	/* nothing declared */
	if (ret) {
		snprintf(err, errlen, "%s", fe.msg);
		return -EINVAL;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -EINVAL;
	}
	n = scandirat(dfd, ".", &ents, want_entry, by_name);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		close(dfd);
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		if (!ret)
			ret = load_file(dfd, dir, ents[i]->d_name, tk, err, errlen);
		free(ents[i]);
	}
	free(ents);
	close(dfd);
	return ret;
}
