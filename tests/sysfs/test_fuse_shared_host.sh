#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One update per fw_upload device, whatever path reaches it, and never a
# write into an upload this run did not open (issue 15, "Why" 1 and 4):
#  - a bind mount of a serving host: A updates through DIR and retries on
#    device-busy, B through BIND with a slow upload; the lock keyed to the
#    device refuses B naming A (the path-keyed lock let both in: their
#    bytes mixed and the module was lost). Many trials, 0 modules lost;
#  - a hand-written slow upload (a shell, outside any lock) open while A
#    retries: A refuses, never writes loading=1 into it;
#  - bytes written into A's own upload by another writer: A reads data
#    back before loading=0 and cancels;
#  - the lock file: a symlink or FIFO planted for this device, a file
#    others can read: refused (exit 3, named); the real file is 0600 root,
#    so `flock` as nobody cannot open it and blocks nothing;
#  - the lock directory world-writable or another user's (in a private
#    mount namespace, not to disturb the host's): refused, named.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable
command -v flock >/dev/null || skip "flock (util-linux) not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not installed"

A_IMG=$TMP/tdx_module_1.5.25.blob
B_IMG=$TMP/tdx_module_1.5.30.blob
make_image 1.5.25 "$A_IMG"
make_image 1.5.30 "$B_IMG"
LOCKDIR=/run/tdxup/lock
# hold=busy: the first build window stays open until an update is refused, so
# A surely meets device-busy once and retries (the issue's hold=1500ms only
# sometimes lands in a window).
WORKLOAD=builders=1,pages=16,running=1,hold=busy,gap=1500ms
PLANTED=()
cleanup_planted() { local f; for f in "${PLANTED[@]}"; do rm -f "$f"; done; cleanup; }
trap cleanup_planted EXIT

# A build just started: the whole 1.5 s window ahead.
build_starts() { wait_for "no build" no_build; wait_for "a build in flight" build_in_flight; }
retried_or_done() { retrying "$TMP/a.err" || ! kill -0 "$1" 2>/dev/null; }
retrying() { grep -q "device-busy; retrying in" "$1"; }
lock_of() { echo "$LOCKDIR/fwdev-$(stat -L -c '%Hd:%Ld-%i' "$1/class/firmware/tdx_module").lock"; }

# bind_mount NAME: BIND, a bind mount of $MNT (cleaned up with the rest).
bind_mount() {
	BIND=$TMP/$1/bind
	mkdir -p "$BIND"
	mount --bind "$MNT" "$BIND" || skip "mount --bind refused here"
	MOUNTS+=("$BIND")
	eq "bind mount: device directory identity" \
		"$(stat -L -c '%d %i' "$BIND/sys/class/firmware/tdx_module")" \
		"$(stat -L -c '%d %i' "$FW")"
}

# ---- the bind-mount recipe, many trials ----------------------------------------
# A starts while a build is in flight (device-busy, so it retries); B starts
# once A has reported a retry: A holds the lock and is between attempts.
trials=0 raced=0 lost=0 start=$SECONDS
while ((raced < 3 || (SECONDS - start < 50 && trials < 20))); do
	((trials < 30)) || fail "only $raced of $trials trials had A retrying"
	trials=$((trials + 1))
	start_server "bind$trials" --module 1.5.24 --workload "$WORKLOAD"
	bind_mount "bind$trials"
	wait_for "a build in flight" build_in_flight
	arc=0 brc=0
	timeout 120 "$TDXUP" update "$A_IMG" --sysroot "$MNT" --hold-builds off --retry-for 20s \
		>"$TMP/a.out" 2>"$TMP/a.err" & apid=$!
	wait_for "A's first retry" retried_or_done "$apid"
	if ! retrying "$TMP/a.err"; then
		# The build ended before A's first attempt: no race this time.
		wait "$apid" || fail "A alone: $(cat "$TMP/a.err")"
		stop_server
		continue
	fi
	raced=$((raced + 1))
	timeout 120 "$TDXUP" update "$B_IMG" --sysroot "$BIND" --chunk 16 --hold-builds off \
		>"$TMP/b.out" 2>"$TMP/b.err" || brc=$?
	wait "$apid" || arc=$?
	[ "$arc" -eq 6 ] || [ "$brc" -eq 6 ] && lost=$((lost + 1))
	eq "trial $trials: A's exit status (B's: $brc, $(tail -n 1 "$TMP/b.err"))" "$arc" 0
	eq "trial $trials: B's exit status" "$brc" 3
	has "update refused: another update of this host is running: pid " b.err
	has " (tdxup update of $SYS/class/firmware/tdx_module) since " b.err
	has " holds $(lock_of "$SYS"); one update per host at a time, nothing was written" b.err
	eq "trial $trials: version" "$(cat "$DEV/version")" 1.5.25
	stop_server
	summary_has "lost TDs" 0
	summary_has "updates applied" 1
done
eq "modules lost in $raced raced trials" "$lost" 0
echo "bind-mount recipe: $raced raced trials of $trials, 0 lost"

# ---- a hand-written slow upload open while A retries ------------------------------
start_server slow --module 1.5.24 --workload "$WORKLOAD"
wait_for "a build in flight" build_in_flight
arc=0
timeout 120 "$TDXUP" update "$A_IMG" --sysroot "$MNT" --hold-builds off --retry-for 20s \
	>"$TMP/a.out" 2>"$TMP/a.err" & apid=$!
wait_for "A's first retry" retrying "$TMP/a.err"
# B: loading=1, then its image 4 KiB at a time, until A has decided.
echo 1 >"$FW/loading"
(
	off=0 size=$(stat -c %s "$B_IMG")
	while [ "$off" -lt "$size" ] && kill -0 "$apid" 2>/dev/null; do
		dd if="$B_IMG" of="$FW/data" bs=4096 skip=$((off / 4096)) seek=$((off / 4096)) count=1 \
			conv=notrunc status=none 2>/dev/null || exit 1
		off=$((off + 4096))
		sleep 0.05
	done
) & bpid=$!
wait "$apid" || arc=$?
wait "$bpid" || true
eq "A over an open upload" "$arc" 3
has "update refused: another writer took the fw_upload device (upload-in-progress:loading=1) between our attempts; stopped, nothing of ours reached the module" a.err
eq "B's upload still open" "$(cat "$FW/loading")" 1
echo -1 >"$FW/loading"
eq "version" "$(cat "$DEV/version")" 1.5.24
stop_server
summary_has "lost TDs" 0
summary_has "failed updates" 0

# ---- another writer's bytes in A's own upload ---------------------------------------
start_server mix --module 1.5.24
arc=0
# A writes its image on one open of data, 256 bytes a write; strace slows
# each write by 10 ms so that the other writer lands inside A's upload.
command -v strace >/dev/null || skip "strace not installed (scripts/install-deps)"
timeout 120 "${STRACE[@]}" -f -qq -o /dev/null -P "$FW/data" -e trace=pwrite64 \
	-e inject=pwrite64:delay_exit=10000 \
	"$TDXUP" update "$A_IMG" --sysroot "$MNT" --hold-builds off --chunk 256 \
	>"$TMP/a.out" 2>"$TMP/a.err" & apid=$!
wait_for "A's upload" grep -q "uploading 94208 bytes" "$TMP/a.err"
# Once A has written past the first KiB, 16 bytes at 64 are another writer's.
past_1k() { [ "$(dd if="$FW/data" bs=1024 skip=1 count=1 status=none | wc -c)" -gt 0 ]; }
wait_for "A past the first KiB" past_1k
printf 'XXXXXXXXXXXXXXXX' | dd of="$FW/data" bs=16 seek=4 conv=notrunc status=none
wait "$apid" || arc=$?
eq "A with bytes mixed in" "$arc" 3
has "update refused: the kernel's data buffer did not hold our image before loading=0 (94208 bytes, differs at 64; sent 94208): another writer wrote into this upload; the upload was cancelled (loading=-1), nothing reached the module" a.err
eq "loading after the cancel" "$(cat "$FW/loading")" 0
eq "version" "$(cat "$DEV/version")" 1.5.24
stop_server
summary_has "failed updates" 0

# ---- the lock file ------------------------------------------------------------------
start_server lockfile --module 1.5.24
LOCK=$(lock_of "$SYS")
PLANTED+=("$LOCK")
mkdir -p -m 0700 "$LOCKDIR"
# A symlink planted as the lock file: refused, the link's target untouched.
rm -f "$LOCK"
echo precious >"$TMP/victim"
ln -s "$TMP/victim" "$LOCK"
tx 3 update "$A_IMG" --sysroot "$MNT" --hold-builds off
has "update refused: cannot take the host's update lock: $LOCK: is a symlink, refused" err
tx 3 update "$A_IMG" --sysroot "$MNT" --hold-builds off --check
has "update refused: the host's update lock is unsafe: $LOCK: is a symlink, refused; a real run would be refused" err
eq "the link's target" "$(cat "$TMP/victim")" precious
# A FIFO: refused at once, no hang.
rm -f "$LOCK"
mkfifo -m 0600 "$LOCK"
tx 3 update "$A_IMG" --sysroot "$MNT" --hold-builds off
has "update refused: cannot take the host's update lock: $LOCK: not a regular file, refused" err
# A lock file others can read (anyone could flock it): refused, not chmod'ed.
rm -f "$LOCK"
: >"$LOCK"
chmod 0644 "$LOCK"
tx 3 update "$A_IMG" --sysroot "$MNT" --hold-builds off
has "update refused: cannot take the host's update lock: $LOCK: mode 0644 grants more than 0600, refused" err
eq "mode left" "$(stat -c %a "$LOCK")" 644
rm -f "$LOCK"
eq "version" "$(cat "$DEV/version")" 1.5.24
# The real one: 0600 root in a 0700 root directory, whatever the umask.
(umask 0 && timeout 120 "$TDXUP" update "$A_IMG" --sysroot "$MNT" --hold-builds off --retry-for 0 \
	>"$TMP/out" 2>"$TMP/err") || { cat "$TMP/err" >&2; fail "update under umask 0"; }
[ -f "$LOCK" ] && [ ! -L "$LOCK" ] || fail "$LOCK is not a regular file"
eq "lock file" "$(stat -c '%a %U:%G' "$LOCK")" "600 root:root"
eq "lock directory" "$(stat -c '%F %a %U:%G' "$LOCKDIR")" "directory 700 root:root"
# flock as nobody: cannot even open it, so it blocks nothing.
rc=0
setpriv --reuid nobody --regid nogroup --clear-groups flock -n "$LOCK" true \
	>"$TMP/flock.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "nobody could flock $LOCK"
grep -q "Permission denied" "$TMP/flock.out" || fail "flock as nobody: $(cat "$TMP/flock.out")"
stop_server

# ---- the lock directory, in a private mount namespace ----------------------------------
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
start_server lockdir --module 1.5.24
cat >"$TMP/ns.sh" <<EOF
set -e
mount -t tmpfs -o mode=0755 tmpfs /run/tdxup
mkdir -m 0777 $LOCKDIR
chmod 0777 $LOCKDIR
rc=0; "$TDXUP" update "$A_IMG" --sysroot "$MNT" --hold-builds off 2>"$TMP/ww.err" || rc=\$?
echo "world-writable \$rc"
chmod 0700 $LOCKDIR
chown nobody:nogroup $LOCKDIR
rc=0; "$TDXUP" update "$A_IMG" --sysroot "$MNT" --hold-builds off 2>"$TMP/foreign.err" || rc=\$?
echo "foreign \$rc"
EOF
mkdir -p /run/tdxup
timeout 120 unshare -m --propagation private bash "$TMP/ns.sh" >"$TMP/ns.out" 2>"$TMP/ns.err" ||
	{ cat "$TMP/ns.err" >&2; fail "the mount namespace run failed"; }
eq "lock directory refusals" "$(tr '\n' ' ' <"$TMP/ns.out")" "world-writable 3 foreign 3 "
has "update refused: cannot take the host's update lock: $LOCKDIR: mode 0777 grants more than 0700, refused" ww.err
has "update refused: cannot take the host's update lock: $LOCKDIR: owned by uid 65534, not by root, refused" foreign.err
eq "version" "$(cat "$DEV/version")" 1.5.24
stop_server
