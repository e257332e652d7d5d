#!/usr/bin/env bash
# tdxup demo: every outcome as expected, and the timeline shows the key events.
set -euo pipefail

. "$(dirname "$0")/lib.bash"

rc=0
"$TDXUP" demo >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 0 ] || { cat "$TMP/out" "$TMP/err" >&2; fail "demo exited $rc"; }
[ ! -s "$TMP/err" ] || fail "demo wrote to stderr: $(cat "$TMP/err")"

want() { grep -qF -- "$1" "$TMP/out" || fail "demo output lacks: $1"; }
want "SYS.SHUTDOWN(HV 1 | AVOID_COMPAT_SENSITIVE): refused, nothing changed -> TDX_UPDATE_COMPAT_SENSITIVE (0x8000051200010000)"
want "retry SYS.SHUTDOWN(HV 1 | AVOID_COMPAT_SENSITIVE) -> TDX_SUCCESS (0x0000000000000000)"
want "module 1.5.30 ready"
want "TD B: next PAGE.ADD refused before any change -> TDX_INCOMPATIBLE_MRTD_CONTEXT (0xC000062200000000)"
want "the erratum:"
want "demo: every outcome as expected"
grep -q "UNEXPECTED" "$TMP/out" && fail "demo reports an unexpected outcome"
# Without mitigation B's MRTD differs from the offline one; with the seed it matches.
[ "$(grep -c 'TD B MRTD .* != offline' "$TMP/out")" -eq 1 ] || fail "erratum not shown once"
[ "$(grep -c 'TD B MRTD .* == offline' "$TMP/out")" -eq 1 ] || fail "v8 run: B not measured right"
# TD A survives all three updates.
[ "$(grep -c 'TD A runs on LP 3 (after the update)' "$TMP/out")" -eq 3 ] || fail "TD A did not survive"

echo "PASS"
