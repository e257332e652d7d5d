// SPDX-License-Identifier: MIT
/*
 * The updater's reading of a host's sysfs attributes (`tdxup status`, and
 * where select and update start): tdx_sysfs_state_read over a sysfs_client
 * whose files are the fuzz input. The input is
 *
 *   byte 0..1   little-endian mask: which of the nodes below exist
 *   then        one segment per file node, in table order: a length byte
 *               L and L bytes of content, or 0xff and an errno byte (the
 *               read fails with that error; ENXIO is a lost module)
 *
 * Missing segments read as empty files.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tdxup/status.h"

#define DEV	"devices/faux/tdx_host"
#define FW	"class/firmware/" FW_NAME
#define FWL	"class/firmware/" FW_NAME_LEGACY

static const struct {
	const char *path;
	bool dir;
} nodes[] = {
	{ DEV, true },
	{ DEV "/version", false },
	{ DEV "/seamldr_version", false },
	{ DEV "/num_remaining_updates", false },
	{ DEV "/seamldr", true },
	{ DEV "/seamldr/version", false },
	{ DEV "/seamldr/num_remaining_updates", false },
	{ FW, true },
	{ FW "/status", false },
	{ FW "/error", false },
	{ FWL, true },
	{ FWL "/status", false },
	{ FWL "/error", false },
};

#define NR_NODES	(sizeof(nodes) / sizeof(nodes[0]))

struct fake_file {
	const uint8_t *data;
	size_t len;
	int err;
};

struct fake_sysfs {
	uint16_t exists;
	struct fake_file files[NR_NODES];
};

static int node_of(const char *path)
{
	for (size_t i = 0; i < NR_NODES; i++)
		if (!strcmp(path, nodes[i].path))
			return (int)i;
	return -1;
}

static ssize_t fake_read(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	const struct fake_sysfs *fs = c->priv;
	const struct fake_file *f;
	int i = node_of(path);
	size_t n;

	if (!size)
		return -EINVAL;
	if (i < 0 || !(fs->exists & 1u << i))
		return -ENOENT;
	if (nodes[i].dir)
		return -EISDIR;
	f = &fs->files[i];
	if (f->err)
		return -f->err;
	/* The contract: at most size - 1 bytes, NUL-terminated. */
	n = f->len < size - 1 ? f->len : size - 1;
	if (n)
		memcpy(buf, f->data, n);
	buf[n] = '\0';
	return (ssize_t)n;
}

static ssize_t fake_write(struct sysfs_client *c, const char *path, const void *buf,
			  size_t count, uint64_t off)
{
	abort();	/* reading the state must never write */
}

static int fake_stat(struct sysfs_client *c, const char *path, bool follow,
		     struct sysfs_client_stat *st)
{
	const struct fake_sysfs *fs = c->priv;
	int i = node_of(path);

	if (i < 0 || !(fs->exists & 1u << i))
		return -ENOENT;
	memset(st, 0, sizeof(*st));
	st->type = nodes[i].dir ? SYSFS_CLIENT_DIR : SYSFS_CLIENT_FILE;
	st->mode = nodes[i].dir ? 0755 : 0444;
	st->size = nodes[i].dir ? 0 : 4096;
	return 0;
}

static ssize_t fake_readlink(struct sysfs_client *c, const char *path, char *buf, size_t size)
{
	return -EINVAL;
}

static void fake_decode(struct fake_sysfs *fs, const uint8_t *data, size_t size)
{
	size_t pos = 2;

	memset(fs, 0, sizeof(*fs));
	if (size < 2)
		return;
	fs->exists = (uint16_t)(data[0] | data[1] << 8);
	for (size_t i = 0; i < NR_NODES && pos < size; i++) {
		struct fake_file *f = &fs->files[i];
		size_t len = data[pos++];

		if (nodes[i].dir)
			continue;
		if (len == 0xff) {
			f->err = pos < size ? data[pos++] % 133 + 1 : EIO;
			continue;
		}
		if (len > size - pos)
			len = size - pos;
		f->data = data + pos;
		f->len = len;
		pos += len;
	}
}

static void check_str(const char *s, size_t size)
{
	if (strnlen(s, size) == size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sysfs_client c = { 0 };
	struct tdx_sysfs_state st;
	struct tdx_version v;
	struct fake_sysfs fs;
	uint32_t n;
	int ret;

	fake_decode(&fs, data, size);
	c.read = fake_read;
	c.write = fake_write;
	c.stat = fake_stat;
	c.readlink = fake_readlink;
	c.priv = &fs;
	sysfs_client_set_default_clock(&c);

	ret = tdx_sysfs_state_read(&c, &st);
	if (ret && ret != -ENODEV)
		abort();
	check_str(st.upload_status, sizeof(st.upload_status));
	check_str(st.last_error, sizeof(st.last_error));
	check_str(st.reason, sizeof(st.reason));
	/* Available exactly when no reason is given. */
	if (st.update_available == !!st.reason[0])
		abort();
	if (st.update_available && (st.version_err || !st.fw_name || !st.remaining))
		abort();
	tdx_read_module_version(&c, &v);
	tdx_read_remaining(&c, &n);
	return 0;
}
