#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Trust rests only on what only root could have written (docs/trust.md):
# SYSROOT/etc/tdxup/trusted-keys.d/*.sha384 and SYSROOT/etc/tdxup/lease.d/NAME
# are refused, named, before anything reaches the kernel when another user
# (nobody) could have planted or changed them: a world- or group-writable
# directory or parent, a symlink, another user's file, a FIFO (without
# blocking). A README and dpkg's leftovers are never read. The served host
# sees no upload at all (its summary: 0 updates attempted).
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable
command -v setpriv >/dev/null || skip "setpriv not installed"
[ "$(id -u)" -eq 0 ] || skip "needs root (files of another user)"
# as_nobody CMD...: the unprivileged user's action
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
# errx WANT: stderr is exactly WANT
errx() { [ "$(cat "$TMP/err")" = "$1" ] || fail "stderr: '$(cat "$TMP/err")', expected '$1'"; }

TESTKEY=50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5
IMG=$TMP/m.img
make_image 1.5.25 "$IMG"
start_server trust --module 1.5.24

# A sysroot whose sys and proc are the emulated host's, and whose etc is a
# real directory: root's, 0755, as on a host. nobody may enter $TMP.
chmod 0755 "$TMP"
ROOT=$TMP/root
mkdir -p "$ROOT/etc/tdxup" "$ROOT/run"
ln -s "$MNT/sys" "$ROOT/sys"
ln -s "$MNT/proc" "$ROOT/proc"
chmod 0755 "$ROOT" "$ROOT/etc" "$ROOT/etc/tdxup"
K=$ROOT/etc/tdxup/trusted-keys.d
L=$ROOT/etc/tdxup/lease.d
mkdir -m 0755 "$K" "$L"
declare_key() { echo "$TESTKEY" >"$K/$1"; chmod 0644 "$K/$1"; }
# nobody's own key list, which a symlink in trusted-keys.d would name.
echo "$TESTKEY" >"$TMP/evil"
chown nobody:nogroup "$TMP/evil"
UPD=(update "$IMG" --sysroot "$ROOT" --hold-builds off)

# refused_all WANT: update, update --check and image verify refuse with "... WANT".
refused_all() {
	tx 3 "${UPD[@]}"
	errx "tdxup: trusted keys: $1"
	tx 3 "${UPD[@]}" --check
	errx "tdxup: trusted keys: $1"
	tx 1 image verify "$IMG" --sysroot "$ROOT"
	errx "tdxup: image verify: trusted keys: $1"
}

# ---- the control: root's declaration, beside a README and dpkg's leftovers
declare_key tdxup-test-key.sha384
printf '# TDX module signing keys this host trusts: see docs/trust.md\n' >"$K/README"
echo "not a hash" >"$K/vendor.sha384.dpkg-dist"
echo "not a hash" >"$K/vendor.sha384~"
echo "not a hash" >"$K/.vendor.sha384"
tx 0 "${UPD[@]}" --check
tx 0 image verify "$IMG" --sysroot "$ROOT"
has "key       ok      key declared by the target (the tdxup test key)" out
# A .dpkg-old copy holding a key the administrator removed is no declaration.
rm "$K/tdxup-test-key.sha384"
declare_key tdxup-test-key.sha384.dpkg-old
tx 1 image verify "$IMG" --sysroot "$ROOT"
has "check 'key' failed: untrusted key (the tdxup test key, not declared by the target)" err
tx 3 "${UPD[@]}" --check

# ---- nobody in a world-writable trusted-keys.d plants a symlinked key list
chmod 0777 "$K"
as_nobody ln -s "$TMP/evil" "$K/evil.sha384"
refused_all "$K: writable by others (mode 0777), refused"
# ... and once root has closed the directory, the symlink itself is refused.
chmod 0755 "$K"
refused_all "$K/evil.sha384: is a symlink, refused"
rm "$K/evil.sha384"

# ---- a group-writable directory (a group member could do the same)
chgrp nogroup "$K"
chmod 0775 "$K"
refused_all "$K: writable by its group (mode 0775), refused"
chgrp root "$K"
chmod 0755 "$K"

# ---- another user's key list (left from when the directory was open to them)
chmod 0777 "$K"
as_nobody sh -c "echo $TESTKEY >'$K/nobody.sha384'"
chmod 0755 "$K"
refused_all "$K/nobody.sha384: owned by uid $(id -u nobody), not by root, refused"
rm "$K/nobody.sha384"
# root's file that others may write
declare_key open.sha384
chmod 0666 "$K/open.sha384"
refused_all "$K/open.sha384: mode 0666 grants more than 0755, refused"
rm "$K/open.sha384"

# ---- a FIFO named like a key list: refused at once, never waited on
mkfifo -m 0644 "$K/fifo.sha384"
refused_all "$K/fifo.sha384: not a regular file, refused"
rm "$K/fifo.sha384"

# ---- a parent directory others may write: they could swap trusted-keys.d
chmod 0777 "$ROOT/etc/tdxup"
refused_all "$ROOT/etc/tdxup: writable by others (mode 0777): someone else could replace what is below it"
chmod 0755 "$ROOT/etc/tdxup"

# ---- lease.d: VMM declarations, by the same rules
rm "$K/tdxup-test-key.sha384.dpkg-old"
declare_key tdxup-test-key.sha384
LUPD=(update "$IMG" --sysroot "$ROOT" --hold-builds auto --kernel-busy yes --check --json)
# decision WANT: the --json report's hold decision
decision() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))["hold_builds"]["decision"]; sys.exit(d != sys.argv[2])' \
		"$TMP/out" "$1" || fail "hold decision: $(cat "$TMP/out")"
}
# lease_refused WANT: the update refuses with "... WANT"
lease_refused() {
	tx 3 "${LUPD[@]}"
	errx "tdxup: update: build lease declarations: $1"
}
tx 0 "${LUPD[@]}"
decision none
# A README and a package manager's leftovers declare nothing.
printf '# VMMs that take tdxup build leases: see docs/lease.md\n' >"$L/README"
: >"$L/qemu.dpkg-old"
: >"$L/qemu.rpmsave"
chmod 0644 "$L/README" "$L/qemu.dpkg-old" "$L/qemu.rpmsave"
tx 0 "${LUPD[@]}"
decision none
# A declaration root wrote counts.
: >"$L/qemu-wrapper"
chmod 0644 "$L/qemu-wrapper"
tx 0 "${LUPD[@]}"
decision hold
rm "$L/qemu-wrapper"

chmod 0777 "$L"
as_nobody sh -c ": >'$L/sneaky'"
lease_refused "$L: writable by others (mode 0777), refused"
chmod 0755 "$L"
lease_refused "$L/sneaky: owned by uid $(id -u nobody), not by root, refused"
rm "$L/sneaky"
chmod 0777 "$L"
as_nobody ln -s /etc/passwd "$L/sneaky"
chmod 0755 "$L"
lease_refused "$L/sneaky: is a symlink, refused"
rm "$L/sneaky"
chgrp nogroup "$L"
chmod 0775 "$L"
lease_refused "$L: writable by its group (mode 0775), refused"
chgrp root "$L"
chmod 0755 "$L"
mkfifo -m 0644 "$L/fifo"
lease_refused "$L/fifo: not a regular file, refused"
rm "$L/fifo"
tx 0 "${LUPD[@]}"
decision none

# Not one upload reached the host.
stop_server
summary_has "updates attempted" 0
echo PASS
