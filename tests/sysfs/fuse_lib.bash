# SPDX-License-Identifier: MIT
# Shared by the FUSE tests (tests/sysfs/test_fuse_*.sh): start and stop
# `tdxup serve` on a temporary mount, and clean up whatever happens.
# Not a test itself (CMake runs only *.sh). Source it after setting TDXUP.

TMP=$(mktemp -d)
SERVER_PIDS=()
MOUNTS=()
# Bounded polling: tries x 0.1 s.
READY_TRIES=600

cleanup() {
	local pid m
	for pid in "${SERVER_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	# A killed server leaves its mount behind: detach it lazily so that
	# nothing here blocks on it.
	for m in "${MOUNTS[@]}"; do
		fusermount3 -u -z "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	rm -rf "$TMP" 2>/dev/null || true
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

# /dev/fuse and fusermount3 must be usable; the first mount settles the rest.
fuse_usable() {
	[ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "/dev/fuse not usable"
	command -v fusermount3 >/dev/null || skip "fusermount3 not installed"
}

is_mounted() { grep -qF " $1 " /proc/mounts; }

# start_server NAME ARGS...: serve on $TMP/NAME/mnt; sets MNT, DEV, FW,
# SRV_PID, SRV_OUT, SRV_ERR. A mount the system refuses is a skip.
start_server() {
	local name=$1 i
	shift
	mkdir -p "$TMP/$name/mnt"
	MNT=$TMP/$name/mnt
	DEV=$MNT/devices/faux/tdx_host
	FW=$MNT/class/firmware/tdx_module
	SRV_OUT=$TMP/$name/out
	SRV_ERR=$TMP/$name/err
	MOUNTS+=("$MNT")
	timeout -s KILL 500 "$TDXUP" serve --mount "$MNT" "$@" >"$SRV_OUT" 2>"$SRV_ERR" &
	SRV_PID=$!
	SERVER_PIDS+=("$SRV_PID")
	for ((i = 0; i < READY_TRIES; i++)); do
		[ -e "$DEV/version" ] && return 0
		if ! kill -0 "$SRV_PID" 2>/dev/null; then
			grep -q "cannot mount" "$SRV_ERR" && skip "FUSE mount refused here: $(cat "$SRV_ERR")"
			cat "$SRV_ERR" >&2
			fail "serve $* exited before mounting"
		fi
		sleep 0.1
	done
	cat "$SRV_ERR" >&2
	fail "serve $* did not come up"
}

# stop_server: SIGTERM, a clean exit 0, the summary, and no mount left.
stop_server() {
	local i rc=0
	kill -TERM "$SRV_PID"
	for ((i = 0; i < READY_TRIES; i++)); do
		kill -0 "$SRV_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SRV_PID" 2>/dev/null && fail "serve did not stop on SIGTERM"
	wait "$SRV_PID" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$SRV_ERR" >&2; fail "serve exited $rc after SIGTERM"; }
	grep -q "^tdxup serve: summary" "$SRV_OUT" || fail "no summary on SIGTERM"
	is_mounted "$MNT" && fail "$MNT still mounted after the server stopped"
	return 0
}

# summary_has KEY VALUE: a line of the exit summary.
summary_has() {
	grep -qE "^  $1: +$2\$" "$SRV_OUT" || { cat "$SRV_OUT" >&2; fail "summary: want $1 $2"; }
}

# eq WHAT GOT WANT
eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# wait_idle FWDIR: poll status until idle (bounded); any status is fine meanwhile.
wait_idle() {
	local i s
	for ((i = 0; i < READY_TRIES; i++)); do
		s=$(timeout 60 cat "$1/status") || fail "status unreadable"
		[ "$s" = idle ] && return 0
		sleep 0.1
	done
	fail "status never returned to idle (last: $s)"
}

# upload FWDIR FILE: the fw_upload protocol with shell tools.
upload() {
	echo 1 >"$1/loading" || fail "loading=1 refused"
	timeout 60 cat "$2" >"$1/data" || fail "writing data failed"
	echo 0 >"$1/loading" || fail "loading=0 refused"
}

# A reference image as the tests upload it (v0x100, for profile v8).
make_image() {
	"$TDXUP" image build --version "$1" -o "$2" >/dev/null || fail "image build $1"
}
