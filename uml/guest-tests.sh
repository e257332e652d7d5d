#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-kernel's cases, run by uml/guest.sh inside User-Mode Linux
# against the real fw_upload core and the patched test_firmware driver
# (uml/test_firmware.patch): the updater (status, dry run, uploads with
# several chunk sizes and both image formats read back in full, every
# fw_upload error at every phase, cancels, a foreign upload, an upload left
# open, a slow device), the conformance script, the kernel's fw_upload.sh.
# One line per case in $OUT/results: "PASS name" or "FAIL name: why".
set -u

OUT=/tmp/out
SRC=$TDXUP_SRC
TDXUP=$TDXUP_BUILD/tdxup
TF=/sys/devices/virtual/misc/test_firmware
PARAM=/sys/module/test_firmware/parameters
SR=/tmp/sysroot
FW=$SR/sys/class/firmware/tdx_module
IMG1=$OUT/img-0x100.bin
IMG2=$OUT/img-0x200.bin
CASES=$OUT/cases
ACCEPTED="the upload reported success but the module version is now 1.5.24, not the target 1.5.25"
RESULTS=$OUT/results
: >"$RESULTS"
mkdir -p "$CASES"

pass() { echo "PASS $1" >>"$RESULTS"; }
fail() { echo "FAIL $1: $2" >>"$RESULTS"; }

# await FILE WANT: FILE reads WANT within 30 s (polled every 10 ms).
await() {
	local i v
	for ((i = 0; i < 3000; i++)); do
		v=$(cat "$1" 2>/dev/null) && [ "$v" = "$2" ] && return 0
		sleep 0.01
	done
	echo "await $1: '$v', not '$2'" >&2
	return 1
}

# ---- the device and the sysroot ----
setup() {
	echo 1048576 >"$PARAM/upload_max_size" || return 1
	printf tdx_module >"$TF/upload_register" || return 1
	# The selftest's devices are stock-sized again.
	echo 2048 >"$PARAM/upload_max_size"
	mkdir -p "$SR/sys/devices/faux/tdx_host" "$FW" "$SR/run"
	cp -a "$OUT/template/etc" "$OUT/template/proc" "$SR/"
	echo 1.5.24 >"$SR/sys/devices/faux/tdx_host/version"
	echo 1.5.01 >"$SR/sys/devices/faux/tdx_host/seamldr_version"
	echo 3 >"$SR/sys/devices/faux/tdx_host/num_remaining_updates"
	# The real device itself, not a copy or a link to one.
	mount --bind "$TF/tdx_module" "$FW" || return 1
	printf tdx_module >"$TF/config_upload_name"
}

# up NAME RC TEXT ARGS...: tdxup ARGS exits RC and says TEXT (stdout or stderr).
up() {
	local name=$1 rc=$2 text=$3 got=0
	shift 3
	"$TDXUP" "$@" >"$CASES/$name.out" 2>&1 || got=$?
	if [ "$got" != "$rc" ]; then
		fail "$name" "exit $got, not $rc: $(tail -2 "$CASES/$name.out" | tr '\n' ' ')"
		return 1
	fi
	if ! grep -qF -- "$text" "$CASES/$name.out"; then
		fail "$name" "no '$text' in: $(tail -2 "$CASES/$name.out" | tr '\n' ' ')"
		return 1
	fi
	pass "$name"
}

update() { "$TDXUP" update --sysroot "$SR" "$@"; }
upd() {
	local name=$1 rc=$2 text=$3
	shift 3
	up "$name" "$rc" "$text" update --sysroot "$SR" "$@"
}

# received NAME IMG: the kernel holds exactly IMG's bytes (upload_read_full).
# Through a pipe: the attribute's size reads 0, and `cmp -s` of two regular
# files of different sizes answers "differ" without reading either.
received() {
	if cat "$TF/upload_read_full" | cmp -s "$2" -; then
		pass "$1: received = image"
	else
		fail "$1: received = image" "$(cat "$TF/upload_read_full" | cmp "$2" - 2>&1 | head -1)"
	fi
}

idle_ok() {
	await "$FW/status" idle || { fail "$1: idle" "status $(cat "$FW/status")"; return 1; }
}

arm() { echo "$1" >"$TF/upload_inject"; }

# A fresh, recognisable upload so that a read-back cannot pass on stale bytes.
scrub() {
	head -c 100 /dev/zero >/tmp/zero
	echo 1 >"$FW/loading" && cat /tmp/zero >"$FW/data" && echo 0 >"$FW/loading"
	await "$FW/status" idle
}

cases_status() {
	up status 0 "runtime update:     available" status --sysroot "$SR"
	up status-json 0 '"upload_status": "idle"' status --sysroot "$SR" --json
	upd check 0 "dry-run: every pre-check passed: would install 1.5.25 over 1.5.24" \
		"$IMG1" --check
}

cases_upload() {
	local c
	for c in 4096 65536 1048576 1000; do
		scrub
		upd "upload-0x100-chunk$c" 1 "$ACCEPTED" "$IMG1" --chunk "$c" &&
			received "upload-0x100-chunk$c" "$IMG1"
	done
	scrub
	upd upload-0x200 1 "$ACCEPTED" "$IMG2" --image-format 0x200 &&
		received upload-0x200 "$IMG2"
	# Converted: the kernel receives the 0x200 form of the 0x100 image.
	scrub
	upd upload-0x100-as-0x200 1 "$ACCEPTED" "$IMG1" --image-format 0x200 &&
		received upload-0x100-as-0x200 "$IMG2"
	eq_remaining upload
}

eq_remaining() {
	local r
	r=$(cat "$FW/remaining_size")
	[ "$r" = 0 ] && pass "$1: remaining_size 0" || fail "$1: remaining_size 0" "$r"
}

# Every error the core knows, injected into the next upload at every phase.
cases_errors() {
	local ph e
	for ph in preparing transferring programming; do
		for e in hw-error timeout invalid-file-size read-write-error flash-wearout \
			firmware-invalid; do
			arm "$ph:$e"
			upd "inject-$ph-$e" 5 "update failed ($ph:$e): nothing changed, TDs are safe; still running 1.5.24" \
				"$IMG1"
			idle_ok "inject-$ph-$e"
		done
		# device-busy once: retried, then accepted.
		arm "$ph:device-busy 1"
		upd "inject-$ph-device-busy-once" 1 "$ACCEPTED" "$IMG1" --retry-for 30s &&
			grep -qF "attempt 1: $ph:device-busy; retrying" "$CASES/inject-$ph-device-busy-once.out" &&
			pass "inject-$ph-device-busy-once: retried"
		# device-busy until the window closes.
		arm "$ph:device-busy 1000"
		upd "inject-$ph-device-busy" 4 "still busy ($ph:device-busy) after" "$IMG1" \
			--retry-for 1s
		arm none
		idle_ok "inject-$ph-device-busy"
	done
}

# bg_update NAME ARGS...: the updater in the background, its pid in BG.
bg_update() {
	local name=$1
	shift
	update "$@" >"$CASES/$name.out" 2>&1 &
	BG=$!
}

bg_check() {
	local name=$1 rc=$2 text=$3 got=0
	wait "$BG" || got=$?
	if [ "$got" != "$rc" ]; then
		fail "$name" "exit $got, not $rc: $(tail -2 "$CASES/$name.out" | tr '\n' ' ')"
	elif ! grep -qF -- "$text" "$CASES/$name.out"; then
		fail "$name" "no '$text' in: $(tail -2 "$CASES/$name.out" | tr '\n' ' ')"
	else
		pass "$name"
	fi
}

# An operator's cancel in each phase (user-abort holds the phase until it).
cases_cancel() {
	local ph
	for ph in preparing transferring programming; do
		arm "$ph:user-abort"
		bg_update "cancel-$ph" "$IMG1"
		await "$FW/status" "$ph" || fail "cancel-$ph" "never $ph"
		echo 1 >"$FW/cancel"
		bg_check "cancel-$ph" 5 "update failed ($ph:user-abort): nothing changed"
		idle_ok "cancel-$ph"
	done
	if echo 1 >"$FW/cancel" 2>/dev/null; then
		fail cancel-idle "cancel while idle succeeded"
	else
		pass cancel-idle
	fi
}

# Someone else's upload: open (loading=1, some data), then running.
cases_foreign() {
	echo 1 >"$FW/loading"
	head -c 1000 "$IMG1" >"$FW/data"
	up foreign-open-status 3 "upload open:        yes (loading reads 1)" status --sysroot "$SR"
	up foreign-open-status-names 3 "an upload is open" status --sysroot "$SR"
	upd foreign-open 3 "an upload is open (loading reads 1)" "$IMG1"
	[ "$(cat "$FW/loading")" = 1 ] && pass "foreign-open: left open" ||
		fail "foreign-open: left open" "loading $(cat "$FW/loading")"
	upd foreign-open-check 0 "warning: an upload is open (loading reads 1): a real run cancels it" \
		"$IMG1" --check --cancel-stale
	upd foreign-open-cancel-stale 1 "$ACCEPTED" "$IMG1" --cancel-stale &&
		grep -qF "warning: cancelled a half-done upload (loading was 1)" \
			"$CASES/foreign-open-cancel-stale.out" &&
		pass "foreign-open-cancel-stale: warned" && received foreign-open-cancel-stale "$IMG1"
	idle_ok foreign-open-cancel-stale

	# A foreign upload running, slowly: the updater must not touch it.
	echo 3000 >"$PARAM/upload_delay_ms"
	echo 1 >"$FW/loading" && cat "$IMG2" >"$FW/data" && echo 0 >"$FW/loading"
	await "$FW/status" transferring
	up foreign-running-status 3 "an upload is in progress (status transferring)" \
		status --sysroot "$SR"
	upd foreign-running 3 "the fw_upload device is busy (status transferring)" "$IMG1"
	echo 0 >"$PARAM/upload_delay_ms"
	idle_ok foreign-running
	# What the foreign upload sent arrived intact: the updater wrote nothing.
	received foreign-running "$IMG2"
}

# A slow device: the updater's poll reports it, its --timeout gives up on it.
cases_slow() {
	echo 2500 >"$PARAM/upload_delay_ms"
	upd slow-timeout 1 "status did not return to idle within 1 s: the update may still be running" \
		"$IMG1" --timeout 1s
	up slow-timeout-status 3 "an upload is in progress (status transferring)" status --sysroot "$SR"
	idle_ok slow-timeout
	scrub
	upd slow-waited 1 "$ACCEPTED" "$IMG1" --timeout 60s &&
		grep -qF "status: transferring" "$CASES/slow-waited.out" &&
		pass "slow-waited: progress shown" && received slow-waited "$IMG1"
	# Cancelled while the device stalls.
	bg_update slow-cancel "$IMG1"
	await "$FW/status" transferring
	echo 1 >"$FW/cancel"
	bg_check slow-cancel 5 "update failed (transferring:user-abort): nothing changed"
	echo 0 >"$PARAM/upload_delay_ms"
	idle_ok slow-cancel
}

cases_conformance() {
	local t0 t1
	t0=$(cut -d' ' -f1 /proc/uptime)
	/usr/bin/python3 "$SRC/uml/conform.py" "$SRC/uml/conformance.ops" "$TF/conform" "$TF" \
		>"$OUT/kernel.transcript" 2>"$OUT/kernel.transcript.err" &&
		pass conformance-ran || fail conformance-ran "$(head -3 "$OUT/kernel.transcript.err")"
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "conformance $t0 $t1" >>"$OUT/times"
}

# The kernel's own selftest, unmodified, from the source tree the kernel was built from.
cases_selftest() {
	local d=$TDXUP_KSRC/tools/testing/selftests/firmware rc=0
	echo 2048 >"$PARAM/upload_max_size"
	arm none
	(cd /tmp && bash "$d/fw_upload.sh") >"$OUT/selftest.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ] && ! grep -q "ignoring test\|Resorting" "$OUT/selftest.log"; then
		pass fw_upload.sh
	else
		fail fw_upload.sh "exit $rc: $(tail -3 "$OUT/selftest.log" | tr '\n' ' ')"
	fi
}

run() {
	local t0 t1
	t0=$(cut -d' ' -f1 /proc/uptime)
	"$@"
	t1=$(cut -d' ' -f1 /proc/uptime)
	echo "$1 $t0 $t1" >>"$OUT/times"
}

: >"$OUT/times"
if ! setup; then
	fail setup "the device or the sysroot could not be made"
	exit 1
fi
pass setup
run cases_status
run cases_upload
run cases_errors
run cases_cancel
run cases_foreign
run cases_slow
cases_conformance
run cases_selftest
