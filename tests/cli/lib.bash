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
