#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A FUSE server that stops answering (SIGSTOP) must not hang `update`: each
# sysfs read and write is bounded (--io-timeout), and the updater exits 1
# naming the file, saying whether the upload had started. Two phases:
#  - between attempts (device-busy back-off): nothing was written;
#  - after loading=0, polling status: the outcome is unknown (check status).
# Then SIGCONT: the server goes on, no TD lost.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
STOPPED=()
cont_all() { local p; for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null || true; done; cleanup; }
trap cont_all EXIT


# stop_at NAME PATTERN ARGS...: start the update, SIGSTOP the server when the
# updater's stderr shows PATTERN; the update's exit status in rc.
stop_at() {
	local pattern=$2 upid
	shift 2
	rc=0
	timeout -s KILL 60 "$TDXUP" update "$IMG" --sysroot "$MNT" --io-timeout 2s "$@" \
		>"$TMP/out" 2>"$TMP/err" & upid=$!
	wait_for "'$pattern'" grep -q "$pattern" "$TMP/err"
	kill -STOP "$SRV_PID"
	STOPPED+=("$SRV_PID")
	wait "$upid" || rc=$?
	kill -CONT "$SRV_PID"
}

# ---- between attempts ------------------------------------------------------------
start_server busy --module 1.5.24 --workload builders=1,pages=16,running=1,hold=busy,gap=1500ms
wait_for "a build in flight" build_in_flight
stop_at busy "device-busy; retrying in" --hold-builds off --retry-for 20s
eq "exit status, stopped between attempts" "$rc" 1
# The next attempt reads loading first (nobody_uploading).
has "tdxup: update: $SYS/class/firmware/tdx_module/loading did not answer within 2.0 s (a stopped or wedged sysfs server?); the call was abandoned" err
has "update error: sysfs I/O error before the upload started: Timer expired (a sysfs file did not answer in time: a stopped server?); loading=0 was never written, the module was not touched by this run" err
eq "version after SIGCONT" "$(cat "$DEV/version")" 1.5.24
stop_server
summary_has "lost TDs" 0
summary_has "updates applied" 0

# ---- after loading=0 ---------------------------------------------------------------
# --stw-delay keeps the update running 3 s: the updater is polling status.
start_server poll --module 1.5.24 --stw-delay 3s
stop_at poll "status: transferring" --hold-builds off
eq "exit status, stopped while polling" "$rc" 1
has "tdxup: update: $SYS/class/firmware/tdx_module/status did not answer within 2.0 s (a stopped or wedged sysfs server?); the call was abandoned" err
has "update error: sysfs I/O error after the upload started: Timer expired (a sysfs file did not answer in time: a stopped server?); the kernel runs the update on its own, so whether the module was replaced, left or lost is unknown: check \`tdxup status\`" err
wait_idle "$FW"
eq "version after SIGCONT" "$(cat "$DEV/version")" 1.5.25
stop_server
summary_has "updates applied" 1
summary_has "failed updates" 0
