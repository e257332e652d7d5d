#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/libvirt/qemu called exactly as libvirt calls it, one process per
# phase with the domain XML on stdin, and contrib/qemu/tdxup-qemu-wrapper
# around a fake QEMU: the lease entries appear and vanish, a concurrent
# `tdxup lease hold` waits for the build in flight and holds the next
# prepare until it releases. Waits are bounded polls for a condition.
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
HOOK=$SRC/contrib/libvirt/qemu
WRAPPER=$SRC/contrib/qemu/tdxup-qemu-wrapper
ROOT=$TMP/root
export TDXUP TDXUP_SYSROOT=$ROOT TDXUP_LEASE_TIMEOUT=30s

td_xml() { printf "<domain type='kvm'><name>%s</name><launchSecurity type='tdx'/></domain>\n" "$1"; }
plain_xml() { printf "<domain type='kvm'><name>%s</name></domain>\n" "$1"; }
hook() { "$HOOK" "$@"; }

# ids: the build ids in flight, sorted, space-separated.
ids() {
	"$TDXUP" lease list --json --sysroot "$ROOT" |
		python3 -c 'import json,sys; print(" ".join(sorted(b["id"] for b in json.load(sys.stdin)["builds"])))'
}
held() {
	"$TDXUP" lease list --json --sysroot "$ROOT" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["held"])'
}
# until CMD...: poll (5 ms) until CMD succeeds, at most 20 s.
until_ok() {
	local i
	for ((i = 0; i < 4000; i++)); do
		"$@" && return 0
		sleep 0.005
	done
	fail "never true: $*"
}
ids_are() { [ "$(ids)" = "$1" ]; }
is_held() { [ "$(held)" = True ]; }

# A plain domain never touches tdxup, even a broken one.
plain_xml web | TDXUP=/nonexistent hook web prepare begin - || fail "plain prepare failed"
plain_xml web | TDXUP=/nonexistent hook web release end - || fail "plain release failed"
[ ! -e "$ROOT/run/tdxup/lease" ] || fail "a plain domain created the lease directory"
# A TD whose lease cannot be taken does not start.
rc=0
td_xml td0 | TDXUP=/nonexistent hook td0 prepare begin - 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "a TD started without its lease"

# prepare: the build is in flight; the hook's process is gone (libvirt waits for it).
td_xml td1 | hook td1 prepare begin - || fail "prepare td1 failed"
[ "$(ids)" = "libvirt-td1" ] || fail "after prepare: '$(ids)'"
# Other phases are ignored.
td_xml td1 | hook td1 start begin - || fail "start begin failed"
[ "$(ids)" = "libvirt-td1" ] || fail "start begin ended the build"

# An updater holds: it waits for td1's build, and the next prepare waits for it.
"$TDXUP" lease hold --timeout 30s --sysroot "$ROOT" -- \
	sh -c 'touch "$0/ran"; i=0; while [ ! -e "$0/go" ] && [ $i -lt 4000 ]; do sleep 0.005; i=$((i+1)); done' "$TMP" \
	>"$TMP/hold.out" 2>&1 &
holdpid=$!
until_ok is_held
[ ! -e "$TMP/ran" ] || fail "the hold ran its command with td1 in flight"
(td_xml td2 | hook td2 prepare begin -) &
prep2=$!
[ "$(ids)" = "libvirt-td1" ] || fail "td2 registered while held: '$(ids)'"
[ ! -e "$TMP/ran" ] || fail "the hold ran its command with td1 in flight"

td_xml td1 | hook td1 started begin - || fail "started td1 failed"
until_ok test -e "$TMP/ran"
[ "$(ids)" = "" ] || fail "builds in flight during the update: '$(ids)'"
kill -0 "$prep2" 2>/dev/null || fail "td2's prepare did not wait for the hold"
touch "$TMP/go"
wait "$holdpid" || fail "lease hold failed: $(cat "$TMP/hold.out")"
wait "$prep2" || fail "td2's prepare failed after the release"
[ "$(ids)" = "libvirt-td2" ] || fail "after release: '$(ids)'"

# release ends it; stopped and a second release are harmless.
td_xml td2 | hook td2 stopped end - || fail "stopped td2 failed"
td_xml td2 | hook td2 release end - || fail "release td2 failed"
[ "$(ids)" = "" ] || fail "after release: '$(ids)'"

# A name that is not an id is mapped to one, the same in every phase.
td_xml 'my vm' | hook 'my vm' prepare begin - || fail "prepare 'my vm' failed"
sum=$(printf '%s' 'my vm' | cksum | cut -d' ' -f1)
[ "$(ids)" = "libvirt-my_vm-$sum" ] || fail "'my vm' id: '$(ids)'"

# A hold that times out says which build is in flight, runs nothing, exits 4.
run 4 lease hold --timeout 50ms --sysroot "$ROOT" -- touch "$TMP/never"
grep -q "still in flight: libvirt-my_vm-$sum (pid [0-9]*, libvirt domain my vm)" "$TMP/err" ||
	fail "hold timeout report: $(cat "$TMP/err")"
[ ! -e "$TMP/never" ] || fail "a timed-out hold ran its command"
[ "$(held)" = False ] || fail "a timed-out hold kept holding"
td_xml 'my vm' | hook 'my vm' release end - || fail "release 'my vm' failed"
[ "$(ids)" = "" ] || fail "after release of 'my vm': '$(ids)'"

# The holder killed with SIGKILL: nothing wedges.
td_xml td3 | hook td3 prepare begin -
pid=$("$TDXUP" lease list --json --sysroot "$ROOT" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["builds"][0]["pid"])')
kill -9 "$pid"
# The kernel drops the lock when the process is gone: wait for that (bounded).
gone() { local st; st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0; st=${st##*) }; [ "${st:0:1}" = Z ]; }
until_ok gone "$pid"
run 0 lease hold --timeout 0 --sysroot "$ROOT" -- true
[ "$(ids)" = "" ] || fail "a dead holder's build is still listed: '$(ids)'"

# Participation declarations.
run 0 lease participate libvirt --sysroot "$ROOT"
[ -f "$ROOT/etc/tdxup/lease.d/libvirt" ] || fail "no declaration"
run 0 lease withdraw libvirt --sysroot "$ROOT"
[ ! -e "$ROOT/etc/tdxup/lease.d/libvirt" ] || fail "declaration left"

# The QEMU wrapper: the lease spans QEMU's machine init, and QEMU keeps the pid.
export FAKE_QEMU_DIR=$TMP/q TDXUP_QEMU=$SRC/tests/lease/fake-qemu.py
mkdir -p "$FAKE_QEMU_DIR"
"$WRAPPER" -machine q35 &
wpid=$!
until_ok test -e "$FAKE_QEMU_DIR/pid"
[ "$(cat "$FAKE_QEMU_DIR/pid")" = "$wpid" ] || fail "QEMU does not have the wrapper's pid"
[ "$(ids)" = "qemu-$wpid" ] || fail "wrapper: no lease during init: '$(ids)'"
touch "$FAKE_QEMU_DIR/init"
until_ok ids_are ""
touch "$FAKE_QEMU_DIR/quit"
wait "$wpid" || fail "the fake QEMU failed"
echo "PASS"
