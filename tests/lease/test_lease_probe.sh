#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tdxup lease begin` waits while the target's kernel has a module upload
# open or running (docs/lease.md, "The upload probe"): SYSROOT/sys is a
# tree of plain files here, so every state is set exactly.
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"
# A failed check must not leave a holder process behind: end what began.
trap '"$TDXUP" lease end --id vm-0 --sysroot "$ROOT" >/dev/null 2>&1 || true
      "$TDXUP" lease end --id vm-1 --sysroot "$ROOT" >/dev/null 2>&1 || true
      rm -rf "$TMP"' EXIT

ROOT=$TMP/root
FW=$ROOT/sys/class/firmware/tdx_module
mkdir -p "$FW"
set_fw() { printf '%s\n' "$1" >"$FW/loading"; printf '%s\n' "$2" >"$FW/status"; }
live() { "$TDXUP" lease list --sysroot "$ROOT" --json |
	python3 -c 'import json, sys; print(len(json.load(sys.stdin)["builds"]))'; }

# No fw_upload device at all: nothing can update, begin goes through.
rmdir "$FW"
run 0 lease begin --id vm-0 --sysroot "$ROOT" --timeout 0
run 0 lease end --id vm-0 --sysroot "$ROOT"
mkdir -p "$FW"

# The kernel is updating (an updater killed after loading=0): busy, exit 4.
set_fw 0 transferring
run 4 lease begin --id vm-1 --sysroot "$ROOT" --timeout 50ms
grep -qF "a module update is in progress ($FW/status reads transferring: the kernel is updating the module)" \
	"$TMP/err" || fail "begin: $(cat "$TMP/err")"
[ "$(live)" = 0 ] || fail "a build stayed registered while the kernel was updating"

# An upload left open (killed between loading=1 and loading=0): busy too, and
# the error says how to clear it.
set_fw 1 idle
run 4 lease begin --id vm-1 --sysroot "$ROOT" --timeout 50ms
grep -qF "$FW/loading reads 1: an upload is open" "$TMP/err" || fail "begin: $(cat "$TMP/err")"
grep -qF "tdxup update --cancel-stale" "$TMP/err" || fail "begin: $(cat "$TMP/err")"

# An attribute that cannot be read: cannot tell, so busy.
rm "$FW/status"
printf '0\n' >"$FW/loading"
run 4 lease begin --id vm-1 --sysroot "$ROOT" --timeout 0
grep -qF "$FW/status: No such file or directory" "$TMP/err" || fail "begin: $(cat "$TMP/err")"

# Idle and not loading: the build is in flight.
set_fw 0 idle
run 0 lease begin --id vm-1 --sysroot "$ROOT" --timeout 0
grep -q "^build vm-1 in flight (holder pid [0-9]*)$" "$TMP/out" || fail "begin: $(cat "$TMP/out")"
[ "$(live)" = 1 ] || fail "vm-1 not in flight"
run 0 lease end --id vm-1 --sysroot "$ROOT"
[ "$(live)" = 0 ] || fail "vm-1 still in flight after end"
echo PASS
