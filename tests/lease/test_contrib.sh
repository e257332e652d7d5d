#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# contrib/libvirt/qemu called exactly as libvirt calls it, one process per
# phase with the domain XML on stdin, and contrib/qemu/tdxup-qemu-wrapper
# around a fake QEMU: the lease entries appear and vanish, a concurrent
# `tdxup lease hold` waits for the build in flight and holds the next
# prepare until it releases; the wrapper ends the lease only on a status of
# a built machine (never preconfig), also as a VMM user in the lease group,
# and with the real qemu-system-x86_64 (TCG, -preconfig) when installed.
# Waits are bounded polls for a condition.
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
HOOK=$SRC/contrib/libvirt/qemu
WRAPPER=$SRC/contrib/qemu/tdxup-qemu-wrapper
ROOT=$TMP/root
export TDXUP TDXUP_SYSROOT=$ROOT TDXUP_LEASE_TIMEOUT=30s

xml_td() { printf "<domain type='kvm'><name>%s</name><launchSecurity type='tdx'/></domain>\n" "$1"; }
xml_plain() { printf "<domain type='kvm'><name>%s</name></domain>\n" "$1"; }
# A hook phase that does not read its stdin (started, release, ...) may exit
# before the XML is written: the writer must not fail the pipeline then
# (SIGPIPE under pipefail). libvirt itself ignores EPIPE there.
feed() { ( trap '' PIPE; "$@" ) 2>/dev/null || true; }
td_xml() { feed xml_td "$@"; }
plain_xml() { feed xml_plain "$@"; }
libvirt_xml() { feed xml_libvirt "$@"; }
# The hook as libvirt runs it: from hooks/qemu.d/, by its path there, with
# the domain's XML on stdin and "-" as the fourth argument.
QEMU_D=$TMP/etc/libvirt/hooks/qemu.d
install -D -m 0755 "$HOOK" "$QEMU_D/tdxup"
hook() { "$QEMU_D/tdxup" "$@"; }
# A domain XML as libvirt passes it to `prepare begin` (the live
# definition: id, uuid, devices, a TDX launchSecurity with children).
xml_libvirt() { # NAME LAUNCH-SECURITY-TYPE
	cat <<XML
<domain type='kvm' id='7'>
  <name>$1</name>
  <uuid>5f0c6f1e-3a43-4bb6-9d0a-2f6a5c1f0e11</uuid>
  <memory unit='KiB'>4194304</memory>
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-8.2'>hvm</type>
    <loader type='rom' readonly='yes'>/usr/share/ovmf/OVMF.inteltdx.fd</loader>
  </os>
  <features><acpi/><apic/><ioapic driver='qemu'/></features>
  <cpu mode='host-passthrough' check='none' migratable='off'/>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/$1.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
  <launchSecurity type="$2">
    <policy>0x10000000</policy>
  </launchSecurity>
</domain>
XML
}

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
not_held() { [ "$(held)" = False ]; }

# A plain domain never touches tdxup, even a broken one.
plain_xml web | TDXUP=/nonexistent hook web prepare begin - || fail "plain prepare failed"
plain_xml web | TDXUP=/nonexistent hook web release end - || fail "plain release failed"
[ ! -e "$ROOT/run/tdxup/lease" ] || fail "a plain domain created the lease directory"
# A TD whose lease cannot be taken does not start.
rc=0
td_xml td0 | TDXUP=/nonexistent hook td0 prepare begin - 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "a TD started without its lease"

# The full XML libvirt passes: a TD (double-quoted type, children) takes
# the lease; an SEV guest does not touch tdxup.
libvirt_xml real-td tdx | hook real-td prepare begin - || fail "prepare real-td failed"
[ "$(ids)" = "libvirt-real-td" ] || fail "a libvirt TD XML took no lease: '$(ids)'"
libvirt_xml real-td tdx | hook real-td started begin - || fail "started real-td failed"
libvirt_xml real-td tdx | hook real-td release end - || fail "release real-td failed"
[ "$(ids)" = "" ] || fail "after release real-td: '$(ids)'"
libvirt_xml sev-vm sev | TDXUP=/nonexistent hook sev-vm prepare begin - || fail "an SEV guest failed"
[ "$(ids)" = "" ] || fail "an SEV guest took a lease: '$(ids)'"

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

# A stop signal while CMD runs (an upload, say) must not end the hold: it
# is passed on to CMD, and the hold ends when CMD exits. SIGKILL cannot be
# caught: CMD keeps the hold's lock, so builds stay held until it exits.
cmd_waits='trap "echo TERM >\"\$0/sig\"" TERM; touch "$0/ran"; i=0
while [ ! -e "$0/go" ] && [ $i -lt 4000 ]; do sleep 0.005; i=$((i+1)); done'
for how in TERM KILL; do
	rm -f "$TMP/ran" "$TMP/go" "$TMP/sig"
	"$TDXUP" lease hold --timeout 5s --sysroot "$ROOT" -- sh -c "$cmd_waits" "$TMP" \
		>"$TMP/hold.out" 2>&1 &
	holdpid=$!
	until_ok test -e "$TMP/ran"
	kill -"$how" "$holdpid"
	[ "$how" = KILL ] || until_ok test -e "$TMP/sig"
	[ "$how" = TERM ] || until_ok gone "$holdpid"
	[ "$(held)" = True ] || fail "SIG$how of lease hold ended the hold while CMD ran"
	rc=0
	(td_xml td4 | TDXUP_LEASE_TIMEOUT=50ms hook td4 prepare begin -) 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] && [ "$(ids)" = "" ] || fail "SIG$how: td4 registered while CMD ran"
	touch "$TMP/go"
	rc=0
	wait "$holdpid" || rc=$?
	if [ "$how" = TERM ]; then
		[ "$rc" -eq 0 ] || fail "lease hold after SIGTERM exited $rc: $(cat "$TMP/hold.out")"
		grep -q "lease hold: Terminated received while sh ran: passed on, builds held until it exited" \
			"$TMP/hold.out" || fail "SIGTERM report: $(cat "$TMP/hold.out")"
	fi
	until_ok not_held
done

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
ls /tmp/tdxup-qmp.* >/dev/null 2>&1 && fail "the wrapper left its QMP directory: $(ls -d /tmp/tdxup-qmp.*)"

# answered STATUS N: the fake QEMU has answered STATUS at least N times.
answered() { [ -e "$FAKE_QEMU_DIR/answers" ] && [ "$(grep -cx "$1" "$FAKE_QEMU_DIR/answers")" -ge "$2" ]; }
# fake_reset: a fresh fake QEMU directory.
fake_reset() { rm -rf "$FAKE_QEMU_DIR"; mkdir -p "$FAKE_QEMU_DIR"; chmod 0777 "$FAKE_QEMU_DIR"; }

# -preconfig: QEMU answers before its machine exists. The watcher has read
# "preconfig" twice and the lease is still in flight; it ends once the
# status is one of a built machine.
fake_reset
touch "$FAKE_QEMU_DIR/preconfig" "$FAKE_QEMU_DIR/init"
"$WRAPPER" -preconfig &
wpid=$!
until_ok answered preconfig 2
[ "$(ids)" = "qemu-$wpid" ] || fail "the lease ended on preconfig: '$(ids)'"
rm "$FAKE_QEMU_DIR/preconfig"
until_ok ids_are ""
answered running 1 || fail "ended without a running answer: $(cat "$FAKE_QEMU_DIR/answers")"
touch "$FAKE_QEMU_DIR/quit"
wait "$wpid" || fail "the fake QEMU failed"

# QEMU 6.0 and later say "prelaunch" during -preconfig too; query-kvm,
# refused until the machine is built, keeps the lease.
fake_reset
touch "$FAKE_QEMU_DIR/preconfig" "$FAKE_QEMU_DIR/init"
FAKE_QEMU_PRECONFIG_STATUS=prelaunch "$WRAPPER" -preconfig -S &
wpid=$!
until_ok answered prelaunch 2
[ "$(ids)" = "qemu-$wpid" ] || fail "the lease ended on a -preconfig prelaunch: '$(ids)'"
rm "$FAKE_QEMU_DIR/preconfig"
until_ok ids_are ""
touch "$FAKE_QEMU_DIR/quit"
wait "$wpid" || fail "the fake QEMU failed"

# A status that is not one of a built machine (an incoming migration, a
# name this tdxup does not know) never ends it; QEMU's exit does.
for st in inmigrate restore-vm x-new-state; do
	fake_reset
	touch "$FAKE_QEMU_DIR/init"
	FAKE_QEMU_STATUS=$st "$WRAPPER" &
	wpid=$!
	until_ok answered "$st" 2
	[ "$(ids)" = "qemu-$wpid" ] || fail "the lease ended on $st: '$(ids)'"
	touch "$FAKE_QEMU_DIR/quit"
	wait "$wpid" || fail "the fake QEMU failed"
	until_ok ids_are ""
done
# prelaunch (-S) and paused are built machines.
for st in prelaunch paused; do
	fake_reset
	touch "$FAKE_QEMU_DIR/init"
	FAKE_QEMU_STATUS=$st "$WRAPPER" -S &
	wpid=$!
	until_ok answered "$st" 1
	until_ok ids_are ""
	touch "$FAKE_QEMU_DIR/quit"
	wait "$wpid" || fail "the fake QEMU failed"
done

# ---- as a VMM user: nobody, in the lease group, nothing else ----
# The lease directory as tmpfiles.d makes it (dist/usr/lib/tmpfiles.d/tdxup.conf),
# under the sysroot. The group: tdxup-lease if the package made it, else an
# unused gid (nothing needs its name). Builders open root's gate read-only.
gid=$(getent group tdxup-lease | cut -d: -f3 || true)
[ -n "$gid" ] || gid=64999
chmod 0755 "$TMP"
L=$ROOT/run/tdxup/lease
rm -rf "$L"
install -d -m 0755 -o root -g root "$ROOT/run/tdxup"
install -d -m 0750 -o root -g "$gid" "$L"
install -d -m 1770 -o root -g "$gid" "$L/builds"
install -m 0600 -o root -g root /dev/null "$L/updater"
install -m 0640 -o root -g "$gid" /dev/null "$L/gate"
# Arrays, not functions: `CMD &` of a function would fork a subshell, and
# the wrapper's pid (the lease's id) would not be $!.
as_vmm=(setpriv --reuid nobody --regid nogroup --groups "$gid" --inh-caps=-all)
as_other=(setpriv --reuid nobody --regid nogroup --clear-groups --inh-caps=-all)
# Copies nobody can run: the checkout may sit under a 0700 directory (a home,
# mktemp -d), which a VMM user cannot traverse.
install -d -m 0755 "$TMP/bin"
install -m 0755 "$WRAPPER" "$TDXUP" "$TDXUP_QEMU" "$TMP/bin/"
WRAPPER=$TMP/bin/${WRAPPER##*/} TDXUP=$TMP/bin/${TDXUP##*/} TDXUP_QEMU=$TMP/bin/${TDXUP_QEMU##*/}

fake_reset
"${as_vmm[@]}" env TMPDIR=/tmp "$WRAPPER" -machine q35 &
wpid=$!
until_ok test -e "$FAKE_QEMU_DIR/pid"
[ "$(ids)" = "qemu-$wpid" ] || fail "as a VMM user: no lease during init: '$(ids)'"
owner=$(stat -c %U "$L/builds/qemu-$wpid")
[ "$owner" = nobody ] || fail "the entry belongs to $owner"
touch "$FAKE_QEMU_DIR/init"
until_ok ids_are ""
touch "$FAKE_QEMU_DIR/quit"
wait "$wpid" || fail "the fake QEMU (as a VMM user) failed"
# Not in the group: no lease, so QEMU never starts.
fake_reset
rc=0
"${as_other[@]}" "$WRAPPER" -machine q35 2>"$TMP/other.err" || rc=$?
[ "$rc" -ne 0 ] || fail "a user outside the lease group ran QEMU"
[ ! -e "$FAKE_QEMU_DIR/pid" ] || fail "QEMU started without the lease"
grep -q "Permission denied" "$TMP/other.err" || fail "outside the group: $(cat "$TMP/other.err")"

# ---- the real QEMU (TCG: no TDX needed) as that VMM user, with -preconfig ----
QEMU_BIN=$(command -v qemu-system-x86_64) || { echo "PASS (no qemu-system-x86_64: real QEMU part skipped)"; exit 0; }
unset TDXUP_QEMU FAKE_QEMU_DIR
Q=$TMP/qemu
mkdir -m 0777 "$Q"
# qmp SOCK CMD...: a QMP session on our own monitor; prints each reply's return.
qmp() {
	timeout 60 python3 - "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
json.loads(f.readline())
for cmd in ["qmp_capabilities"] + sys.argv[2:]:
    f.write(json.dumps({"execute": cmd}).encode() + b"\n"); f.flush()
    while True:
        r = json.loads(f.readline())
        if "return" in r or "error" in r:
            break
    if cmd != "qmp_capabilities":
        print(json.dumps(r.get("return", r)))
PY
}
"${as_vmm[@]}" env TDXUP_QEMU="$QEMU_BIN" "$WRAPPER" -machine q35 -accel tcg -nodefaults -display none \
	-m 32 -S -preconfig -qmp "unix:$Q/mon.sock,server=on,wait=off" >"$Q/out" 2>&1 &
wpid=$!
until_ok test -S "$Q/mon.sock"
# Before the machine exists, query-kvm is refused (and query-status says
# "prelaunch" on QEMU 6.0 and later, "preconfig" before); the watcher's
# socket is connected (it asks).
qmp "$Q/mon.sock" query-kvm | grep -q "permitted only after machine initialization" ||
	fail "QEMU -preconfig answered query-kvm"
connected() { [ "$(grep -c "tdxup-qmp.*/qmp-qemu-$wpid.sock" /proc/net/unix)" -ge 2 ]; }
until_ok connected
qmp "$Q/mon.sock" query-status >/dev/null
[ "$(ids)" = "qemu-$wpid" ] || fail "real QEMU: the lease ended in preconfig: '$(ids)'"
[ "$(stat -c %U "$L/builds/qemu-$wpid")" = nobody ] || fail "real QEMU: entry not the VMM user's"
qmp "$Q/mon.sock" x-exit-preconfig >/dev/null
until_ok ids_are ""
[ "$(qmp "$Q/mon.sock" query-status | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = prelaunch ] ||
	fail "QEMU after x-exit-preconfig is not prelaunch"
qmp "$Q/mon.sock" quit >/dev/null || true
wait "$wpid" || fail "real QEMU exited with an error: $(cat "$Q/out")"
echo "PASS"
