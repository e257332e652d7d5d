#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The safety rules against a serving host through FUSE, each a failure that
# lost the module or overwrote a file before the rules were enforced:
#  - two updaters at once (one update per host: the second is refused);
#  - an image signed by a key the target does not declare (refused before
#    anything is written; no message suggests an override);
#  - a link planted where the fw_upload files should be (nothing written
#    through it);
#  - a half-done upload left open (reported; cancelled only when asked);
#  - FIFOs where an image or a catalogue file should be (refused, no hang).
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"

# ---- two updaters at once ----------------------------------------------------
# --stw-delay keeps every CPU stopped for 3 s, so the first update is in
# flight whatever the scheduling; the second must be refused, not queued
# into the same fw_upload buffer.
start_server twice --module 1.5.24 --stw-delay 3s
rc1=0 rc2=0
timeout 120 "$TDXUP" update "$IMG" --sysroot "$MNT" >"$TMP/u1.out" 2>"$TMP/u1.err" & p1=$!
timeout 120 "$TDXUP" update "$IMG" --sysroot "$MNT" >"$TMP/u2.out" 2>"$TMP/u2.err" & p2=$!
wait "$p1" || rc1=$?
wait "$p2" || rc2=$?
codes=$(printf '%s\n' "$rc1" "$rc2" | sort | tr '\n' ' ')
eq "exit codes of two concurrent updaters" "$codes" "0 3 "
cat "$TMP/u1.err" "$TMP/u2.err" >"$TMP/both.err"
grep -qF "(tdxup update of $SYS/class/firmware/tdx_module) since " "$TMP/both.err" &&
	grep -q "update refused: another update of this host is running: pid [0-9]* (tdxup update of " \
	"$TMP/both.err" || { cat "$TMP/both.err" >&2; fail "the refusal does not name the holder"; }
eq "version after two updaters" "$(cat "$DEV/version")" 1.5.25
stop_server
summary_has "updates applied" 1
summary_has "failed updates" 0
grep -q "module lost" "$SRV_LOG" && fail "the module was lost"

# ---- a key the target does not declare -----------------------------------------
# --sysfs ROOT takes the keys of this machine's /etc, which declares none.
start_server nokey --module 1.5.24
rc=0
timeout 60 "$TDXUP" update "$IMG" --sysfs "$SYS" >"$TMP/out" 2>"$TMP/err" || rc=$?
eq "update with an undeclared key" "$rc" 3
grep -q "signing key 50f6369d... is not one this host trusts" "$TMP/err" || fail "$(cat "$TMP/err")"
grep -q -- "--trust-key-hash\|--allow-debug\|--accept-td-loss" "$TMP/err" &&
	fail "a refusal suggests an override: $(cat "$TMP/err")"
eq "version after the refusal" "$(cat "$DEV/version")" 1.5.24

# ---- a half-done upload ----------------------------------------------------------
echo 1 >"$FW/loading"
rc=0
timeout 60 "$TDXUP" update "$IMG" --sysroot "$MNT" >"$TMP/out" 2>"$TMP/err" || rc=$?
eq "update over an open upload" "$rc" 3
grep -q "an upload is open (loading reads 1)" "$TMP/err" || fail "$(cat "$TMP/err")"
eq "loading after the refusal" "$(cat "$FW/loading")" 1
timeout 120 "$TDXUP" update "$IMG" --sysroot "$MNT" --cancel-stale >"$TMP/out" 2>"$TMP/err" ||
	fail "update --cancel-stale: $(cat "$TMP/err")"
grep -q "warning: cancelled a half-done upload (loading was 1)" "$TMP/err" || fail "$(cat "$TMP/err")"
eq "version after --cancel-stale" "$(cat "$DEV/version")" 1.5.25
stop_server

# ---- a planted link where the mount should be ------------------------------------
# An attacker plants a tree in a predictable sysroot before the mount exists;
# data links to a root-owned file. Nothing may be written through it.
P=$TMP/planted
PDEV=$P/sys/devices/faux/tdx_host
mkdir -p "$PDEV/firmware/tdx_module" "$P/sys/class/firmware" "$P/etc/tdxup/trusted-keys.d"
echo 1.5.24 >"$PDEV/version"
echo 1.5.01 >"$PDEV/seamldr_version"
echo 3 >"$PDEV/num_remaining_updates"
echo idle >"$PDEV/firmware/tdx_module/status"
echo 0 >"$PDEV/firmware/tdx_module/loading"
: >"$PDEV/firmware/tdx_module/error"
echo "precious" >"$TMP/victim"
ln -s "$TMP/victim" "$PDEV/firmware/tdx_module/data"
ln -s ../../devices/faux/tdx_host/firmware/tdx_module "$P/sys/class/firmware/tdx_module"
echo 50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5 \
	>"$P/etc/tdxup/trusted-keys.d/k.sha384"
chmod 0644 "$P/etc/tdxup/trusted-keys.d/k.sha384"
rc=0
timeout 60 "$TDXUP" update "$IMG" --sysroot "$P" --cpu-fms 0x806f8 --hold-builds off >"$TMP/out" 2>"$TMP/err" || rc=$?
eq "update on a planted tree" "$rc" 3
grep -q "loading is not a sysfs file" "$TMP/err" || fail "$(cat "$TMP/err")"
eq "the victim file" "$(cat "$TMP/victim")" precious
eq "loading in the planted tree" "$(cat "$PDEV/firmware/tdx_module/loading")" 0

# ---- FIFOs where files belong ------------------------------------------------------
mkfifo "$TMP/fifo.blob"
rc=0
timeout 20 "$TDXUP" update "$TMP/fifo.blob" --sysroot "$P" --cpu-fms 0x806f8 >"$TMP/out" 2>"$TMP/err" || rc=$?
eq "update with a FIFO image" "$rc" 3
mkdir -p "$TMP/cat/joined_files"
mkfifo "$TMP/cat/mapping_file.json"
rc=0
timeout 20 "$TDXUP" select --catalog "$TMP/cat" --sysroot "$P" --cpu-fms 0x806f8 >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "select with a FIFO catalogue exited $rc"
rc=0
timeout 20 "$TDXUP" image verify "$TMP/fifo.blob" >"$TMP/out" 2>"$TMP/err" || rc=$?
eq "image verify of a FIFO" "$rc" 1
grep -q "not a regular file" "$TMP/err" || fail "$(cat "$TMP/err")"
echo PASS
