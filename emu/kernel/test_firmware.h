/* SPDX-License-Identifier: MIT */
/*
 * The fw_upload half of the kernel's selftest driver (lib/test_firmware.c):
 * a misc device "test_firmware" whose files register and unregister upload
 * devices by name and read back what an upload delivered (kernel.md 11).
 *
 * Files, under TEST_FIRMWARE_DIR:
 *   upload_register	(0200) write a name: register fw_upload <name>
 *   upload_unregister	(0200) write a name: unregister it
 *   config_upload_name	(0644) select the upload device upload_read shows
 *   upload_read	(0444) the bytes the selected device received
 * Each device appears as TEST_FIRMWARE_DIR/<name>/ (a misc device is a
 * class device, so there is no "firmware" glue directory) and as
 * class/firmware/<name>.
 *
 * Its ops: at most TEST_UPLOAD_MAX_SIZE bytes; prepare refuses size 0 or
 * more with invalid-file-size and clears the cancel flag; write copies
 * TEST_UPLOAD_BLK_SIZE bytes per call; a payload "inject:<status>:<error>"
 * fails at that stage with that error, and "user-abort" there waits (100 ms
 * steps through the kthread ops, up to 5 minutes) for a cancel instead.
 */
#ifndef TDXUP_KERNEL_TEST_FIRMWARE_H
#define TDXUP_KERNEL_TEST_FIRMWARE_H

#include "emu/kthread.h"
#include "emu/sysfs.h"

#define TEST_FIRMWARE_DIR	"devices/virtual/misc/test_firmware"
#define TEST_UPLOAD_MAX_SIZE	2048
#define TEST_UPLOAD_BLK_SIZE	37	/* not a power of two, on purpose */

struct test_firmware;

/* Creates the misc device in t; kt NULL means kthread_default_ops(). */
struct test_firmware *test_firmware_create(struct sysfs_tree *t, const struct kthread_ops *kt);
/* Module exit: unregisters every upload device and removes the files. */
void test_firmware_destroy(struct test_firmware *tf);

#endif /* TDXUP_KERNEL_TEST_FIRMWARE_H */
