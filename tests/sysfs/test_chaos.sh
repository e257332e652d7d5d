#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kill -9 on the upload path. The updater (`tdxup update --sysroot DIR`) is
# killed at each phase of an update, and the server itself mid-update. Each
# phase is recognised from the files alone (the lease's hold file, loading,
# data's length, status), by bounded polling; no strace, no fixed sleeps.
# After each kill: the host's files answer (or their loss is named), no
# module is lost without a message saying so (the server's log and `tdxup
# status`), and the next `tdxup update` completes or names what it found: an
# upload left open (loading=1) is refused with exit 3 and cancelled only
# with --cancel-stale, never silently discarded. The matrix is printed.
#
#   phase            killed when the files show
#   before-loading   the updater's build-lease hold, loading 0 (waiting for a build)
#   mid-data         loading 1 and data partly written (--chunk 16)
#   after-loading-0  loading back to 0 after 1: the kernel has the image
#   transferring     status transferring, every CPU stopped (--stw-delay)
#   server           the server itself, status transferring
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
SIZE=$(stat -c %s "$IMG")
MATRIX=()

# until_ok WHAT CMD...: CMD succeeds within 3000 polls of 10 ms.
until_ok() {
	local what=$1 i
	shift
	for ((i = 0; i < 3000; i++)); do
		"$@" && return 0
		sleep 0.01
	done
	fail "never: $what"
}

UPID=
# start_update ARGS...: the updater in the background; UPID, $TMP/u.{out,err}.
start_update() {
	"$TDXUP" update "$IMG" --sysroot "$MNT" "$@" >"$TMP/u.out" 2>"$TMP/u.err" &
	UPID=$!
}
# start_update_slow ARGS...: the same, each write to data slowed by 5 ms
# (strace), so that loading=1 lasts long enough to be seen: the image goes
# on one open of data, in a child of the updater. UPID is the updater's.
start_update_slow() {
	local spid
	command -v strace >/dev/null || skip "strace not installed (scripts/install-deps)"
	"${STRACE[@]}" -f -qq -o /dev/null -P "$FW/data" -e trace=pwrite64 \
		-e inject=pwrite64:delay_exit=5000 \
		"$TDXUP" update "$IMG" --sysroot "$MNT" "$@" >"$TMP/u.out" 2>"$TMP/u.err" &
	spid=$!
	until_ok "the traced updater" pgrep -P "$spid" -x tdxup
	UPID=$(pgrep -P "$spid" -x tdxup)
}

# kill9 PID: SIGKILL and reap (a non-zero status is the point).
kill9() {
	kill -KILL "$1" 2>/dev/null || fail "pid $1 had already exited: $(cat "$TMP/u.err")"
	wait "$1" 2>/dev/null || true
}

# next_update WANT_RC ARGS...: the next updater run; its stderr in $TMP/n.err.
next_update() {
	local want=$1 rc=0
	shift
	timeout 120 "$TDXUP" update "$IMG" --sysroot "$MNT" "$@" >"$TMP/n.out" 2>"$TMP/n.err" || rc=$?
	[ "$rc" = "$want" ] || { cat "$TMP/n.err" >&2; fail "next update $*: exit $rc, want $want"; }
}

# said PATTERN: the next update's stdout (its result) or stderr (progress, refusals).
said() { grep -q "$1" "$TMP/n.out" "$TMP/n.err" || fail "next update: no '$1': $(cat "$TMP/n.out" "$TMP/n.err")"; }

# host_ok VERSION [RC]: status and version answer, and `tdxup status` agrees
# (exit RC, 0 unless given: 3 while an upload is left open).
host_ok() {
	local rc=0
	until_ok "status idle" grep -qx idle "$FW/status"
	eq "version" "$(cat "$DEV/version")" "$1"
	"$TDXUP" status --sysroot "$MNT" >"$TMP/st.out" 2>"$TMP/st.err" || rc=$?
	[ "$rc" -eq "${2:-0}" ] || fail "tdxup status exited $rc: $(cat "$TMP/st.out" "$TMP/st.err")"
	grep -q "^module version:     $1\$" "$TMP/st.out" || fail "status: $(cat "$TMP/st.out")"
}

log_has() { grep -q "$1" "$SRV_LOG" || { cat "$SRV_LOG" >&2; fail "server log: no '$1'"; }; }
no_loss_logged() {
	grep -qE "module lost|lost TDs: +[1-9]|module (is )?gone" "$SRV_LOG" && { cat "$SRV_LOG" >&2; fail "server log names a loss"; }
	return 0
}

row() { MATRIX+=("$(printf '%-15s | %-62s | %s' "$1" "$2" "$3")"); }

# ---- before loading=1 -----------------------------------------------------------
# One builder whose build windows stay open 4 s: the updater holds new builds
# (the lease's hold file, with its pid) and waits for the one in flight,
# before it writes anything.
start_server before --module 1.5.24 --workload builders=1,hold=4s
LEASE=$MNT/run/tdxup/lease
until_ok "a build in flight" bash -c "ls '$LEASE/builds/' 2>/dev/null | grep -q ."
start_update --hold-builds on --hold-timeout 60s
until_ok "the updater's hold" grep -sqx "pid=$UPID" "$LEASE/hold"
eq "loading while the updater waits" "$(cat "$FW/loading")" 0
old_builds=$(echo $(ls "$LEASE/builds/"))
kill9 "$UPID"
host_ok 1.5.24
eq "loading after the kill" "$(cat "$FW/loading")" 0
grep -q "upload open" "$TMP/st.out" && fail "status reports an upload open"
# The dead updater's hold is only a file nobody locks: builds go on, i.e.
# a build registers under a name that was not there at the kill.
new_build() {
	local e
	for e in $(ls "$LEASE/builds/"); do
		[[ " $old_builds " == *" $e "* ]] || return 0
	done
	return 1
}
until_ok "a new build after the kill" new_build
next_update 0 --hold-builds on --hold-timeout 60s
said "updated the TDX module from 1.5.24 to 1.5.25"
host_ok 1.5.25
stop_server
summary_has "updates applied" 1
summary_has "lost TDs" 0
no_loss_logged
row before-loading "nothing written; idle, 1.5.24, builds resume" "completes (exit 0)"

# ---- mid-data ---------------------------------------------------------------------
start_server middata --module 1.5.24
start_update --chunk 16
data_partial() {
	local n
	n=$(wc -c <"$FW/data" 2>/dev/null) || return 1
	[ "$(cat "$FW/loading")" = 1 ] && [ "$n" -gt 0 ] && [ "$n" -lt "$SIZE" ]
}
until_ok "data partly written" data_partial
kill9 "$UPID"
got=$(wc -c <"$FW/data")
[ "$got" -gt 0 ] && [ "$got" -lt "$SIZE" ] || fail "data holds $got of $SIZE bytes"
eq "data after the kill, a multiple of the chunk" "$((got % 16))" 0
host_ok 1.5.24 3
grep -q "^runtime update:     not available: an upload is open (loading reads 1)" "$TMP/st.out" ||
	fail "status does not name the open upload: $(cat "$TMP/st.out")"
eq "loading after the kill" "$(cat "$FW/loading")" 1
grep -q "^upload open:        yes (loading reads 1)" "$TMP/st.out" ||
	fail "status does not report the open upload: $(cat "$TMP/st.out")"
next_update 3
said "an upload is open (loading reads 1)"
eq "loading after the refusal" "$(cat "$FW/loading")" 1
eq "data after the refusal" "$(wc -c <"$FW/data")" "$got"
next_update 0 --cancel-stale
said "warning: cancelled a half-done upload (loading was 1)"
host_ok 1.5.25
stop_server
summary_has "updates applied" 1
no_loss_logged
row mid-data "loading=1, $got/$SIZE bytes; status names it" \
	"refused, exit 3; --cancel-stale completes"

# ---- after loading=0 --------------------------------------------------------------
# Slowed 256-byte writes keep loading at 1 long enough to be seen; the kill
# comes once it reads 0 again: the kernel has the image and runs the update alone.
start_server afterload --module 1.5.24 --stw-delay 1s
start_update_slow --chunk 256
until_ok "loading 1" grep -qx 1 "$FW/loading"
until_ok "loading 0 again" grep -qx 0 "$FW/loading"
seen=$(cat "$FW/status")
kill9 "$UPID"
case "$seen" in
receiving | preparing | transferring) ;;
*) fail "status '$seen' right after loading=0" ;;
esac
host_ok 1.5.25
eq "error after the orphaned update" "$(cat "$FW/error")" ""
next_update 0
said "already running 1.5.25"
log_has "update attempt 1: applied; module 1.5.25"
stop_server
summary_has "updates applied" 1
no_loss_logged
row after-loading-0 "kernel finishes alone ($seen seen): 1.5.25" "already current (exit 0)"

# ---- transferring -----------------------------------------------------------------
start_server transfer --module 1.5.24 --stw-delay 2s
start_update
until_ok "status transferring" grep -qx transferring "$FW/status"
until_ok "every CPU stopped" grep -q "stop_machine: every CPU stopped" "$SRV_LOG"
kill9 "$UPID"
eq "status right after the kill" "$(cat "$FW/status")" transferring
host_ok 1.5.25
eq "remaining_size" "$(cat "$FW/remaining_size")" 0
next_update 0
said "already running 1.5.25"
log_has "update attempt 1: applied; module 1.5.25"
stop_server
summary_has "updates applied" 1
summary_has "lost TDs" 0
no_loss_logged
row transferring "kernel finishes alone: 1.5.25" "already current (exit 0)"

# ---- the server, mid-update ------------------------------------------------------
# The whole emulated host dies with its server (a crash of the machine):
# the updater and `tdxup status` must say that nothing is known, not guess.
start_server server --module 1.5.24 --stw-delay 3s
start_update
until_ok "status transferring" grep -qx transferring "$FW/status"
until_ok "every CPU stopped" grep -q "stop_machine: every CPU stopped" "$SRV_LOG"
kill -KILL "$SRV_PID"
until_ok "the server gone" server_gone "$SRV_PID"
urc=0
wait "$UPID" || urc=$?
eq "updater exit when its host died" "$urc" 1
grep -q "sysfs I/O error after the upload started: Transport endpoint is not connected (the sysfs server is gone: a dead mount); .* whether the module was replaced, left or lost is unknown: check \`tdxup status\`" \
	"$TMP/u.err" || fail "updater: $(cat "$TMP/u.err")"
grep -q "update attempt" "$SRV_LOG" && fail "a killed server logged an outcome"
rc=0
"$TDXUP" status --sysroot "$MNT" >"$TMP/st.out" 2>"$TMP/st.err" || rc=$?
eq "status on the dead mount" "$rc" 1
grep -q "Transport endpoint is not connected: a dead FUSE mount, its server is gone" \
	"$TMP/st.err" || fail "status: $(cat "$TMP/st.err")"
next_update 3
said "a dead FUSE mount, its server is gone"
rc=0
"$TDXUP" serve --mount "$MNT" --detach >/dev/null 2>"$TMP/again.err" || rc=$?
eq "serve on the dead mount" "$rc" 1
grep -q "a dead FUSE mount is still there" "$TMP/again.err" || fail "$(cat "$TMP/again.err")"
fusermount3 -u -z "$MNT"
# Served again: a rebooted host, the boot module.
SRV_LOG=$TMP/server/log2 SRV_OUT=$TMP/server/log2 SRV_ERR=$TMP/server/log2
pid=$(timeout -s KILL 200 "$TDXUP" serve --mount "$MNT" --detach --log "$SRV_LOG" --module 1.5.24) ||
	fail "serve after the crash"
SRV_PID=$pid
SERVER_PIDS+=("$pid")
host_ok 1.5.24
next_update 0
host_ok 1.5.25
stop_server
summary_has "updates applied" 1
row server "host gone; updater exit 1 'unknown'; status: dead mount" \
	"names the dead mount (exit 3); after a reboot completes"

printf '%-15s | %-62s | %s\n' phase "after the kill" "next update"
printf '%s\n' "${MATRIX[@]}"
echo "PASS"
