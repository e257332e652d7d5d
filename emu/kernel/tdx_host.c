// SPDX-License-Identifier: MIT
/*
 * The tdx_host faux device (drivers/virt/coco/tdx-host/tdx-host.c):
 * /sys/devices/faux/tdx_host/{version, seamldr_version,
 * num_remaining_updates} and the fw_upload device "tdx_module" whose write
 * op runs the whole update (kernel.md 8, 10).
 */
#include <errno.h>
#include <stdio.h>

#include "kernel/kernel.h"

#define TDX_HOST_DEV_PATH	"devices/faux/tdx_host"
#define TDX_VERSION_FMT		"%u.%u.%02u\n"

static ssize_t version_show(void *priv, char *buf)
{
	struct tdx_host *h = priv;
	struct tdx_sys_info si;

	/* NULL sysinfo: never initialised, or lost in a failed update. */
	if (!tdx_get_sysinfo(h, &si))
		return -ENXIO;
	return snprintf(buf, SYSFS_PAGE_SIZE, TDX_VERSION_FMT, si.major, si.minor, si.update);
}

/* Each read is a live, serialised SEAMLDR.INFO: hence admin-only (0400). */
static ssize_t seamldr_version_show(void *priv, char *buf)
{
	struct seamldr_info info;
	int ret = seamldr_get_info(priv, &info);

	if (ret)
		return ret;
	return snprintf(buf, SYSFS_PAGE_SIZE, TDX_VERSION_FMT, info.major_version,
			info.minor_version, info.update_version);
}

static ssize_t num_remaining_updates_show(void *priv, char *buf)
{
	struct seamldr_info info;
	int ret = seamldr_get_info(priv, &info);

	if (ret)
		return ret;
	return snprintf(buf, SYSFS_PAGE_SIZE, "%u\n", info.num_remaining_updates);
}

static const struct sysfs_attr_ops version_ops = { .show = version_show };
static const struct sysfs_attr_ops seamldr_version_ops = { .show = seamldr_version_show };
static const struct sysfs_attr_ops num_remaining_updates_ops = {
	.show = num_remaining_updates_show,
};

/* ---- fw_upload ops --------------------------------------------------- */

/* No checks since v5: neither remaining updates nor all CPUs online. */
static enum fw_upload_err tdx_fw_prepare(struct fw_upload *fwl, const uint8_t *data,
					 uint32_t size)
{
	return FW_UPLOAD_ERR_NONE;
}

static enum fw_upload_err tdx_fw_write(struct fw_upload *fwl, const uint8_t *data,
				       uint32_t offset, uint32_t size, uint32_t *written)
{
	struct tdx_host *h = fwl->dd_handle;
	int ret;

	/* The first call runs the whole update; it cannot be split. */
	if (offset) {
		*written = size;
		return FW_UPLOAD_ERR_NONE;
	}
	ret = seamldr_install_module(h, data, size);
	if (!ret) {
		*written = size;
		return FW_UPLOAD_ERR_NONE;
	}
	if (ret == -EBUSY && h->profile->busy_is_device_busy)
		return FW_UPLOAD_ERR_BUSY;
	return FW_UPLOAD_ERR_FW_INVALID;
}

static enum fw_upload_err tdx_fw_poll_complete(struct fw_upload *fwl)
{
	return FW_UPLOAD_ERR_NONE;
}

/* Empty since v4: the update is one uncancellable stop_machine operation. */
static void tdx_fw_cancel(struct fw_upload *fwl)
{
}

static const struct fw_upload_ops tdx_fw_ops = {
	.prepare = tdx_fw_prepare,
	.write = tdx_fw_write,
	.poll_complete = tdx_fw_poll_complete,
	.cancel = tdx_fw_cancel,
};

/* ---- probe ----------------------------------------------------------- */

/* v8 18/21 and 19/21: TD_PRESERVING and no SEAMRET erratum. */
static bool runtime_update_visible(struct tdx_host *h)
{
	return tdx_supports_runtime_update(h) && !h->cfg.seamret_erratum;
}

static int add_seamldr_attrs(struct tdx_host *h, struct sysfs_node *dir, const char *ver_name)
{
	if (!sysfs_create_file(dir, ver_name, 0400, &seamldr_version_ops, h, false) ||
	    !sysfs_create_file(dir, "num_remaining_updates", 0400, &num_remaining_updates_ops,
			       h, false))
		return -ENOMEM;
	return 0;
}

int tdx_host_device_init(struct tdx_host *h)
{
	struct sysfs_node *dev = sysfs_mkdir(sysfs_root(h->sysfs), TDX_HOST_DEV_PATH);
	int ret;

	if (!dev)
		return -ENOMEM;
	h->tdx_host_dev = dev;
	if (!sysfs_create_file(dev, "version", 0444, &version_ops, h, false))
		return -ENOMEM;
	if (!runtime_update_visible(h))
		return 0;
	ret = add_seamldr_attrs(h, dev, "seamldr_version");
	if (ret)
		return ret;
	h->fwl = firmware_upload_register(h->sysfs, dev, TDX_HOST_DEV_PATH, "tdx_module",
					  &tdx_fw_ops, h, h->kt);
	if (!h->fwl)
		return -ENOMEM;
	if (h->cfg.layout != SYSFS_LAYOUT_LEGACY)
		return 0;
	/* v5-v7 paths, and the v1-v3 fw_upload name Intel's script still uses. */
	ret = add_seamldr_attrs(h, sysfs_mkdir(dev, "seamldr"), "version");
	if (ret)
		return ret;
	h->fwl_legacy = firmware_upload_register(h->sysfs, dev, TDX_HOST_DEV_PATH,
						 "seamldr_upload", &tdx_fw_ops, h, h->kt);
	return h->fwl_legacy ? 0 : -ENOMEM;
}

void tdx_host_device_exit(struct tdx_host *h)
{
	if (h->fwl_legacy)
		firmware_upload_unregister(h->fwl_legacy);
	if (h->fwl)
		firmware_upload_unregister(h->fwl);
	h->fwl = h->fwl_legacy = NULL;
	if (h->tdx_host_dev)
		sysfs_remove(h->tdx_host_dev);
	h->tdx_host_dev = NULL;
}
