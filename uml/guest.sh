#!/bin/bash
# SPDX-License-Identifier: MIT
# init (PID 1) of make check-kernel's User-Mode Linux guest (uml/run-kernel
# boots it). The root is the host's, read-only over hostfs; TDXUP_OUT (the
# host's build-kernel/run) is mounted writable, everything else scratch is
# tmpfs. Writes to TDXUP_OUT: results (PASS/FAIL lines), kernel.transcript,
# selftest.log, the updater's outputs under cases/, then done; then powers
# off. Environment from the boot line: TDXUP_OUT, TDXUP_BUILD (the tdxup
# build tree), TDXUP_SRC (the checkout).
#
# test_firmware is not TDX: the upload device is real, the tdx_host
# attributes beside it are plain files, so a successful upload leaves the
# module version as it was. The updater must then say exactly that
# (exit 1, "the upload reported success but the module version is now
# 1.5.24, not the target 1.5.25"), which is what every "accepted" case
# below asserts, together with the bytes the kernel received.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
set -u

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs -o mode=0755 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
# A checkout, build tree or kernel source under the host's /tmp or /run
# (a clone in mktemp -d) is hidden by the scratch mounts: show it again,
# read-only, from the host at the same path.
for p in "$TDXUP_SRC" "$TDXUP_BUILD" "$TDXUP_KSRC"; do
	case $p in
	/tmp/* | /run/*)
		mountpoint -q "$p" && continue
		mkdir -p "$p" && mount -r -t hostfs -o "$p" none "$p" ;;
	esac
done
mkdir -p /tmp/out
mount -t hostfs -o "$TDXUP_OUT" none /tmp/out
boot_done=$(cut -d' ' -f1 /proc/uptime)
echo "$boot_done" >/tmp/out/boot-seconds

power_off() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 10
}

OUT=/tmp/out
exec >"$OUT/guest.log" 2>&1
bash "$TDXUP_SRC/uml/guest-tests.sh" || echo "guest-tests.sh exited $?"
echo ok >"$OUT/done"
power_off
