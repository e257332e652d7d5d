#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# serve --mount DIR wants an existing empty directory (its help says so):
#  - a directory a server already serves is refused, the refusal names that
#    server, and the first server goes on serving (one mount, same files,
#    a clean stop);
#  - a non-empty directory is refused and left as it was, nothing mounted.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

mounts_of() { grep -c " $1 " /proc/self/mountinfo || true; }

# ---- a live mount ---------------------------------------------------------------
start_server live --module 1.5.24
first=$SRV_PID
for mode in foreground detach; do
	rc=0
	args=()
	[ "$mode" = detach ] && args=(--detach)
	timeout -s KILL 60 "$TDXUP" serve --mount "$MNT" "${args[@]}" >"$TMP/second.out" \
		2>"$TMP/second.err" || rc=$?
	eq "second serve ($mode) exit" "$rc" 1
	grep -qF "$MNT: already served by \`tdxup serve\` (PID $first); stop it first with \`tdxup serve --stop $MNT\`" \
		"$TMP/second.err" || { cat "$TMP/second.err" >&2; fail "second serve ($mode): refusal"; }
	eq "second serve ($mode) stdout" "$(cat "$TMP/second.out")" ""
done
server_gone "$first" && fail "the first server died"
eq "mounts on $MNT" "$(mounts_of "$MNT")" 1
eq "version through the first server" "$(cat "$DEV/version")" 1.5.24
eq "status through the first server" "$(cat "$FW/status")" idle
stop_server
eq "mounts on $MNT after the stop" "$(mounts_of "$MNT")" 0

# ---- a non-empty directory ------------------------------------------------------
D=$TMP/full
mkdir -p "$D"
echo keep >"$D/precious"
rc=0
timeout -s KILL 60 "$TDXUP" serve --mount "$D" --detach >"$TMP/full.out" 2>"$TMP/full.err" || rc=$?
eq "serve on a non-empty directory" "$rc" 1
grep -qF "$D: not empty (it holds 'precious'); serve wants an existing empty directory" \
	"$TMP/full.err" || { cat "$TMP/full.err" >&2; fail "non-empty: refusal"; }
eq "mounts on the non-empty directory" "$(mounts_of "$D")" 0
eq "its file" "$(cat "$D/precious")" keep

# A directory emptied again is fine: the check is about contents, not history.
rm "$D/precious"
MOUNTS+=("$D")
pid=$(timeout -s KILL 200 "$TDXUP" serve --mount "$D" --detach --log "$TMP/full.log") ||
	fail "serve on the emptied directory: $(cat "$TMP/full.log")"
SERVER_PIDS+=("$pid")
eq "version on the emptied directory" "$(cat "$D/sys/devices/faux/tdx_host/version")" 1.5.25
timeout 120 "$TDXUP" serve --stop "$D" || fail "serve --stop on the emptied directory"
eq "mounts on the emptied directory" "$(mounts_of "$D")" 0
echo "PASS"
