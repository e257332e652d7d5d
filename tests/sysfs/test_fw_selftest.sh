#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The kernel's firmware-upload selftest behaviours (kernel.md 11) against
# `serve --test-firmware`, through the mount with shell tools only: register
# fw1..fw3; cancel in preparing, transferring and programming; twenty-one
# injected errors (firmware-invalid too: 6.12's driver injects it); an oversized image; three data round trips read back with
# upload_read; unregister. Run twice: in this mount namespace, then in a
# private one (unshare -m), where the mount is invisible to the rest of the
# machine; a refused unshare skips only that second run (exit 77 after the
# first passed).
#
# Timing: the kernel's script polls status at most 50 times with a 1 ms
# sleep. Polls here use builtins only (read, read -t as the sleep), so a poll
# costs the 1 ms sleep plus one FUSE read, not two forks: a budget at least
# as tight as the script's. How many polls each transition took is measured
# and reported (with how many went over the budget), never asserted: on a
# loaded machine or under TSan the worker thread can miss any budget, and the
# driver's own timing is checked on the lab scheduler's virtual clock in
# tests/kernel/test_fw_upload_selftest.c. What fails here is a wrong status,
# or no transition within HANG_S seconds.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

POLLS=50
HANG_S=20

# A sleep without a fork: read -t on a pipe nobody writes.
exec {SLEEP_FD}<> <(:)
nap() { read -r -t 0.001 -u "$SLEEP_FD" _ || true; }

# The slowest transition, in polls and microseconds: [0] every transition but
# [1] idle after a cancel. The driver looks at its cancel flag once per 100 ms
# sleep (kernel.md 11), so idle can follow a cancel by up to 100 ms by design;
# the kernel's script gets away with 50 polls there only because each of its
# polls forks cat and sleep.
WORST_POLLS=(0 0) WORST_US=(0 0) TRANSITIONS=0 OVER_BUDGET=0

# await_status NAME WANT [cancel]: WANT within HANG_S seconds of polls.
await_status() {
	local f=$TD/$1/status want=$2 k=0 i=0 s t0 now us
	[ "${3:-}" = cancel ] && k=1
	t0=${EPOCHREALTIME/./}
	while :; do
		i=$((i + 1))
		read -r s <"$f" || fail "$f unreadable"
		now=${EPOCHREALTIME/./}
		us=$((now - t0))
		[ "$s" = "$want" ] && break
		((us < HANG_S * 1000000)) ||
			fail "$1: status '$s' after $i polls in $HANG_S s, want '$want'"
		nap
	done
	TRANSITIONS=$((TRANSITIONS + 1))
	((k == 0 && i > POLLS)) && OVER_BUDGET=$((OVER_BUDGET + 1))
	((i > WORST_POLLS[k])) && WORST_POLLS[k]=$i
	((us > WORST_US[k])) && WORST_US[k]=$us
	return 0
}

expect_error() {
	local e
	e=$(cat "$TD/$1/error") || fail "$1/error unreadable"
	eq "$1/error" "$e" "$2"
}

# The protocol of the kernel's script: loading=1, data, loading=0.
inject() {
	echo 1 >"$TD/$1/loading"
	printf 'inject:%s:%s' "$2" "$3" >"$TD/$1/data"
	echo 0 >"$TD/$1/loading"
}

upload_file() {
	echo 1 >"$TD/$1/loading"
	cat "$2" >"$TD/$1/data"
	echo 0 >"$TD/$1/loading"
}

ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

selftest() {
	local st err n f
	start_server "selftest${1// /-}" --test-firmware
	TD=$SYS/devices/virtual/misc/test_firmware
	if [ -n "$1" ] && pid1_ns=$(readlink /proc/1/ns/mnt 2>/dev/null); then
		[ "$pid1_ns" != "$(readlink /proc/self/ns/mnt)" ] || fail "not in a private mount namespace"
		grep -qF " $MNT " /proc/1/mountinfo && fail "$MNT visible outside the namespace"
	fi

	# register: each device beneath the misc device, linked in class/firmware
	for n in fw1 fw2 fw3; do
		printf '%s' "$n" >"$TD/upload_register"
	done
	printf fw1 >"$TD/upload_register" 2>"$TMP/eexist" && fail "fw1 registered twice"
	grep -q "File exists" "$TMP/eexist" || fail "second fw1: $(cat "$TMP/eexist")"
	eq "class/firmware/fw1" "$(readlink "$SYS/class/firmware/fw1")" \
		../../devices/virtual/misc/test_firmware/fw1
	eq "class/misc/test_firmware" "$(readlink "$SYS/class/misc/test_firmware")" \
		../../devices/virtual/misc/test_firmware
	eq "fw2 status via class/firmware" "$(cat "$SYS/class/firmware/fw2/status")" idle
	eq "fw3 loading via class/misc" "$(cat "$SYS/class/misc/test_firmware/fw3/loading")" 0
	cat "$TD/upload_read" >/dev/null 2>"$TMP/einval" && fail "upload_read without a name"
	grep -q "Invalid argument" "$TMP/einval" || fail "upload_read: $(cat "$TMP/einval")"

	# cancel x3
	for st in preparing transferring programming; do
		inject fw1 "$st" user-abort
		await_status fw1 "$st"
		echo 1 >"$TD/fw1/cancel"
		await_status fw1 idle cancel
		expect_error fw1 "$st:user-abort"
	done

	# injected errors x21
	for st in preparing transferring programming; do
		for err in hw-error timeout device-busy invalid-file-size read-write-error \
			flash-wearout firmware-invalid; do
			inject fw1 "$st" "$err"
			await_status fw1 idle
			expect_error fw1 "$st:$err"
		done
	done

	# oversize: 512 x 5 bytes
	head -c 2560 /dev/urandom >"$TMP/big"
	upload_file fw1 "$TMP/big"
	await_status fw1 idle
	expect_error fw1 preparing:invalid-file-size

	# data round trips: 512 x 4, x 3, x 2 bytes
	for n in 1 2 3; do
		head -c $((512 * (5 - n))) /dev/urandom >"$TMP/fw$n.bin"
		upload_file "fw$n" "$TMP/fw$n.bin"
	done
	for n in 1 2 3; do
		await_status "fw$n" idle
		expect_error "fw$n" ""
		printf 'fw%s' "$n" >"$TD/config_upload_name"
		cmp "$TMP/fw$n.bin" "$TD/upload_read" || fail "upload_read of fw$n differs"
	done
	eq "remaining_size of fw3" "$(cat "$TD/fw3/remaining_size")" 0

	# unregister: devices, links and the selection gone
	for n in fw1 fw2 fw3; do
		printf '%s' "$n" >"$TD/upload_unregister"
	done
	for f in "$TD/fw1" "$SYS/class/firmware/fw2" "$SYS/class/firmware/fw3"; do
		[ -e "$f" ] || [ -L "$f" ] && fail "$f still there after unregister"
	done
	eq "config_upload_name after unregister" "$(cat "$TD/config_upload_name")" "(null)"
	eq "tdx_module untouched" "$(cat "$FW/status")" idle
	stop_server
	echo "selftest$1: $TRANSITIONS transitions, $OVER_BUDGET over the script's" \
		"$POLLS-poll budget; slowest: ${WORST_POLLS[0]} polls, $(ms "${WORST_US[0]}") ms;" \
		"slowest idle after a cancel: ${WORST_POLLS[1]} polls, $(ms "${WORST_US[1]}") ms"
}

if [ "${TDXUP_SELFTEST_NS:-}" = 1 ]; then
	selftest " in a private mount namespace"
	exit 0
fi
selftest ""
WORST_POLLS=(0 0) WORST_US=(0 0) TRANSITIONS=0 OVER_BUDGET=0
ns=(unshare -m --propagation private)
if ! "${ns[@]}" true 2>/dev/null; then
	ns=(unshare -r -m --propagation private)
	"${ns[@]}" true 2>/dev/null || skip "unshare -m refused: the private-namespace run"
fi
TDXUP_SELFTEST_NS=1 "${ns[@]}" bash "$0" "$TDXUP" || fail "the run in a private mount namespace"
echo "PASS"
