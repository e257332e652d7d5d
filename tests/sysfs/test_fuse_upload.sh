#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tdxup serve: the tdx_host attributes and the fw_upload protocol through a
# real FUSE mount, with cat, echo, dd and printf only: layout and modes, a
# successful update (cat and dd), a bad image, loading's values, status and
# error while an update is in flight, and device-busy under a workload.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
SIZE=$(stat -c %s "$IMG")
head -c 5000 /dev/urandom >"$TMP/bad.blob"

# ---- layout, modes, the class link -----------------------------------
start_server plain --module 1.5.24 --profile v8
eq "version" "$(cat "$DEV/version")" 1.5.24
eq "seamldr_version" "$(cat "$DEV/seamldr_version")" 1.5.01
eq "num_remaining_updates" "$(cat "$DEV/num_remaining_updates")" 16
eq "class link" "$(readlink "$SYS/class/firmware/tdx_module")" \
	../../devices/faux/tdx_host/firmware/tdx_module
for f in version:444 seamldr_version:400 num_remaining_updates:400; do
	eq "mode of ${f%%:*}" "$(stat -c %a "$DEV/${f%%:*}")" "${f##*:}"
done
for f in loading:644 data:644 status:444 error:444 remaining_size:444 cancel:200; do
	eq "mode of ${f%%:*}" "$(stat -Lc %a "$FW/${f%%:*}")" "${f##*:}"
done
eq "status" "$(cat "$FW/status")" idle
eq "error" "$(cat "$FW/error")" ""
eq "text attribute size" "$(stat -c %s "$DEV/version")" 4096
[ ! -e "$DEV/seamldr" ] || fail "legacy seamldr/ present in the final layout"

# read-only and write-only attributes, as the kernel refuses them
{ echo idle >"$FW/status"; } 2>"$TMP/e" && fail "status writable"
grep -q "Permission denied" "$TMP/e" || fail "status write: $(cat "$TMP/e")"
cat "$FW/cancel" 2>"$TMP/e" && fail "cancel readable"
grep -q "Permission denied" "$TMP/e" || fail "cancel read: $(cat "$TMP/e")"
# cancel: only a true boolean; when idle the driver answers -ENODEV
{ echo x >"$FW/cancel"; } 2>"$TMP/e" && fail "cancel took 'x'"
grep -q "Invalid argument" "$TMP/e" || fail "cancel x: $(cat "$TMP/e")"
{ echo 1 >"$FW/cancel"; } 2>"$TMP/e" && fail "cancel succeeded while idle"
grep -q "No such device" "$TMP/e" || fail "cancel 1: $(cat "$TMP/e")"

# loading takes "1", "1\n" and "0" as the kernel does; O_TRUNC is harmless
printf 1 >"$FW/loading"
eq "loading after '1'" "$(cat "$FW/loading")" 1
printf 0 >"$FW/loading"	# size 0: nothing starts, state reset
eq "loading after '0'" "$(cat "$FW/loading")" 0
eq "status after an empty load" "$(cat "$FW/status")" idle
echo 1 >"$FW/loading"
eq "loading after '1\\n'" "$(cat "$FW/loading")" 1
if command -v python3 >/dev/null; then
	python3 -c "open('$FW/loading', 'w').write('-1')"	# abort
	eq "loading after python '-1'" "$(cat "$FW/loading")" 0
	python3 -c "open('$FW/loading', 'w').write('1')"
	eq "loading after python '1'" "$(cat "$FW/loading")" 1
	printf -- -1 >"$FW/loading"
fi

# data: any offset, in pieces, read back while loading
echo 1 >"$FW/loading"
dd if="$IMG" of="$FW/data" bs=4096 skip=10 seek=10 status=none
dd if="$IMG" of="$FW/data" bs=4096 count=10 conv=notrunc status=none
cmp -s <(timeout 60 cat "$FW/data") "$IMG" || fail "data read back differs"
printf -- -1 >"$FW/loading"

# a bad image: transferring:firmware-invalid, nothing changed
upload "$FW" "$TMP/bad.blob"
wait_idle "$FW"
eq "error after a bad image" "$(cat "$FW/error")" transferring:firmware-invalid
eq "remaining_size after a bad image" "$(cat "$FW/remaining_size")" 5000
eq "version after a bad image" "$(cat "$DEV/version")" 1.5.24
eq "updates left after a bad image" "$(cat "$DEV/num_remaining_updates")" 16

# a good one with cat
upload "$FW" "$IMG"
wait_idle "$FW"
eq "error after an update" "$(cat "$FW/error")" ""
eq "version after an update" "$(cat "$DEV/version")" 1.5.25
eq "updates left" "$(cat "$DEV/num_remaining_updates")" 15
eq "version through the class link" "$(cat "$FW/../../version")" 1.5.25
stop_server
summary_has "updates attempted" 2
summary_has "updates applied" 1
summary_has "failed updates" 1
grep -q "update attempt 2: applied; module 1.5.25" "$SRV_ERR" || fail "attempt not logged"

# ---- dd bs=4096, and the in-flight view ----------------------------------
# --stw-delay keeps every CPU stopped for 3 s, so "transferring" lasts that long.
start_server slow --module 1.5.24 --cpus 16 --stw-delay 3s
echo 1 >"$FW/loading"
dd if="$IMG" of="$FW/data" bs=4096 status=none
echo 0 >"$FW/loading"
seen=
for ((i = 0; i < 2000; i++)); do
	read -r st <"$FW/status"
	case $st in
	transferring) seen=1; break ;;
	receiving|preparing) ;;
	*) fail "status '$st' before transferring was seen" ;;
	esac
done
[ -n "$seen" ] || fail "status never read transferring"
timeout 60 cat "$FW/error" >"$TMP/o" 2>"$TMP/e" && fail "error readable while transferring: $(cat "$TMP/o")"
grep -q "Device or resource busy" "$TMP/e" || fail "error while transferring: $(cat "$TMP/e")"
eq "status while transferring" "$(cat "$FW/status")" transferring
timeout 60 cat "$FW/data" >/dev/null 2>"$TMP/e" && fail "data readable while the upload runs"
grep -q "No such device" "$TMP/e" || fail "data while transferring: $(cat "$TMP/e")"
echo 1 >"$FW/loading" || fail "loading=1 during an upload must be ignored, not refused"
wait_idle "$FW"
eq "error after the slow update" "$(cat "$FW/error")" ""
eq "version after the slow update" "$(cat "$DEV/version")" 1.5.25
stop_server
summary_has "updates applied" 1

# ---- device-busy: a TD build in flight -------------------------------------
# hold=busy: the first build window stays open until an update is refused.
start_server busy --module 1.5.24 --workload builders=2,pages=64,gap=50ms,hold=busy
upload "$FW" "$IMG"
wait_idle "$FW"
eq "error with a build in flight" "$(cat "$FW/error")" transferring:device-busy
eq "remaining_size after device-busy" "$(cat "$FW/remaining_size")" "$SIZE"
eq "version after device-busy" "$(cat "$DEV/version")" 1.5.24
eq "updates left after device-busy" "$(cat "$DEV/num_remaining_updates")" 16
# Builds pause between rounds: retrying gets through (bounded).
for ((n = 0; n < 200; n++)); do
	upload "$FW" "$IMG"
	wait_idle "$FW"
	err=$(cat "$FW/error")
	[ "$err" = "" ] && break
	eq "error while retrying" "$err" transferring:device-busy
done
eq "error after retries" "$err" ""
eq "version after retries" "$(cat "$DEV/version")" 1.5.25
stop_server
summary_has "updates applied" 1
summary_has "wrong MRTDs" 0
summary_has "lost TDs" 0
grep -q "refused: device-busy" "$SRV_ERR" || fail "busy attempt not logged"
grep -qE "^  busy rejections: +[1-9]" "$SRV_OUT" || fail "no busy rejection counted"

echo PASS
