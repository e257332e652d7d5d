#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The updater writes an upload's data on one open, whatever --chunk: the
# real fw_upload core takes at most 4096 bytes per write() (make
# check-kernel measured it), so one open per chunk was one open per page.
# Counted with strace on a FUSE sysroot: opens of data, and the writes
# with their sizes, for a 94208-byte image in 4096, 65536 and 1000 (the
# emulator, like the kernel, takes at most a page per write()).
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable
command -v strace >/dev/null || skip "strace not installed"

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
SIZE=$(stat -c %s "$IMG")
eq "image size" "$SIZE" 94208

# data_writes LOG: the pwrite64 calls on the data descriptor, between its
# open and its close, as "SIZE=RESULT" words.
data_writes() {
	awk '/openat\(.*\/class\/firmware\/tdx_module\/data"/ { fd = $NF; next }
	     fd != "" && $0 ~ "pwrite64\\(" fd "," { n = split($0, w, ", "); sub(/\).*/, "", w[n - 1])
		printf "%s=%s\n", w[n - 1], $NF; next }
	     fd != "" && $0 ~ "close\\(" fd "\\)" { fd = "" }' "$1"
}

# count CHUNK WRITES: one open of data, WRITES pwrite64 calls on it.
count() {
	local chunk=$1 writes=$2 log=$TMP/strace.$1 n
	start_server "chunk$chunk" --module 1.5.24
	"${STRACE[@]}" -f -qq -e trace=openat,pwrite64,close -e signal=none -o "$log" \
		"$TDXUP" update --sysroot "$MNT" "$IMG" --chunk "$chunk" >"$TMP/out" 2>&1 ||
		{ cat "$TMP/out" >&2; fail "--chunk $chunk: update failed"; }
	grep -q "updated the TDX module from 1.5.24 to 1.5.25" "$TMP/out" || fail "--chunk $chunk: $(cat "$TMP/out")"
	# Writing opens only: the data is then read back once, on an open of its own.
	n=$(grep -c 'openat(.*/class/firmware/tdx_module/data", O_WRONLY' "$log" || true)
	eq "--chunk $chunk: opens of data" "$n" 1
	data_writes "$log" >"$TMP/writes.$chunk"
	eq "--chunk $chunk: writes to data" "$(wc -l <"$TMP/writes.$chunk")" "$writes"
	eq "--chunk $chunk: bytes written" "$(awk -F= '{ s += $2 } END { print s }' "$TMP/writes.$chunk")" "$SIZE"
	stop_server
}

count 4096 23
count 65536 23
count 1000 95
echo PASS
