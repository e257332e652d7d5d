#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tdxup status / select / update through the POSIX backend, on a directory
# laid out like /sys (plain files: the fw_upload protocol itself is tested
# in-process by test_update and test_update_retry), exit codes and JSON keys;
# and --sysroot: the same under ROOT/sys, with ROOT/proc's cpuinfo and
# osrelease deciding the CPU and the image format.
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"
has() { grep -qF -- "$1" "$TMP/$2" || { cat "$TMP/$2" >&2; fail "$2 lacks: $1"; }; }
# warnings: the --json output's warnings, one a line, exactly.
warnings() {
	python3 -c 'import json, sys; print("\n".join(json.load(open(sys.argv[1]))["warnings"]))' "$TMP/out"
}
want_warnings() {
	[ "$(warnings)" = "$1" ] || { cat "$TMP/out" >&2; fail "warnings: got '$(warnings)', want '$1'"; }
}
lacks() { ! grep -qF -- "$1" "$TMP/$2" || { cat "$TMP/$2" >&2; fail "$2 has: $1"; }; }

ROOT=$TMP/root
SYS=$ROOT/sys
DEV=$SYS/devices/faux/tdx_host
mk_sys() { fake_sys "$SYS"; }

# ---- status ----
mk_sys
run 0 status --sysfs "$SYS"
has "module version:     1.5.24" out
has "updates left:       3" out
has "runtime update:     available" out
has "last error:         none" out
run 0 status --sysfs "$SYS" --json
for k in '"module_version": "1.5.24"' '"seamldr_version": "1.5.01"' \
	 '"num_remaining_updates": 3' '"update_available": true' '"upload_status": "idle"' \
	 '"last_error": ""'; do
	has "$k" out
done
grep -q '"reason"' "$TMP/out" && fail "reason given although available"

# An upload in progress, or one left open, is named: an update now would be refused.
echo transferring >"$DEV/firmware/tdx_module/status"
run 3 status --sysfs "$SYS"
has "runtime update:     not available: an upload is in progress (status transferring)" out
echo idle >"$DEV/firmware/tdx_module/status"
echo 1 >"$DEV/firmware/tdx_module/loading"
run 3 status --sysfs "$SYS" --json
has '"reason": "an upload is open (loading reads 1)' out
has '"upload_open": true' out
: >"$DEV/firmware/tdx_module/loading"

echo 0 >"$DEV/num_remaining_updates"
run 3 status --sysfs "$SYS" --json
has '"reason": "no updates left: num_remaining_updates is 0' out

mk_sys
rm "$SYS/class/firmware/tdx_module"
run 3 status --sysfs "$SYS"
has "runtime update:     not available: no fw_upload device /sys/class/firmware/tdx_module" out

# v5-v7 layout only: seamldr/ and seamldr_upload.
mk_sys
rm "$DEV/seamldr_version" "$DEV/num_remaining_updates" "$SYS/class/firmware/tdx_module"
mkdir "$DEV/seamldr"
echo 1.5.02 >"$DEV/seamldr/version"
echo 7 >"$DEV/seamldr/num_remaining_updates"
mv "$DEV/firmware/tdx_module" "$DEV/firmware/seamldr_upload"
ln -s ../../devices/faux/tdx_host/firmware/seamldr_upload "$SYS/class/firmware/seamldr_upload"
run 0 status --sysfs "$SYS" --json
has '"seamldr_version": "1.5.02"' out
has '"num_remaining_updates": 7' out
has '"fw_upload_device": "seamldr_upload"' out

run 1 status --sysfs "$TMP/nowhere"
run 2 status --bogus

# Garbage in the attributes: named, printable, and every JSON key still there.
mk_sys
printf 'id\377le\033[31m' >"$DEV/firmware/tdx_module/status"
printf 'x:\303(' >"$DEV/firmware/tdx_module/error"
echo garbage >"$DEV/version"
run 3 status --sysfs "$SYS" --json
has '"upload_status": "id?le?[31m"' out
has '"last_error": "x:?("' out
has '"reason": "cannot read the module version' out
# A FIFO where an attribute should be (no sysfs at all) must not hang.
mk_sys
rm "$DEV/version" && mkfifo "$DEV/version"
rc=0
timeout 20 "$TDXUP" status --sysfs "$SYS" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 3 ] || fail "status with a FIFO for version exited $rc"
has "cannot read the module version" out
mk_sys

# ---- a catalogue ----
CAT=$TMP/cat
mkdir -p "$CAT/joined_files/1.5" "$CAT/joined_files/2.0"
for v in 1.5.24 1.5.25; do
	run 0 image build --version $v -o "$CAT/joined_files/1.5/tdx_module_$v.blob"
done
run 0 image build --version 2.0.08 -o "$CAT/joined_files/2.0/tdx_module_2.0.08.blob"
rel() { printf '{"version": "%s", "min_module_version_for_td_preserving": "%s",
 "min_seamldr_versions": [%s], "tdx_feature0": "0x40002"}' "$1" "$2" "$3"; }
printf '{"Header": {"Version": "1.0"}, "tdx_module_releases": [%s, %s, %s]}\n' \
	"$(rel 1.5.24 1.5.01 '"1.5.00", "2.0.00"')" "$(rel 1.5.25 1.5.01 '"1.5.00", "2.0.00"')" \
	"$(rel 2.0.08 2.0.04 '"2.0.00"')" >"$CAT/mapping_file.json"

# ---- select ----
# Nothing is trusted for being built in: the emulator's test key needs the
# target's declaration (serve writes the same file into its mount).
run 3 select --catalog "$CAT" --sysfs "$SYS" --cpu-fms 806f8
has "signing key 50f6369d... is not one this host trusts" out
grep -q -- "--trust-key-hash\|--allow" "$TMP/out" "$TMP/err" && fail "a refusal suggests an override"
mkdir -p "$ROOT/etc/tdxup/trusted-keys.d"
echo 50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5 \
	>"$ROOT/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384"
chmod 0644 "$ROOT/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384"
mk_sys
run 0 select --catalog "$CAT" --sysroot "$ROOT" --cpu-fms 806f8
has "choice: 1.5.25 (joined_files/1.5/tdx_module_1.5.25.blob)" out
has "2.0.08   refused  CPU 0x806f8 not supported (module CPU list: 0xa06d0, 0xa06e0)" out
run 0 select --catalog "$CAT" --sysroot "$ROOT" --module-version 1.5.24 --seamldr-version 1.5.01 \
	--cpu-fms 0x806f8 --json
has '"choice": "1.5.25"' out
has '"verdict": "cpu"' out
run 3 select --catalog "$CAT" --sysroot "$ROOT" --module-version 2.0.05 --seamldr-version 2.0.00 \
	--cpu-fms 0x806f8 --json
has '"choice": null' out
run 2 select --sysroot "$ROOT"
run 2 select --catalog "$CAT" --sysroot "$ROOT" --module-version 1.5 --seamldr-version 1.5.01 --cpu-fms 1
echo '{"tdx_module_releases": [{"version": "1.5.24"}]}' >"$TMP/bad.json"
mkdir -p "$TMP/badcat/joined_files" && cp "$TMP/bad.json" "$TMP/badcat/mapping_file.json"
run 1 select --catalog "$TMP/badcat" --sysroot "$ROOT" --module-version 1.5.24 --seamldr-version 1.5.01 \
	--cpu-fms 1
has "mapping_file.json: tdx_module_releases[0].min_module_version_for_td_preserving: missing" err
# A blob whose build descriptor names another version than its file name.
cp -r "$CAT" "$TMP/rencat"
cp "$CAT/joined_files/1.5/tdx_module_1.5.24.blob" "$TMP/rencat/joined_files/1.5/tdx_module_1.5.25.blob"
run 0 select --catalog "$TMP/rencat" --sysroot "$ROOT" --module-version 1.5.24 --seamldr-version 1.5.01 \
	--cpu-fms 0x806f8
has "1.5.25   refused  bad image: its build descriptor says module 1.5.24, its name 1.5.25" out
has "choice: 1.5.24" out

# ---- update (pre-checks only: these are plain files) ----
# No kernel release to judge by and no VMM declaring leases: a dry run
# answers as a real run would, refused (safety rule 3). The pre-check tests
# below say --hold-builds off.
IMG=$CAT/joined_files/1.5/tdx_module_1.5.25.blob
run 3 update "$IMG" --sysroot "$ROOT" --cpu-fms 0x806f8 --dry-run
has "update refused: whether the kernel refuses an update during a TD build is not established (a release number proves nothing), and no VMM on the target takes build leases" err
has "could silently corrupt the MRTD of a TD being built" err
# The way out it offers can never lose a TD by itself: hooks, or a declaration.
lacks "--hold-builds off" err
run 0 update "$IMG" --sysroot "$ROOT" --cpu-fms 0x806f8 --hold-builds off --dry-run --json --seed 5
has '"result": "dry-run"' out
has '"from": "1.5.24"' out
has '"to": "1.5.25"' out
has '"image_format": "0x200"' out
has '"seed": 5' out
run 0 update --catalog "$CAT" --sysroot "$ROOT" --cpu-fms 0x806f8 --hold-builds off --dry-run
has "dry-run: every pre-check passed: would install 1.5.25 over 1.5.24 as a v0x200 image" out
run 0 update --catalog "$CAT" --sysroot "$ROOT" --cpu-fms 0x806f8 --hold-builds off --dry-run --image-format 0x100
has "as a v0x100 image" out
# A newest blob that cannot be read is no verdict on its module: the
# catalogue's choice is refused, naming the file and why, never made below it
# (the old code chose 1.5.24, "current", exit 0, no warning).
for kind in fifo zero dir; do
	rm -rf "$TMP/ucat" && cp -r "$CAT" "$TMP/ucat"
	B=$TMP/ucat/joined_files/1.5/tdx_module_1.5.25.blob
	rm "$B"
	case $kind in
	fifo) mkfifo "$B"; why="a FIFO, not a regular file" ;;
	zero) ln -s /dev/zero "$B"; why="a character device, not a regular file" ;;
	dir) mkdir "$B"; why="a directory, not a regular file" ;;
	esac
	for args in "--ensure latest" ""; do
		# shellcheck disable=SC2086
		run 3 update --catalog "$TMP/ucat" $args --sysroot "$ROOT" --cpu-fms 0x806f8 \
			--hold-builds off --dry-run --json
		has '"result": "refused"' out
		has "\"reason\": \"catalogue: joined_files/1.5/tdx_module_1.5.25.blob: cannot read: $why: it may hold the newest module, so the catalogue's choice cannot be made (without it: 1.5.24); nothing written: fix or remove the file, or name a version (--version, --ensure X.Y.Z)\"" out
	done
	# Naming another version: that one is installed, and the unreadable file said.
	run 0 update --catalog "$TMP/ucat" --version 1.5.24 --reinstall --sysroot "$ROOT" \
		--cpu-fms 0x806f8 --hold-builds off --dry-run --json
	want_warnings "catalogue: joined_files/1.5/tdx_module_1.5.25.blob: cannot read: $why: not considered"
	# Naming it: refused with its reason, as a damaged image is.
	run 3 update --catalog "$TMP/ucat" --version 1.5.25 --sysroot "$ROOT" --cpu-fms 0x806f8 \
		--hold-builds off --dry-run
	has "update refused: 1.5.25: bad image: cannot read: $why" err
done
# An unreadable blob older than the choice changes nothing but is said.
rm -rf "$TMP/ucat" && cp -r "$CAT" "$TMP/ucat"
rm "$TMP/ucat/joined_files/1.5/tdx_module_1.5.24.blob"
mkfifo "$TMP/ucat/joined_files/1.5/tdx_module_1.5.24.blob"
run 0 update --catalog "$TMP/ucat" --ensure latest --sysroot "$ROOT" --cpu-fms 0x806f8 \
	--hold-builds off --dry-run --json
has '"to": "1.5.25"' out
want_warnings "catalogue: joined_files/1.5/tdx_module_1.5.24.blob: cannot read: a FIFO, not a regular file: not considered"
has "tdxup: update: warning: catalogue: joined_files/1.5/tdx_module_1.5.24.blob: cannot read: a FIFO" err
echo 1.5.25 >"$DEV/version"
run 0 update "$IMG" --sysroot "$ROOT" --cpu-fms 0x806f8 --hold-builds off --json
has '"result": "current"' out
echo 1.5.24 >"$DEV/version"
echo 0 >"$DEV/num_remaining_updates"
run 3 update "$IMG" --sysroot "$ROOT" --cpu-fms 0x806f8 --hold-builds off
has "update refused: no updates left" err
[ ! -s "$DEV/firmware/tdx_module/loading" ] || fail "loading written despite a refusal"
run 3 update --catalog "$CAT" --version 1.5.99 --sysroot "$ROOT" --cpu-fms 0x806f8 --hold-builds off
has "version 1.5.99 is not in the catalogue" err
run 2 update --sysroot "$ROOT"
run 2 update "$IMG" --retry-for 5x
run 2 update "$IMG" --image-format 0x300
run 2 update "$IMG" --trust-key-hash abcd
# Overrides that can lose every TD need their confirmation, and no message names it.
run 2 update "$IMG" --sysroot "$ROOT" --allow-debug
has "--allow-debug can lose every TD if the platform refuses the image" err
grep -q -- "--accept-td-loss" "$TMP/err" && fail "a message suggests --accept-td-loss"
run 2 update "$IMG" --sysroot "$ROOT" --trust-key-hash 50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5
has "--trust-key-hash can lose every TD" err
run 2 update "$IMG" --version 1.5
has "update: --version: '1.5' is not X.Y.Z" err
run 2 update --catalog "$CAT" --version 1.5.25.1

# ---- --sysroot: ROOT/sys, ROOT/proc/cpuinfo, ROOT/proc/sys/kernel/osrelease ----
mk_sys
mkdir -p "$ROOT/proc/sys/kernel"
printf 'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 143\nmodel name\t: x\nstepping\t: 8\n\n' \
	>"$ROOT/proc/cpuinfo"
echo 7.1.0-tdx-v8 >"$ROOT/proc/sys/kernel/osrelease"
run 0 status --sysroot "$ROOT"
has "kernel release:     7.1.0-tdx-v8" out
has "fw_upload device:   $ROOT/sys/class/firmware/tdx_module" out
run 0 status --sysroot "$ROOT/" --json
has '"kernel_release": "7.1.0-tdx-v8"' out
run 0 select --catalog "$CAT" --sysroot "$ROOT"
has "running: module 1.5.24, P-SEAMLDR 1.5.01, CPU 0x806f8" out
has "choice: 1.5.25" out
# --cpu-fms still overrides the cpuinfo.
run 3 select --catalog "$CAT" --sysroot "$ROOT" --cpu-fms 0xa06d0
has "running: module 1.5.24, P-SEAMLDR 1.5.01, CPU 0xa06d0" out
# A release before 7.2 proves no busy rejection (distributions backport the
# merged series, which has none): with no VMM taking leases, refused.
run 3 update "$IMG" --sysroot "$ROOT" --dry-run
has "update refused: whether the kernel 7.1.0-tdx-v8 refuses an update during a TD build is not established" err
lacks "device-busy)" err
# Only the operator's declaration counts, and it is said whose word it is.
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --kernel-busy yes --json
has '"reason": "every pre-check passed: would install 1.5.25 over 1.5.24 as a v0x100 image (kernel 7.1.0-tdx-v8 takes 0x100)"' out
has '"decision": "none"' out
has '"kernel_busy": "yes"' out
has '"why": "not holding TD builds: no VMM on the target takes build leases, and the operator declares (--kernel-busy yes) that the kernel 7.1.0-tdx-v8 refuses an update during a TD build (device-busy)"' out
has "tdxup: update: the operator declares (--kernel-busy yes) that the kernel 7.1.0-tdx-v8 refuses an update during a TD build (device-busy); tdxup has not established it" err
# --kernel-busy no, and the former default's spelling auto: refused like no declaration.
run 3 update "$IMG" --sysroot "$ROOT" --dry-run --kernel-busy no
has "update refused: the operator declares (--kernel-busy no) that the kernel 7.1.0-tdx-v8 does not refuse an update during a TD build, and no VMM" err
lacks "--kernel-busy yes" err
run 3 update "$IMG" --sysroot "$ROOT" --dry-run --kernel-busy auto --json
has '"decision": "refuse"' out
has '"kernel_busy": null' out
run 2 update "$IMG" --sysroot "$ROOT" --dry-run --kernel-busy maybe
has "update: --kernel-busy: unknown, yes or no, not 'maybe'" err
# A real 6.12.118 (its fw_upload core, no busy rejection): never claimed to refuse.
echo 6.12.118 >"$ROOT/proc/sys/kernel/osrelease"
run 3 update "$IMG" --sysroot "$ROOT" --dry-run --json
has '"decision": "refuse"' out
has '"why": "whether the kernel 6.12.118 refuses an update during a TD build is not established (a release number proves nothing), and no VMM on the target takes build leases' out
echo 7.2.0 >"$ROOT/proc/sys/kernel/osrelease"
run 3 update "$IMG" --sysroot "$ROOT" --dry-run
has "whether the kernel 7.2.0 refuses an update during a TD build is not established" err
# A VMM that declares leases makes it safe, for any release (libvirt's
# declaration counts only with its hook loaded: test_vmm_active.sh).
mkdir -p "$ROOT/etc/tdxup/lease.d" && echo qemu-wrapper >"$ROOT/etc/tdxup/lease.d/qemu-wrapper"
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --json
has '"decision": "hold"' out
echo 6.12.118 >"$ROOT/proc/sys/kernel/osrelease"
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --json
has '"decision": "hold"' out
has '"why": "holding TD builds: 1 VMM(s) on the target take build leases; whether the kernel 6.12.118 refuses an update during a TD build is not established (a release number proves nothing)"' out
echo 7.2.0 >"$ROOT/proc/sys/kernel/osrelease"
rm "$ROOT/etc/tdxup/lease.d/qemu-wrapper"
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --hold-builds off --json
has '"image_format": "0x200"' out
has '"image_format_reason": "kernel 7.2.0 takes 0x200"' out
has '"kernel_release": "7.2.0"' out
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --hold-builds off --image-format 0x100
has "as a v0x100 image (--image-format 0x100)" out
# No osrelease: the sysfs heuristic, said so.
rm "$ROOT/proc/sys/kernel/osrelease"
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --hold-builds off
has "as a v0x200 image (kernel release unknown; tdx_host/seamldr_version: 0x200, 0x100 if refused)" out
# A cpuinfo without the identification lines: say so, refuse, write nothing.
echo "processor	: 0" >"$ROOT/proc/cpuinfo"
run 3 update "$IMG" --sysroot "$ROOT"
has "tdxup: $ROOT/proc/cpuinfo: no cpu family, model and stepping lines; give --cpu-fms" err
run 1 select --catalog "$CAT" --sysroot "$ROOT"
has "$ROOT/proc/cpuinfo: no cpu family, model and stepping lines" err
run 0 update "$IMG" --sysroot "$ROOT" --dry-run --hold-builds off --cpu-fms 0x806f8
# Both roots: a usage error.
run 2 status --sysroot "$ROOT" --sysfs "$SYS"
has "status: --sysroot and --sysfs: give one" err
run 2 update "$IMG" --sysroot "$ROOT" --sysfs "$SYS"
run 2 select --catalog "$CAT" --sysroot "$ROOT" --sysfs "$SYS"

# ---- an empty or foreign sysroot: said precisely ----
mkdir -p "$TMP/empty"
run 1 status --sysroot "$TMP/empty"
has "tdxup: $TMP/empty is empty: is the emulator mounted there?" err
run 3 update "$IMG" --sysroot "$TMP/empty"
has "tdxup: $TMP/empty is empty: is the emulator mounted there?" err
mkdir -p "$TMP/empty/sys"
run 1 status --sysroot "$TMP/empty"
has "tdxup: $TMP/empty/sys is empty: is the emulator mounted there?" err
run 1 status --sysfs "$TMP/empty/sys"
has "tdxup: $TMP/empty/sys is empty: is the emulator mounted there?" err
mkdir -p "$TMP/empty/sys/devices/system"
run 1 status --sysroot "$TMP/empty" --json
has "\"reason\": \"no /sys/devices/faux/tdx_host under $TMP/empty: TDX is not enabled or the kernel lacks the tdx_host driver\"" out
run 1 status --sysfs "$TMP/empty/sys"
has "tdxup: no devices/faux/tdx_host under $TMP/empty/sys: TDX is not enabled or the kernel lacks the tdx_host driver" err
run 1 select --catalog "$CAT" --sysroot "$TMP/empty" --cpu-fms 0x806f8
has "tdxup: no /sys/devices/faux/tdx_host under $TMP/empty: TDX is not enabled or the kernel lacks the tdx_host driver; or give --module-version and --seamldr-version" err
run 0 update --help
has "6 the module is lost" out

echo "PASS"
