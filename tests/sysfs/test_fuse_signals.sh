#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The build hold lives until the kernel's outcome is known, whatever
# happens to the updater (docs/lease.md). Under mainline (no busy
# rejection: the lease is all that keeps builds out) with builders that
# follow the lease, `tdxup update --hold-builds on` gets a signal at each
# phase of its upload, injected by strace at the system call that marks
# the phase: the loading=1 write, a data write, the loading=0 write, the
# first and a later status read after it; and SIGKILL after loading=0.
# Before loading=0 a SIGTERM cancels the upload (nothing reaches the
# module); after it, the signal is deferred until the outcome is known and
# then acted on; SIGKILL cannot be deferred, and the builders' upload probe
# keeps them out until the kernel is done. Every case: 0 wrong MRTDs.
# The updater runs with --io-timeout 0 so that its sysfs calls are its own
# system calls, where strace's injection reaches it (bounded calls run in a
# child process each).
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable
command -v strace >/dev/null || skip "strace not installed (scripts/install-deps)"
"${STRACE[@]}" -qq -o /dev/null -e trace=none true 2>/dev/null || skip "strace cannot trace here (ptrace)"

IMG=$TMP/tdx_module_1.5.30.blob
"$TDXUP" image build --version 1.5.30 -o "$IMG" >/dev/null || fail "image build 1.5.30"
# 1.5.24 -> 1.5.30 under mainline: a build the update crosses ends with a
# wrong MRTD. The builders' windows stay open 20 ms, 1 ms apart. The kernel
# takes 200 ms to gather the CPUs (they run on, builds too) and keeps them
# 300 ms: the updater reads status several times after loading=0, and a
# builder let in after loading=0 is sure to be mid-build at the shutdown.
WORKLOAD=builders=4,pages=64,gap=1ms,hold=20ms
HOST=(--module 1.5.24 --profile mainline --workload "$WORKLOAD" --stw-enter-delay 200ms
      --stw-delay 300ms)
DEFERRED="arrived while the kernel was updating the module; it was deferred until the kernel's outcome was known"
CANCELLED="arrived before loading=0: the upload was cancelled, nothing reached the module"

# signalled NAME WANT_RC STRACE_ARGS...: a fresh host; the update under
# strace (paths @FW@ stand for the fw_upload directory); then the kernel
# idle, the server stopped and its summary in $SRV_OUT. rc in $RC.
signalled() {
	local name=$1 want=$2 args=() a
	shift 2
	start_server "$name" "${HOST[@]}"
	for a in "$@"; do args+=("${a//@FW@/$FW}"); done
	RC=0
	timeout -s KILL 60 "${STRACE[@]}" -f -qq -o "$TMP/$name/strace" "${args[@]}" \
		"$TDXUP" update "$IMG" --sysroot "$MNT" --hold-builds on --retry-for 20s --io-timeout 0 \
		>"$TMP/out" 2>"$TMP/err" || RC=$?
	[ "$RC" -eq "$want" ] || { cat "$TMP/out" "$TMP/err" >&2; fail "$name: exit $RC, not $want"; }
	# Killed or not, the kernel finishes on its own; then no builder may be
	# in the middle of a build the update crossed.
	wait_idle "$FW"
	eq "$name: loading after the run" "$(cat "$FW/loading")" 0
	VERSION=$(cat "$DEV/version")
	stop_server
	summary_has "wrong MRTDs" 0
	grep -qE "^  TD builds: +[1-9][0-9]* \(failed: 0\)" "$SRV_OUT" ||
		{ cat "$SRV_OUT" >&2; fail "$name: no builds counted"; }
}

# ---- the phases, found in a trace: status reads before loading=0 --------------
# SIGTERM at the loading=0 write (the second write to loading): deferred.
signalled loading0 143 -P @FW@/loading -e trace=pwrite64 -e inject=pwrite64:signal=SIGTERM:when=2
has "updated: updated the TDX module from 1.5.24 to 1.5.30" out
has "SIGTERM $DEFERRED" err
eq "version (loading=0)" "$VERSION" 1.5.30
summary_has "updates applied" 1

# How many times the updater opens status before loading=0 (a trace of its
# own run, so the count follows the code): the next opening is the first
# read after loading=0.
start_server count "${HOST[@]}"
timeout -s KILL 60 "${STRACE[@]}" -f -qq -o "$TMP/count.trace" -P "$FW/status" -P "$FW/loading" \
	-e trace=openat,pwrite64 "$TDXUP" update "$IMG" --sysroot "$MNT" --hold-builds on --io-timeout 0 \
	>"$TMP/out" 2>"$TMP/err" || { cat "$TMP/err" >&2; fail "the traced update failed"; }
BEFORE=$(awk '/pwrite64\([0-9]+, "0", 1, 0\)/ { print n + 0; exit } /tdx_module\/status"/ { n++ }' \
	"$TMP/count.trace")
[[ "$BEFORE" =~ ^[1-9][0-9]*$ ]] || { cat "$TMP/count.trace" >&2; fail "no loading=0 in the trace"; }
AFTER=$(awk -v b="$BEFORE" '/tdx_module\/status"/ { n++ } END { print n - b }' "$TMP/count.trace")
# stop_machine's 300 ms at a 100 ms poll: several reads after loading=0.
[ "$AFTER" -ge 3 ] || fail "only $AFTER status reads after loading=0"
stop_server
summary_has "updates applied" 1
summary_has "wrong MRTDs" 0
FIRST=$((BEFORE + 1))
LATER=$((BEFORE + 2))

# ---- before loading=0: the upload is cancelled, nothing reaches the module ----
# At the loading=1 write: it completes, the first data write finds the signal.
# The run ends by the signal: 128 + N.
signalled loading1 143 -P @FW@/loading -e trace=pwrite64 -e inject=pwrite64:signal=SIGTERM:when=1
has "stopped (SIGTERM) before loading=0: the upload was cancelled (loading=-1), nothing reached the module" err
has "SIGTERM $CANCELLED" err
eq "version (loading=1)" "$VERSION" 1.5.24
summary_has "updates attempted" 0

signalled data 130 -P @FW@/data -e trace=pwrite64 -e inject=pwrite64:signal=SIGINT:when=2
has "stopped (SIGINT) before loading=0" err
has "SIGINT $CANCELLED" err
eq "version (data)" "$VERSION" 1.5.24
summary_has "updates attempted" 0

# ---- after loading=0: deferred until the outcome is known --------------------
signalled status-first 143 -P @FW@/status -e trace=openat -e inject=openat:signal=SIGTERM:when=$FIRST
has "updated: updated the TDX module from 1.5.24 to 1.5.30" out
has "SIGTERM $DEFERRED" err
eq "version (first status read)" "$VERSION" 1.5.30
summary_has "updates applied" 1

# SIGHUP (a closed terminal) at a later status read: 128 + 1.
signalled status-later 129 -P @FW@/status -e trace=openat -e inject=openat:signal=SIGHUP:when=$LATER
has "updated: updated the TDX module from 1.5.24 to 1.5.30" out
has "SIGHUP $DEFERRED" err
eq "version (later status read)" "$VERSION" 1.5.30
summary_has "updates applied" 1

# SIGPWR (init or a UPS daemon on power loss) ends a process too: 128 + 30.
signalled status-pwr 158 -P @FW@/status -e trace=openat -e inject=openat:signal=SIGPWR:when=$FIRST
has "updated: updated the TDX module from 1.5.24 to 1.5.30" out
has "SIGPWR $DEFERRED" err
eq "version (SIGPWR)" "$VERSION" 1.5.30
summary_has "updates applied" 1

# ---- SIGKILL after loading=0: nothing to defer; the builders' probe -----------
# The hold's lock dies with the updater, but status stays away from idle
# until the kernel is done: the builders wait for that.
signalled kill 137 -P @FW@/status -e trace=openat -e inject=openat:signal=SIGKILL:when=$FIRST
[ ! -s "$TMP/out" ] || fail "SIGKILL: the updater printed a result: $(cat "$TMP/out")"
eq "version (SIGKILL)" "$VERSION" 1.5.30
summary_has "updates applied" 1
echo PASS
