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

# server_gone PID: exited (a zombie not yet reaped counts: it has exited).
server_gone() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	st=${st##*) }
	[ "${st:0:1}" = Z ] || [ "${st:0:1}" = X ]
}

# start_server NAME ARGS...: `serve --detach` on the sysroot $TMP/NAME/mnt; sets
# MNT, SYS (MNT/sys), DEV, FW, SRV_PID, SRV_LOG (its log and summary; SRV_OUT and
# SRV_ERR name it too). --detach returns only once the mount answers, so the
# files must be there at once. A mount the system refuses is a skip.
start_server() {
	local name=$1 rc=0
	shift
	mkdir -p "$TMP/$name/mnt"
	MNT=$TMP/$name/mnt
	SYS=$MNT/sys
	DEV=$SYS/devices/faux/tdx_host
	FW=$SYS/class/firmware/tdx_module
	SRV_LOG=$TMP/$name/log
	SRV_OUT=$SRV_LOG
	SRV_ERR=$SRV_LOG
	MOUNTS+=("$MNT")
	timeout -s KILL 200 "$TDXUP" serve --mount "$MNT" --detach --log "$SRV_LOG" "$@" \
		>"$TMP/$name/pid" 2>"$TMP/$name/detach-err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		grep -q "cannot mount" "$TMP/$name/detach-err" &&
			skip "FUSE mount refused here: $(cat "$TMP/$name/detach-err")"
		cat "$TMP/$name/detach-err" >&2
		fail "serve --detach $* exited $rc"
	fi
	SRV_PID=$(cat "$TMP/$name/pid")
	[[ "$SRV_PID" =~ ^[0-9]+$ ]] || fail "serve --detach printed '$SRV_PID', not a PID"
	SERVER_PIDS+=("$SRV_PID")
	[ -e "$DEV/version" ] || fail "serve --detach returned before $DEV/version was there"
}

# stop_server: SIGTERM (kill PID), the server gone, no mount left, a clean
# stop logged (unmounted, then the summary).
stop_server() {
	local i
	kill -TERM "$SRV_PID"
	for ((i = 0; i < READY_TRIES; i++)); do
		server_gone "$SRV_PID" && break
		sleep 0.1
	done
	server_gone "$SRV_PID" || fail "serve did not stop on SIGTERM"
	is_mounted "$MNT" && fail "$MNT still mounted after the server stopped"
	grep -q "unmounted $MNT\$" "$SRV_LOG" || { cat "$SRV_LOG" >&2; fail "no clean unmount logged"; }
	grep -q "^tdxup serve: summary" "$SRV_LOG" || fail "no summary on SIGTERM"
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

# make_catalog DIR VERSION...: a catalogue in Intel's published layout of
# emulated 1.5 builds (mapping_file.json and joined_files/1.5/*.blob).
make_catalog() {
	local dir=$1 v rels=""
	shift
	mkdir -p "$dir/joined_files/1.5"
	for v in "$@"; do
		make_image "$v" "$dir/joined_files/1.5/tdx_module_$v.blob"
		rels+="${rels:+, }{\"version\": \"$v\", \"min_module_version_for_td_preserving\": \"1.5.01\",
 \"min_seamldr_versions\": [\"1.5.00\"], \"tdx_feature0\": \"0x40002\"}"
	done
	printf '{"Header": {"Version": "1.0"}, "tdx_module_releases": [%s]}\n' "$rels" \
		>"$dir/mapping_file.json"
}

# tx WANT_RC ARGS...: tdxup ARGS (bounded), output in $TMP/out and $TMP/err;
# any other exit code fails the test, showing both.
tx() {
	local want=$1 rc=0
	shift
	timeout 300 "$TDXUP" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] ||
		{ cat "$TMP/out" "$TMP/err" >&2; fail "tdxup $* exited $rc, not $want"; }
}
# has TEXT FILE: $TMP/FILE holds TEXT.
has() { grep -qF -- "$1" "$TMP/$2" || { cat "$TMP/$2" >&2; fail "$2 lacks: $1"; }; }

# wait_for WHAT CMD...: poll (bounded, READY_TRIES * 10 tries) until CMD succeeds.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < READY_TRIES * 10; i++)); do
		"$@" && return 0
		sleep 0.01
	done
	fail "timed out waiting for $what"
}
# A build of the served workload in flight: its lease entry exists.
build_in_flight() { [ -n "$(ls -A "$MNT/run/tdxup/lease/builds" 2>/dev/null)" ]; }
no_build() { ! build_in_flight; }

# strace, as the tests run it: LeakSanitizer cannot work under ptrace (it
# aborts at exit), so a traced tdxup of the ASan build skips the leak check;
# the same runs untraced keep it. Use as "${STRACE[@]}" ARGS... (also after
# timeout, which would not find a shell function).
STRACE=(env "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace)
