#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The lease on a shared host (docs/lease.md, "Who may take a lease";
# docs/security.md): a user outside the tdxup-lease group can open, hence
# flock, nothing of it, so it can block neither updates nor TD starts; a
# member can take and end its own leases without being root, and the hold
# sees them; a member cannot rename another's entry (sticky builds/), and
# renaming its own never hides it. Needs root (setpriv to drop to nobody).
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v setpriv >/dev/null || skip "setpriv not installed"
command -v flock >/dev/null || skip "flock not installed"

GROUP=tdxup-lease
made_group=0
if ! getent group "$GROUP" >/dev/null; then
	groupadd --system "$GROUP" || skip "cannot create group $GROUP"
	made_group=1
fi
gid=$(getent group "$GROUP" | cut -d: -f3)
cleanup_group() {
	[ "$made_group" -eq 0 ] || groupdel "$GROUP" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup_group EXIT

chmod 0755 "$TMP"
ROOT=$TMP/root
DIR=$ROOT/run/tdxup/lease
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups -- "$@"; }
as_member() { setpriv --reuid nobody --regid nogroup --groups "$gid" -- "$@"; }
# A copy of tdxup that nobody can run (the build tree may be under a 0700 home).
cp "$TDXUP" "$TMP/tdxup"
chmod 0755 "$TMP/tdxup"
T=$TMP/tdxup

# Root makes the directory, with the table's modes whatever the umask.
(umask 077; "$T" lease begin --id root-vm --sysroot "$ROOT" >/dev/null) ||
	fail "root's lease begin failed"
"$T" lease end --id root-vm --sysroot "$ROOT" || fail "root's lease end failed"
[ "$(stat -c '%a %G' "$DIR")" = "750 $GROUP" ] || fail "lease dir: $(stat -c '%a %G' "$DIR")"
[ "$(stat -c '%a %G' "$DIR/builds")" = "1770 $GROUP" ] || fail "builds: $(stat -c '%a %G' "$DIR/builds")"
[ "$(stat -c '%a %G' "$DIR/gate")" = "640 $GROUP" ] || fail "gate: $(stat -c '%a %G' "$DIR/gate")"
"$T" lease hold --timeout 1s --sysroot "$ROOT" -- true || fail "root's hold failed"
[ "$(stat -c '%a %U' "$DIR/updater")" = "600 root" ] || fail "updater: $(stat -c '%a %U' "$DIR/updater")"

# A stale hold as an updater killed would leave it.
"$T" lease hold --timeout 1s --sysroot "$ROOT" -- sh -c 'kill -9 $PPID' || true
[ -f "$DIR/hold" ] || fail "no stale hold left to attack"

# nobody: every lease file is out of reach; flock cannot even open them.
for f in hold gate updater builds; do
	rc=0
	as_nobody flock -n "$DIR/$f" true 2>"$TMP/err" || rc=$?
	[ "$rc" -ne 0 ] && grep -q "Permission denied" "$TMP/err" ||
		fail "nobody could open $f (rc $rc): $(cat "$TMP/err")"
done
rc=0
as_nobody "$T" lease begin --id evil --timeout 1s --sysroot "$ROOT" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q "Permission denied\|may not\|cannot" "$TMP/err" ||
	fail "nobody's lease begin: rc $rc: $(cat "$TMP/err")"

# A member takes a lease without root; root's hold sees it and waits for it.
as_member "$T" lease begin --id member-vm --timeout 5s --sysroot "$ROOT" ||
	fail "a member could not begin a lease"
[ "$(stat -c '%U' "$DIR/builds/member-vm")" = nobody ] || fail "entry not the member's"
rc=0
"$T" lease hold --timeout 300ms --sysroot "$ROOT" -- true 2>"$TMP/err" || rc=$?
[ "$rc" -eq 4 ] && grep -q "member-vm" "$TMP/err" || fail "hold ignored the member's build: rc $rc $(cat "$TMP/err")"

# Sticky builds/: another member cannot rename or remove it ...
rc=0
setpriv --reuid daemon --regid daemon --groups "$gid" -- \
	mv "$DIR/builds/member-vm" "$DIR/builds/.gone" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] && [ -f "$DIR/builds/member-vm" ] || fail "another member renamed the entry"
# ... and its owner renaming it to a dot-name does not hide it from a hold.
as_member mv "$DIR/builds/member-vm" "$DIR/builds/.hidden" || fail "owner cannot rename"
rc=0
"$T" lease hold --timeout 300ms --sysroot "$ROOT" -- true 2>"$TMP/err" || rc=$?
[ "$rc" -eq 4 ] && grep -q ".hidden" "$TMP/err" || fail "a renamed build was hidden: rc $rc $(cat "$TMP/err")"
as_member mv "$DIR/builds/.hidden" "$DIR/builds/member-vm"
as_member "$T" lease end --id member-vm --sysroot "$ROOT" || fail "the member could not end its lease"
"$T" lease hold --timeout 5s --sysroot "$ROOT" -- true || fail "hold after the member ended"

# A member cannot make root's files: with the directory gone, it says who makes it.
rm -rf "$ROOT/run/tdxup"
mkdir -p "$ROOT/run/tdxup"
rc=0
as_member "$T" lease begin --id m2 --timeout 1s --sysroot "$ROOT" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q "created by tdxup run as root or by systemd-tmpfiles" "$TMP/err" ||
	fail "member on a missing dir: rc $rc: $(cat "$TMP/err")"

# Planted paths are refused by name before anything is written (exit 3).
rm -rf "$ROOT/run/tdxup"
mkdir -p "$ROOT/run/tdxup" "$TMP/elsewhere"
ln -s "$TMP/elsewhere" "$DIR"
rc=0
"$T" lease hold --timeout 1s --sysroot "$ROOT" -- true 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q "lease: is a symlink, refused" "$TMP/err" || fail "symlinked dir: rc $rc $(cat "$TMP/err")"
[ -z "$(ls -A "$TMP/elsewhere")" ] || fail "something was written through the symlink"
rm "$DIR"
mkdir -m 0777 "$DIR"
chmod 0777 "$DIR"
rc=0
"$T" lease begin --id x --timeout 1s --sysroot "$ROOT" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q "writable by others (mode 0777), refused" "$TMP/err" ||
	fail "world-writable dir: rc $rc $(cat "$TMP/err")"
[ -z "$(ls -A "$DIR")" ] || fail "something was written in a world-writable lease dir"
chmod 0750 "$DIR"
chown nobody "$DIR"
rc=0
"$T" lease hold --timeout 1s --sysroot "$ROOT" -- true 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q "owned by uid 65534, not by root, refused" "$TMP/err" ||
	fail "foreign dir: rc $rc $(cat "$TMP/err")"
chown root "$DIR"
mkfifo -m 0640 "$DIR/gate"
rc=0
"$T" lease hold --timeout 1s --sysroot "$ROOT" -- true 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] && grep -q "gate: not a regular file, refused" "$TMP/err" || fail "FIFO gate: rc $rc $(cat "$TMP/err")"
echo "lease users: nobody blocks nothing, members lease without root, planted paths refused"
