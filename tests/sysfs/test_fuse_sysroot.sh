#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tdxup serve as a sysroot: --detach returns only once the mount answers
# (status at once, five times in a row), --stop, DIR/proc/cpuinfo and
# osrelease exactly, the updater with --sysroot and no --cpu-fms, the image
# format decided from the kernel release (v8, mainline), an empty DIR, and
# a detached server that fails to start.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable


IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
CAT=$TMP/cat
make_catalog "$CAT" 1.5.24 1.5.25

# ---- --detach: the mount answers when it returns; --stop waits for the end ----
for run in 1 2 3 4 5; do
	start_server "detach$run" --module 1.5.24
	tx 0 status --sysroot "$MNT"
	has "module version:     1.5.24" out
	has "runtime update:     available" out
	tx 0 serve --stop "$MNT"
	server_gone "$SRV_PID" || fail "run $run: server $SRV_PID still there after --stop"
	is_mounted "$MNT" && fail "run $run: $MNT still mounted after --stop"
	grep -q "^tdxup serve: summary" "$SRV_LOG" || fail "run $run: no summary in the log"
done
# Nothing mounted any more: the updater says so, not "TDX is not enabled".
tx 1 status --sysroot "$MNT"
has "tdxup: $MNT is empty: is the emulator mounted there?" err
tx 1 serve --stop "$MNT"
has "no \`tdxup serve\` of this user serves it" err

# ---- the sysroot's layout and proc files ----
start_server layout --module 1.5.24 --cpus 3 --packages 2
eq "DIR" "$(ls "$MNT" | tr '\n' ' ')" "etc proc run sys "
eq "DIR/proc" "$(ls "$MNT/proc" | tr '\n' ' ')" "cpuinfo sys "
eq "DIR/sys" "$(ls "$SYS" | tr '\n' ' ')" "class devices "
for f in cpuinfo sys/kernel/osrelease; do
	eq "mode of $f" "$(stat -c '%a %u %g %s' "$MNT/proc/$f")" "444 0 0 0"
	( echo x >"$MNT/proc/$f" ) 2>/dev/null && fail "$f is writable"
done
eq "mode of DIR/proc" "$(stat -c %a "$MNT/proc")" 555
eq "osrelease" "$(cat "$MNT/proc/sys/kernel/osrelease")" 7.1.0-tdx-v8
block() {
	printf 'processor\t: %s\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\n' "$1"
	printf 'model name\t: Intel(R) Xeon(R) CPU (tdxup emulated host)\nstepping\t: 8\n'
	printf 'physical id\t: %s\nsiblings\t: %s\ncore id\t\t: %s\ncpu cores\t: %s\n' "$2" "$3" "$4" "$3"
	printf 'apicid\t\t: %s\n\n' "$1"
}
{ block 0 0 2 0; block 1 0 2 1; block 2 1 1 0; } >"$TMP/want"
grep -v '^flags' "$MNT/proc/cpuinfo" >"$TMP/got"
diff -u "$TMP/want" "$TMP/got" || fail "cpuinfo differs"
eq "flags lines with tdx_host_platform" "$(grep -c '^flags		: fpu .* tdx_host_platform ' "$MNT/proc/cpuinfo")" 3
tx 0 status --sysroot "$MNT" --json
has '"kernel_release": "7.1.0-tdx-v8"' out
stop_server

# ---- the updater against it, no --cpu-fms: v8 ----
start_server v8 --module 1.5.24 --profile v8
tx 0 select --catalog "$CAT" --sysroot "$MNT"
has "running: module 1.5.24, P-SEAMLDR 1.5.01, CPU 0x806f8" out
has "choice: 1.5.25 (joined_files/1.5/tdx_module_1.5.25.blob)" out
tx 0 update "$IMG" --sysroot "$MNT" --dry-run
eq "dry run" "$(cat "$TMP/out")" "dry-run: every pre-check passed: would install 1.5.25 over 1.5.24 as a v0x100 image (kernel 7.1.0-tdx-v8 takes 0x100)"
has "tdxup: update: image format 0x100: kernel 7.1.0-tdx-v8 takes 0x100" err
tx 0 update --catalog "$CAT" --sysroot "$MNT"
eq "update" "$(cat "$TMP/out")" "updated: updated the TDX module from 1.5.24 to 1.5.25"
eq "version" "$(cat "$DEV/version")" 1.5.25
stop_server
summary_has "updates attempted" 1
summary_has "updates applied" 1
summary_has "failed updates" 0

# ---- mainline: 0x200, converted, also at the first attempt ----
start_server mainline --module 1.5.24 --profile mainline
eq "osrelease" "$(cat "$MNT/proc/sys/kernel/osrelease")" 7.2.0
tx 0 update "$IMG" --sysroot "$MNT" --dry-run
eq "dry run" "$(cat "$TMP/out")" "dry-run: every pre-check passed: would install 1.5.25 over 1.5.24 as a v0x200 image (kernel 7.2.0 takes 0x200)"
tx 0 update "$IMG" --sysroot "$MNT" --json
has '"result": "updated"' out
has '"nr_attempts": 1' out
has '"image_format": "0x200"' out
stop_server
summary_has "updates attempted" 1
summary_has "failed updates" 0

start_server detect --module 1.5.24 --profile detect
eq "osrelease" "$(cat "$MNT/proc/sys/kernel/osrelease")" 7.2.0-tdx-detect
stop_server

# ---- a detached server that cannot start: the caller gets its error ----
mkdir -p "$TMP/bad/mnt"
MOUNTS+=("$TMP/bad/mnt")
rc=0
timeout 200 "$TDXUP" serve --mount "$TMP/bad/mnt" --detach --log "$TMP/bad/log" \
	--json-log "$TMP/nowhere/x.json" >"$TMP/out" 2>"$TMP/err" || rc=$?
eq "exit of a failed --detach" "$rc" 1
eq "stdout of a failed --detach" "$(cat "$TMP/out")" ""
has "tdxup: $TMP/nowhere/x.json: No such file or directory" err
has "tdxup: serve: the server exited (status 1) before the mount answered" err
is_mounted "$TMP/bad/mnt" && fail "a failed server left its mount"

echo PASS
