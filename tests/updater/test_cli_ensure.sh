#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tdxup update --ensure` and `--check` on the command line, against a serving
# host: the JSON's changed/would_change/check/ensure, the exit status a real run
# would give, the host lock probed and left to its holder, usage errors.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=../sysfs/fuse_lib.bash
. "$(dirname "$0")/../sysfs/fuse_lib.bash"
fuse_usable
command -v flock >/dev/null || skip "flock (util-linux) not installed"

CAT=$TMP/cat
make_catalog "$CAT" 1.5.24 1.5.25

# update WANT_RC ARGS...: JSON in $TMP/out, progress in $TMP/err
update() {
	local want=$1 rc=0
	shift
	timeout 120 "$TDXUP" update "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$TMP/out" "$TMP/err" >&2; fail "update $* exited $rc, not $want"; }
}
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($1)" "$TMP/out"; }
# flags: result changed would_change check ensure
flags() { json '" ".join(str(j[k]) for k in ("result", "changed", "would_change", "check", "ensure"))'; }

start_server ensure --module 1.5.24
# The host lock is keyed to the fw_upload device's identity (host_lock.h).
LOCK=/run/tdxup/lock/fwdev-$(stat -L -c '%Hd:%Ld-%i' "$FW").lock
rm -f "$LOCK"
# --check: what a real run would do, nothing written.
update 0 --ensure 1.5.25 --catalog "$CAT" --sysroot "$MNT" --check --json
eq "check" "$(flags)" "dry-run False True True 1.5.25"
eq "version after --check" "$(cat "$DEV/version")" 1.5.24
[ -e "$LOCK" ] && fail "--check made the lock file"

# Another update holds the host lock: --check exits 3 as the real run does,
# and the holder keeps the lock.
mkdir -p -m 0700 /run/tdxup/lock
(umask 077 && echo "pid 1 (fleet test) since now" >"$LOCK")
# This shell holds it (fd 9), as a running updater would.
exec 9<>"$LOCK"
flock -n 9 || fail "cannot take $LOCK"
update 3 --ensure 1.5.25 --catalog "$CAT" --sysroot "$MNT" --check --json
eq "check, locked" "$(flags)" "refused False False True 1.5.25"
has "another update of this host is running: pid 1 (fleet test) since now holds $LOCK; a real run would be refused, nothing was written" out
update 3 --ensure 1.5.25 --catalog "$CAT" --sysroot "$MNT" --json
eq "real run, locked" "$(flags)" "refused False False False 1.5.25"
flock -n "$LOCK" true && fail "the holder lost its lock to a check"
exec 9>&-

# The real run, then reruns: no-ops, even with the catalogue gone.
update 0 --ensure 1.5.25 --catalog "$CAT" --sysroot "$MNT" --json
eq "ensure" "$(flags)" "updated True True False 1.5.25"
eq "version" "$(cat "$DEV/version")" 1.5.25
update 0 --ensure 1.5.25 --catalog "$TMP/nowhere" --sysroot "$MNT" --json
eq "rerun" "$(flags)" "current False False False 1.5.25"
eq "rerun reason" "$(json 'j["reason"]')" "already running 1.5.25"
update 0 --ensure 1.5.25 --catalog "$TMP/nowhere" --sysroot "$MNT" --check --json
eq "rerun, check" "$(flags)" "current False False True 1.5.25"
update 0 --ensure latest --catalog "$CAT" --sysroot "$MNT" --json
eq "latest" "$(flags)" "current False False False latest"
# Without --ensure the same catalogue-less run is refused: the catalogue is read.
update 3 --catalog "$TMP/nowhere" --version 1.5.25 --sysroot "$MNT" --json
eq "no --ensure" "$(json 'j["result"]')" refused
eq "no --ensure, changed" "$(json 'j["changed"]')" False

# Usage.
update 2 --ensure 1.5 --catalog "$CAT" --sysroot "$MNT"
has "update: --ensure: X.Y.Z or latest, not '1.5'" err
update 2 --ensure latest "$CAT/joined_files/1.5/tdx_module_1.5.25.blob" --sysroot "$MNT"
has "update: --ensure latest: the catalogue's choice, with --catalog DIR and no IMAGE" err
update 2 --ensure 1.5.25 --version 1.5.25 --catalog "$CAT" --sysroot "$MNT"
has "update: --ensure names the version: not with --version" err
update 2 --ensure 1.5.25 --reinstall --catalog "$CAT" --sysroot "$MNT"
has "update: --ensure installs only what does not run: not with --reinstall" err
stop_server
summary_has "updates applied" 1
echo PASS
