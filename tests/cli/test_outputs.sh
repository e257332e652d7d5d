#!/usr/bin/env bash
# Every file tdxup and tdxup-emu write: never through a symlink, never into a
# FIFO, replaced atomically (a temporary file beside OUT, renamed). A refused
# output names the file, and the file it would have reached stays unchanged.
set -euo pipefail

. "$(dirname "$0")/lib.bash"
# trun WANT ARGS...: run, bounded (the old code blocked forever on a FIFO)
trun() {
	local want=$1 rc=0
	shift
	timeout 60 "$TDXUP" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] ||
		fail "tdxup $* exited $rc, expected $want; stdout: $(cat "$TMP/out"); stderr: $(cat "$TMP/err")"
}
# errx WANT: stderr is exactly WANT
errx() { [ "$(cat "$TMP/err")" = "$1" ] || fail "stderr: '$(cat "$TMP/err")', expected '$1'"; }

# A victim only root may change, and two traps at each OUT: a symlink to it
# (`ln -s /etc/hostname out.blob`) and a FIFO (which must not block).
VICTIM=$TMP/victim
echo precious >"$VICTIM"
trap_link() { rm -f "$1"; ln -s "$VICTIM" "$1"; }
trap_fifo() { rm -f "$1"; mkfifo "$1"; }
untouched() {
	[ "$(cat "$VICTIM")" = precious ] || fail "$1: the symlink's target was written"
}
still_link() { [ -L "$1" ] && [ "$(readlink "$1")" = "$VICTIM" ] || fail "$1 is no longer the symlink"; }
still_fifo() { [ -p "$1" ] || fail "$1 is no longer the FIFO"; }
no_temp() {
	local left
	left=$(find "$(dirname "$1")" -maxdepth 1 -name ".$(basename "$1").*")
	[ -z "$left" ] || fail "temporary files left: $left"
}
LINK_WHY="is a symlink, refused (not followed, not replaced)"
FIFO_WHY="not a regular file, refused"

trun 0 image build --version 1.5.25 --format 0x100 -o "$TMP/m.img"
head -c 6144 "$TMP/m.img" | tail -c 2048 >"$TMP/j.sigstruct"
tail -c +8193 "$TMP/m.img" >"$TMP/j.bin"

# ---- tdxup image convert IN OUT
O=$TMP/out.blob
trap_link "$O"
trun 1 image convert --to 0x200 "$TMP/m.img" "$O"
errx "tdxup: $O: $LINK_WHY"
untouched convert; still_link "$O"; no_temp "$O"
trap_fifo "$O"
trun 1 image convert --to 0x200 "$TMP/m.img" "$O"
errx "tdxup: $O: $FIFO_WHY"
still_fifo "$O"; no_temp "$O"
# A regular OUT is replaced (a new inode: renamed into place), keeping its mode.
rm -f "$O"
echo old >"$O"
chmod 0600 "$O"
ino=$(stat -c %i "$O")
trun 0 image convert --to 0x200 "$TMP/m.img" "$O"
[ "$(stat -c %i "$O")" != "$ino" ] || fail "convert wrote OUT in place, not by rename"
[ "$(stat -c %a "$O")" = 600 ] || fail "convert changed OUT's mode to $(stat -c %a "$O")"
[ "$(stat -c %s "$O")" -eq 94208 ] || fail "converted image: $(stat -c %s "$O") bytes"
no_temp "$O"

# ---- tdxup image join BIN SIGSTRUCT -o OUT
O=$TMP/joined.img
trap_link "$O"
trun 1 image join "$TMP/j.bin" "$TMP/j.sigstruct" -o "$O"
errx "tdxup: $O: $LINK_WHY"
untouched join; still_link "$O"
trap_fifo "$O"
trun 1 image join "$TMP/j.bin" "$TMP/j.sigstruct" -o "$O"
errx "tdxup: $O: $FIFO_WHY"
still_fifo "$O"; no_temp "$O"

# ---- tdxup image build -o OUT (tdxup-emu)
O=$TMP/built.img
trap_link "$O"
trun 1 image build --version 1.5.25 -o "$O"
errx "tdxup: $O: $LINK_WHY"
untouched build; still_link "$O"
trap_fifo "$O"
trun 1 image build --version 1.5.25 -o "$O"
errx "tdxup: $O: $FIFO_WHY"
still_fifo "$O"; no_temp "$O"

# ---- tdxup status --textfile DIR, --nfd-features FILE
SYS=$TMP/sys
DEV=$SYS/devices/faux/tdx_host
fake_sys "$SYS"
TF=$TMP/textfile
mkdir "$TF"
trun 0 status --sysfs "$SYS" --textfile "$TF"
grep -qx 'tdxup_tdx_module_info{version="1.5.24",major="1",minor="5",update="24"} 1' "$TF/tdxup.prom" || fail "no textfile written: $(cat "$TF/tdxup.prom")"
trap_link "$TF/tdxup.prom"
trun 1 status --sysfs "$SYS" --textfile "$TF"
errx "tdxup: status: $TF/tdxup.prom: $LINK_WHY"
untouched textfile; still_link "$TF/tdxup.prom"
trap_fifo "$TF/tdxup.prom"
trun 1 status --sysfs "$SYS" --textfile "$TF"
errx "tdxup: status: $TF/tdxup.prom: $FIFO_WHY"
still_fifo "$TF/tdxup.prom"; no_temp "$TF/tdxup.prom"
O=$TMP/tdx.features
trap_link "$O"
trun 1 status --sysfs "$SYS" --nfd-features "$O"
errx "tdxup: status: $O: $LINK_WHY"
untouched nfd; still_link "$O"
trap_fifo "$O"
trun 1 status --sysfs "$SYS" --nfd-features "$O"
errx "tdxup: status: $O: $FIFO_WHY"
still_fifo "$O"; no_temp "$O"

# ---- tdxup lab --svg FILE, --trace FILE: refused before the run
for opt in svg trace; do
	O=$TMP/lab.$opt
	trap_link "$O"
	trun 2 lab --quiet "--$opt" "$O"
	errx "tdxup: lab: --$opt $O: $LINK_WHY"
	untouched "lab --$opt"; still_link "$O"
	trap_fifo "$O"
	trun 2 lab --quiet "--$opt" "$O"
	errx "tdxup: lab: --$opt $O: $FIFO_WHY"
	still_fifo "$O"; no_temp "$O"
done

# ---- tdxup serve --log FILE, --json-log FILE (logs: opened, never followed)
mkdir "$TMP/mnt"
for opt in log json-log; do
	O=$TMP/serve.$opt
	trap_link "$O"
	rc=0
	timeout 60 "$TDXUP" serve --mount "$TMP/mnt" "--$opt" "$O" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "serve --$opt to a symlink: exit $rc: $(cat "$TMP/err")"
	if [ "$opt" = log ]; then
		errx "tdxup: --log $O: $LINK_WHY"
	else
		errx "tdxup: $O: $LINK_WHY"
	fi
	untouched "serve --$opt"; still_link "$O"
	trap_fifo "$O"
	rc=0
	timeout 60 "$TDXUP" serve --mount "$TMP/mnt" "--$opt" "$O" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "serve --$opt to a FIFO: exit $rc: $(cat "$TMP/err")"
	still_fifo "$O"
done

echo PASS
