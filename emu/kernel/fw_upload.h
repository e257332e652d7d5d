/* SPDX-License-Identifier: MIT */
/*
 * The generic firmware-upload core (kernel.md 9): the files under
 * <device>/firmware/<name>/ and /class/firmware/<name>, a worker that runs
 * prepare -> write loop -> poll_complete -> cleanup, and the status and
 * error strings. Mirrors drivers/base/firmware_loader's fw_upload.
 */
#ifndef TDXUP_KERNEL_FW_UPLOAD_H
#define TDXUP_KERNEL_FW_UPLOAD_H

#include <stdint.h>

#include "emu/kthread.h"
#include "emu/sysfs.h"

enum fw_upload_err {
	FW_UPLOAD_ERR_NONE,
	FW_UPLOAD_ERR_HW_ERROR,
	FW_UPLOAD_ERR_TIMEOUT,
	FW_UPLOAD_ERR_CANCELED,
	FW_UPLOAD_ERR_BUSY,
	FW_UPLOAD_ERR_INVALID_SIZE,
	FW_UPLOAD_ERR_RW_ERROR,
	FW_UPLOAD_ERR_WEAROUT,
	FW_UPLOAD_ERR_FW_INVALID,
	FW_UPLOAD_ERR_MAX
};

enum fw_upload_prog {
	FW_UPLOAD_PROG_IDLE,
	FW_UPLOAD_PROG_RECEIVING,
	FW_UPLOAD_PROG_PREPARING,
	FW_UPLOAD_PROG_TRANSFERRING,
	FW_UPLOAD_PROG_PROGRAMMING,
	FW_UPLOAD_PROG_MAX
};

struct fw_upload {
	void *dd_handle;	/* the driver's */
	void *priv;		/* the core's */
};

struct fw_upload_ops {
	enum fw_upload_err (*prepare)(struct fw_upload *fwl, const uint8_t *data, uint32_t size);
	enum fw_upload_err (*write)(struct fw_upload *fwl, const uint8_t *data, uint32_t offset,
				    uint32_t size, uint32_t *written);
	enum fw_upload_err (*poll_complete)(struct fw_upload *fwl);
	void (*cancel)(struct fw_upload *fwl);
	void (*cleanup)(struct fw_upload *fwl);	/* optional */
};

/*
 * Register an upload device: creates dev/firmware/<name>/{loading, data,
 * status, error, remaining_size, cancel} and the link
 * /class/firmware/<name> -> the device directory. prepare, write,
 * poll_complete and cancel are required (NULL -> ERR pointer / NULL here).
 */
struct fw_upload *firmware_upload_register(struct sysfs_tree *t, struct sysfs_node *dev,
					   const char *dev_path, const char *name,
					   const struct fw_upload_ops *ops, void *dd_handle,
					   const struct kthread_ops *kt);
/*
 * flags for firmware_upload_register_ex. Linux's get_device_parent() puts
 * a class device straight into its parent's directory when the parent is
 * itself a class device (a misc device such as test_firmware), and into a
 * "firmware" glue directory otherwise (the tdx_host faux device).
 */
#define FW_UPLOAD_PARENT_IS_CLASS_DEV	(1u << 0)

/*
 * firmware_upload_register with flags, and the reason for a failure in *err
 * (-EINVAL: no name or a required op missing; -EEXIST: name taken;
 * -ENOMEM). err may be NULL.
 */
struct fw_upload *firmware_upload_register_ex(struct sysfs_tree *t, struct sysfs_node *dev,
					      const char *dev_path, const char *name,
					      const struct fw_upload_ops *ops, void *dd_handle,
					      const struct kthread_ops *kt, unsigned int flags,
					      int *err);
/* Cancels and flushes a running upload, then removes the files. */
void firmware_upload_unregister(struct fw_upload *fwl);

const char *fw_upload_err_str(enum fw_upload_err err);
const char *fw_upload_prog_str(enum fw_upload_prog prog);

#endif /* TDXUP_KERNEL_FW_UPLOAD_H */
