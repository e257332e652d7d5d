# SPDX-License-Identifier: MIT
# Shared by the shell tests that drive the tdxup binary (tests/cli/*.sh,
# tests/updater/test_cli_updater.sh): the binary under test, a scratch
# directory removed on exit, fail and run. Not a test itself: CMake
# registers only tests/*/*.sh. Source it right after `set -euo pipefail`;
# it reads the test's $1 (the tdxup path ctest passes).

TDXUP=${1:?usage: $0 path/to/tdxup}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# run WANT_RC ARGS...: tdxup ARGS with its output in $TMP/out and $TMP/err;
# any other exit code fails the test, showing both.
run() {
	local want=$1 rc=0
	shift
	"$TDXUP" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] ||
		fail "tdxup $* exited $rc, expected $want; stdout: $(cat "$TMP/out"); stderr: $(cat "$TMP/err")"
}

# fake_sys SYS: a sysfs tree of plain files as the kernel of the series
# shows it, module 1.5.24 under P-SEAMLDR 1.5.01 with 3 updates left, the
# fw_upload device idle (made anew: SYS is removed first).
fake_sys() {
	local dev=$1/devices/faux/tdx_host f
	rm -rf "$1"
	mkdir -p "$dev/firmware/tdx_module" "$1/class/firmware"
	echo 1.5.24 >"$dev/version"
	echo 1.5.01 >"$dev/seamldr_version"
	echo 3 >"$dev/num_remaining_updates"
	for f in loading data remaining_size cancel; do : >"$dev/firmware/tdx_module/$f"; done
	echo idle >"$dev/firmware/tdx_module/status"
	: >"$dev/firmware/tdx_module/error"
	ln -s ../../devices/faux/tdx_host/firmware/tdx_module "$1/class/firmware/tdx_module"
}
