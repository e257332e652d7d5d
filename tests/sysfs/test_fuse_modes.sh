#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tdxup serve: mode bits hold for another user, through the FUSE mount
# (allow_other): the 0400 P-SEAMLDR attributes and the upload files are
# refused with EACCES, the 0444 ones are readable, the tree is browsable.
# Needs root, to serve with allow_other and to become nobody.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable
[ "$(id -u)" -eq 0 ] || skip "needs root (to serve with allow_other and switch to nobody)"
command -v setpriv >/dev/null || skip "setpriv not installed"

# as_nobody CMD...: run a shell command as uid/gid 65534, output in $TMP/o, $TMP/e
as_nobody() {
	timeout 60 setpriv --reuid=65534 --regid=65534 --clear-groups -- sh -c "$1" \
		>"$TMP/o" 2>"$TMP/e"
}
# refused WHAT CMD: must fail with "Permission denied"
refused() {
	as_nobody "$2" && fail "nobody could $1: $(cat "$TMP/o")"
	grep -q "Permission denied" "$TMP/e" || fail "$1 as nobody: $(cat "$TMP/e")"
}
# allowed WHAT CMD WANT
allowed() {
	as_nobody "$2" || fail "nobody could not $1: $(cat "$TMP/e")"
	eq "$1 as nobody" "$(cat "$TMP/o")" "$3"
}

# Let nobody reach the mount point itself.
chmod 755 "$TMP"
IMG=$TMP/img.blob
make_image 1.5.25 "$IMG"
chmod 644 "$IMG"
start_server modes --module 1.5.24
chmod 755 "$TMP/modes"

allowed "read version" "cat '$DEV/version'" 1.5.24
allowed "read status" "cat '$FW/status'" idle
allowed "read error" "cat '$FW/error'" ""
allowed "read remaining_size" "cat '$FW/remaining_size'" 0
allowed "list tdx_host" "ls '$DEV'" "$(printf 'firmware\nnum_remaining_updates\nseamldr_version\nversion')"
allowed "follow the class link" "cat '$SYS/class/firmware/tdx_module/status'" idle
refused "read seamldr_version" "cat '$DEV/seamldr_version'"
refused "read num_remaining_updates" "cat '$DEV/num_remaining_updates'"
refused "write loading" "echo 1 > '$FW/loading'"
refused "write data" "cat '$IMG' > '$FW/data'"
refused "write data with dd" "dd if='$IMG' of='$FW/data' bs=4096 status=none"
refused "write cancel" "echo 1 > '$FW/cancel'"
refused "write version" "echo 1.5.99 > '$DEV/version'"
# access(2) agrees with open(2)
allowed "test -r version" "test -r '$DEV/version' && echo yes" yes
allowed "test -r seamldr_version" "test -r '$DEV/seamldr_version' && echo yes || echo no" no
allowed "test -w loading" "test -w '$FW/loading' && echo yes || echo no" no

# Nothing nobody tried changed anything; root still can.
eq "loading" "$(cat "$FW/loading")" 0
eq "version" "$(cat "$DEV/version")" 1.5.24
eq "seamldr_version as root" "$(cat "$DEV/seamldr_version")" 1.5.01
upload "$FW" "$IMG"
wait_idle "$FW"
eq "error" "$(cat "$FW/error")" ""
allowed "read the new version" "cat '$DEV/version'" 1.5.25
stop_server
summary_has "updates attempted" 1

echo PASS
