#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A libvirt declaration protects only once the daemon that runs hooks was
# started after the hook was installed (tdxup/vmm_active.h): `status` and
# `update --dry-run` (hence --check) say which VMMs protect, and
# `--hold-builds auto` counts only those. First on a sysroot's fake /proc
# (start times chosen around the hook's ctime), then on the real /proc with
# real processes named virtqemud.
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"
has() { grep -qF -- "$1" "$TMP/$2" || { cat "$TMP/$2" >&2; fail "$2 lacks: $1"; }; }
SRC=$(cd "$(dirname "$0")/../.." && pwd)

ROOT=$TMP/root
SYS=$ROOT/sys
DEV=$SYS/devices/faux/tdx_host
HOOK=$ROOT/etc/libvirt/hooks/qemu.d/tdxup
TCK=$(getconf CLK_TCK)
fake_sys "$SYS"
mkdir -p "$ROOT/proc/sys/kernel"
echo 7.2.0 >"$ROOT/proc/sys/kernel/osrelease"
mkdir -p "$ROOT/etc/tdxup/trusted-keys.d"
echo 50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5 \
	>"$ROOT/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384"
IMG=$TMP/m.blob
run 0 image build --version 1.5.25 -o "$IMG"
upd() { run "$1" update "$IMG" --sysroot "$ROOT" --cpu-fms 0x806f8 --dry-run "${@:2}"; }
# vmm_json: "name protecting" for each VMM in status --json.
vmm_json() {
	run 0 status --sysroot "$ROOT" --json
	python3 -c 'import json,sys; print(" ".join("%s:%s" % (v["name"], v["protecting"]) for v in json.load(open(sys.argv[1]))["vmms"]))' "$TMP/out"
}

# Nothing declared: auto refuses on 7.2 and status says so.
upd 3
run 0 status --sysroot "$ROOT"
has "build leases:" out
has "  none declared (etc/tdxup/lease.d/ is empty)" out

# Declared, hook not installed: not protecting, auto still refuses.
run 0 lease participate libvirt --sysroot "$ROOT"
has "tdxup: lease participate: libvirt is declared but NOT protecting yet: no hook at $HOOK" err
upd 3
has "tdxup: build leases: libvirt: declared, NOT protecting: no hook at $HOOK" err
has "update refused: whether the kernel 7.2.0 refuses an update during a TD build is not established" err
[ "$(vmm_json)" = "libvirt:False" ] || fail "status vmms: $(vmm_json)"

# A hook that is not executable is skipped by libvirt.
mkdir -p "$(dirname "$HOOK")"
install -m 0644 "$SRC/contrib/libvirt/qemu" "$HOOK"
upd 3
has "libvirt: declared, NOT protecting: $HOOK is not executable: libvirt skips it" err
chmod 0755 "$HOOK"
# No daemon running (no /proc entries): not protecting.
upd 3
has "libvirt: declared, NOT protecting: no libvirtd or virtqemud is running" err

# A fake /proc: boot time far from the real one, so its btime is used.
hook_s=$(stat -c %Z "$HOOK")
btime=$(($(awk '$1 == "btime" { print $2 }' /proc/stat) - 100000))
{ grep -v '^btime' /proc/stat; echo "btime $btime"; } >"$ROOT/proc/stat"
# fake_daemon PID COMM START_EPOCH_S [UID]: a process entry started then, run by UID (0).
fake_daemon() {
	local u=${4:-0}
	mkdir -p "$ROOT/proc/$1"
	echo "$2" >"$ROOT/proc/$1/comm"
	printf 'Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%s\nPid:\t%s\nPPid:\t1\nUid:\t%s\t%s\t%s\t%s\nGid:\t0\t0\t0\t0\n' \
		"$2" "$1" "$1" "$u" "$u" "$u" "$u" >"$ROOT/proc/$1/status"
	echo "$1 ($2) S 1 $1 $1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 $((($3 - btime) * TCK)) 0 0" \
		>"$ROOT/proc/$1/stat"
}
# Started before the hook: the daemon never loaded it.
fake_daemon 4242 virtqemud $((hook_s - 60))
upd 3
has "libvirt: declared, NOT protecting: virtqemud (pid 4242) started $(date -u -d @$((hook_s - 60)) +%FT%TZ), before the hook was installed" err
has "restart it (systemctl restart virtqemud)" err
# Another name is not a daemon that runs hooks.
rm -r "$ROOT/proc/4242"
fake_daemon 4243 virtnetworkd $((hook_s + 60))
upd 3
has "no libvirtd or virtqemud is running" err
# Restarted after the hook: protecting; auto holds.
fake_daemon 4244 libvirtd $((hook_s + 60))
upd 0 --json
python3 - "$TMP/out" <<'PY' || fail "update --json: $(cat "$TMP/out")"
import json, sys
h = json.load(open(sys.argv[1]))["hold_builds"]
assert h["decision"] == "hold", h
assert h["vmms"] == [{"name": "libvirt", "protecting": True, "why": h["vmms"][0]["why"]}], h
assert h["vmms"][0]["why"].startswith("libvirtd (pid 4244) started "), h
PY
[ "$(vmm_json)" = "libvirt:True" ] || fail "status vmms: $(vmm_json)"
run 0 status --sysroot "$ROOT"
has "  libvirt: protecting: libvirtd (pid 4244) started $(date -u -d @$((hook_s + 60)) +%FT%TZ), after the hook was installed" out
# Two daemons: the one started before the hook decides (it runs hooks too).
fake_daemon 4245 virtqemud $((hook_s - 1))
upd 3
has "virtqemud (pid 4245) started" err
rm -r "$ROOT/proc/4245"
# A daemon not run by root (a session daemon) runs no system hooks; nor
# does a user's process that made itself non-dumpable (its /proc/PID is
# root's then) and named itself libvirtd: its uids say whose it is.
fake_daemon 4244 libvirtd $((hook_s + 60)) 65534
upd 3
has "no libvirtd or virtqemud is running" err
fake_daemon 4244 libvirtd $((hook_s + 60))
# The hook replaced after the start (a reinstall): ctime moves, restart needed.
upd 0
sleep_until_after() { # poll until the clock is past epoch-ns $1 (bounded)
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(date +%s%N)" -gt "$1" ] && return 0
		sleep 0.005
	done
	fail "clock never passed $1"
}
fake_daemon 4244 libvirtd "$(date +%s)"
sleep_until_after $((($(date +%s) + 1) * 1000000000))
cp -p "$HOOK" "$HOOK.new" && mv "$HOOK.new" "$HOOK"
upd 3
has "libvirtd (pid 4244) started" err
has "before the hook was installed" err
# Other declarations count as declared.
rm -r "$ROOT/proc/4244"
run 0 lease participate qemu-wrapper --sysroot "$ROOT"
upd 0
has "build leases: qemu-wrapper: protecting: the wrapper takes the lease at every QEMU start" err
has "build leases: libvirt: declared, NOT protecting" err
run 0 lease withdraw qemu-wrapper --sysroot "$ROOT"

# ---- the real /proc: processes named virtqemud, the kernel's start times ----
rm -r "$ROOT/proc"
mkdir "$ROOT/proc"
if ! mount --bind /proc "$ROOT/proc" 2>/dev/null; then
	echo "PASS (fake /proc only: cannot bind-mount /proc here)"
	exit 0
fi
trap 'kill $(jobs -p) 2>/dev/null; umount -l "$ROOT/proc"; rm -rf "$TMP"' EXIT
# A host running a real libvirt daemon would decide these answers: skip then.
if grep -qxE "libvirtd|virtqemud" /proc/[0-9]*/comm 2>/dev/null; then
	echo "PASS (fake /proc only: a libvirt daemon runs here)"
	exit 0
fi
# This /proc's osrelease is the machine's: say the kernel cannot refuse.
upd() { run "$1" update "$IMG" --sysroot "$ROOT" --cpu-fms 0x806f8 --dry-run --kernel-busy no; }
cp /bin/sleep "$TMP/virtqemud"
"$TMP/virtqemud" 300 &
old=$!
# The hook put in place after the daemon started (ctime past its start tick).
sleep_until_after $(($(date +%s%N) + 50000000))
install -m 0755 "$SRC/contrib/libvirt/qemu" "$HOOK.new" && mv "$HOOK.new" "$HOOK"
upd 3
has "virtqemud (pid $old) started" err
has "before the hook was installed" err
kill "$old"
wait "$old" 2>/dev/null || true
sleep_until_after $(($(date +%s%N) + 50000000))
"$TMP/virtqemud" 300 &
new=$!
upd 0
has "libvirt: protecting: virtqemud (pid $new) started" err
echo PASS
