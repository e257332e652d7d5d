#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every --json output of tdxup and tdxup-emu against its JSON Schema
# (docs/schema/*.json, draft 2020-12; python3-jsonschema): real outputs of
# each command in the states it reports (success, refusal, failure), the
# exit status each state has, no JSON at all (stdout empty) where a command
# fails before it has anything to report, and a schema that does reject a
# document that strays from it. Offline parts first; the status, select,
# update and lease states against `tdxup serve` (skipped, 77, without FUSE).
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
HERE=$(cd "$(dirname "$0")" && pwd)
SCHEMAS=$HERE/../../docs/schema
# shellcheck source=../sysfs/fuse_lib.bash
. "$HERE/../sysfs/fuse_lib.bash"
EMU=$(dirname "$TDXUP")/tdxup-emu

N=0
PLAN=$TMP/plan
: >"$PLAN"
# validate: every check of the plan, in one Python process.
validate() {
	local rc=0
	python3 "$HERE/validate_json.py" "$SCHEMAS" "$PLAN" || rc=$?
	[ "$rc" -ne 77 ] || skip "python3-jsonschema not installed (scripts/install-deps)"
	[ "$rc" -eq 0 ] || fail "the checks above failed"
}
# check SCHEMA WANT_RC ARGS...: run PROG ARGS (tdxup, or tdxup-emu when
# ARGS start with "emu"); the exit status must be WANT_RC and stdout one
# document valid against docs/schema/SCHEMA.
check() {
	local schema=$1 want=$2 prog=$TDXUP rc=0
	shift 2
	if [ "$1" = emu ]; then
		prog=$EMU
		shift
	fi
	timeout 300 "$prog" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] ||
		{ cat "$TMP/out" "$TMP/err" >&2; fail "$(basename "$prog") $* exited $rc, not $want"; }
	N=$((N + 1))
	DOC=$TMP/doc.$N.json
	cp "$TMP/out" "$DOC"
	printf 'doc\t%s\t%s\n' "$DOC" "$schema" >>"$PLAN"
}
# nojson WANT_RC ARGS...: a failure reported on stderr only, stdout empty.
nojson() {
	local want=$1 rc=0
	shift
	timeout 300 "$TDXUP" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "tdxup $* exited $rc, not $want"
	[ ! -s "$TMP/out" ] || fail "tdxup $*: stdout not empty: $(cat "$TMP/out")"
	[ -s "$TMP/err" ] || fail "tdxup $*: no message on stderr"
}
# expect WHAT EXPR WANT: EXPR (Python over j, the last document; values
# separated by commas are joined by spaces) is WANT.
expect() { printf 'expect\t%s\t%s\t%s\t%s\n' "$DOC" "$2" "$3" "$1" >>"$PLAN"; }
# stray SCHEMA STATEMENT: the last document changed by STATEMENT (Python
# over j) is refused by SCHEMA.
stray() { printf 'stray\t%s\t%s\t%s\n' "$DOC" "$1" "$2" >>"$PLAN"; }

# ---- offline: image, measure, lab ----
IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
TESTKEY=50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5

check tdxup-emu-image-list.json 0 emu image list --json
check tdxup-emu-image-list.json 0 image list --json
check tdxup-image-inspect.json 0 image inspect "$IMG" --json
expect "inspect: an emulated build" 'j["emulated_build"]["version"]' 1.5.25
check tdxup-image-attestation.json 0 image inspect "$IMG" --attestation --json
# Module pages that do not hash to the seamhash: no attestation values.
cp "$IMG" "$TMP/bad.blob"
printf '\xff' | dd of="$TMP/bad.blob" bs=1 seek=9000 conv=notrunc status=none
check tdxup-image-inspect.json 0 image inspect "$TMP/bad.blob" --json
expect "inspect: tampered" 'j["attestation"], "attestation_error" in j' "None True"
check tdxup-image-verify.json 0 image verify "$IMG" --trust-key-hash "$TESTKEY" --json
expect "verify: passed" 'j["ok"], j["failed"]' "True []"
check tdxup-image-verify.json 1 image verify "$IMG" --json
expect "verify: untrusted" 'j["failed"]' "['key']"
check tdxup-image-verify.json 1 image verify "$TMP/bad.blob" --trust-key-hash "$TESTKEY" --json
expect "verify: tampered" 'j["failed"]' "['checksum', 'seamhash']"
head -c 100 "$IMG" >"$TMP/short.blob"
check tdxup-image-verify.json 1 image verify "$TMP/short.blob" --json
expect "verify: truncated" 'j["failed"][0]' header
nojson 1 image inspect "$TMP/short.blob" --json
head -c 6144 "$IMG" | tail -c 2048 >"$TMP/j.sigstruct"
tail -c +8193 "$IMG" >"$TMP/j.bin"
check tdxup-image-join.json 0 image join "$TMP/j.bin" "$TMP/j.sigstruct" -o "$TMP/j.img" --json
check tdxup-image-join.json 0 image join "$TMP/j.bin" "$TMP/j.sigstruct" -o "$TMP/j2.img" \
	--format 0x200 --json
nojson 1 image join "$TMP/short.blob" "$TMP/j.sigstruct" -o "$TMP/j3.img" --json
head -c 8192 /dev/zero >"$TMP/zero.bin"
check tdxup-measure.json 0 measure --page "0x1000:$TMP/j.sigstruct" \
	--page "0x2000:$TMP/zero.bin:nomeasure" --json
expect "measure: pages" 'len(j["pages"]), j["pages"][1]["measured"]' "2 False"
nojson 1 measure --tdvf "$TMP/zero.bin" --json
check tdxup-emu-lab.json 0 emu lab --json
expect "lab: pass" 'j["verdict"]' pass
check tdxup-emu-lab.json 1 emu lab --profile mainline --json
expect "lab: fail" 'j["verdict"], j["wrong_mrtds"] > 0' "fail True"
# The default race: the mainline column fails by design, so --compare exits 1.
check tdxup-emu-lab.json 1 lab --compare --json
expect "lab --compare" '"profiles" in j' True

# Documents that stray are refused: an unknown key, a wrong type.
stray tdxup-emu-lab.json 'j["profiles"][0]["extra"] = 1'
stray tdxup-emu-lab.json 'j["seed"] = "1"'

# ---- against an emulated host (the offline checks are run first: a
# skip without FUSE has still checked them) ----
if ! [ -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	validate
	skip "/dev/fuse or fusermount3 not usable"
fi
CAT=$TMP/cat
make_catalog "$CAT" 1.5.24 1.5.25
make_image 1.5.16 "$TMP/tdx_module_1.5.16.blob"

start_server a --module 1.5.24
check tdxup-status.json 0 status --sysroot "$MNT" --json
stray tdxup-status.json 'del j["kernel_release"]'
stray tdxup-status.json 'j["reason"] = "available, yet a reason"'
stray tdxup-status.json 'j["num_remaining_updates"] = -1'
stray tdxup-status.json 'j["module_version"] = "1.5"'
check tdxup-select.json 0 select --catalog "$CAT" --sysroot "$MNT" --json
expect "select: choice" 'j["choice"]' 1.5.25
check tdxup-select.json 3 select --catalog "$CAT" --module-version 1.6.0 --seamldr-version 1.5.01 \
	--cpu-fms 0x806f8 --json
expect "select: none" 'j["choice"]' None
nojson 1 select --catalog "$TMP/nonexistent" --sysroot "$MNT" --json
check tdxup-lease-list.json 0 lease list --sysroot "$MNT" --json
check tdxup-lease-list.json 0 lease hold --timeout 5s --sysroot "$MNT" -- \
	"$TDXUP" lease list --sysroot "$MNT" --json
expect "lease list: held" 'j["held"], j["holder_pid"] is not None' "True True"
"$TDXUP" lease begin --id schema-td --desc "schema test" --sysroot "$MNT" >/dev/null 2>&1 ||
	fail "lease begin"
check tdxup-lease-list.json 0 lease list --sysroot "$MNT" --json
expect "lease list: a build" '[(b["id"], b["holder"]) for b in j["builds"]]' \
	"[('schema-td', 'cli')]"
"$TDXUP" lease end --id schema-td --sysroot "$MNT" >/dev/null 2>&1 || fail "lease end"
check tdxup-update.json 0 update "$IMG" --sysroot "$MNT" --hold-builds off --dry-run --json
expect "update: dry-run" 'j["result"], j["check"]' "dry-run False"
check tdxup-update.json 0 update "$IMG" --sysroot "$MNT" --hold-builds off --check --json
expect "update: check" 'j["result"], j["check"]' "dry-run True"
check tdxup-update.json 0 update "$IMG" --sysroot "$MNT" --hold-builds off --json
expect "update: updated" 'j["result"], j["attestation"]["module_version"]' "updated 1.5.25"
check tdxup-update.json 0 update "$IMG" --sysroot "$MNT" --hold-builds off --json
expect "update: current" 'j["result"]' current
check tdxup-update.json 3 update "$TMP/tdx_module_1.5.16.blob" --sysroot "$MNT" --hold-builds off --json
expect "update: downgrade refused" 'j["result"]' refused
check tdxup-update.json 3 update "$TMP/short.blob" --sysroot "$MNT" --hold-builds off --json
expect "update: bad image refused" 'j["result"]' refused
check tdxup-update.json 0 update --ensure 1.5.25 --catalog "$CAT" --sysroot "$MNT" --hold-builds off --json
expect "update: ensure" 'j["result"], j["ensure"]' "current 1.5.25"
stop_server

start_server busy --module 1.5.24 --workload builders=1,pages=64,hold=busy
check tdxup-update.json 4 update "$IMG" --sysroot "$MNT" --hold-builds off --retry-for 0s --json
expect "update: busy" 'j["result"], j["attempts"][0]["error"]' "busy transferring:device-busy"
stop_server

start_server none --module 1.5.24 --updates-left 0
check tdxup-status.json 3 status --sysroot "$MNT" --json
expect "status: no updates left" 'j["update_available"], j["num_remaining_updates"]' "False 0"
check tdxup-update.json 3 update "$IMG" --sysroot "$MNT" --hold-builds off --json
stop_server

start_server lost --module 1.5.24 --fault sys-update
check tdxup-update.json 6 update "$IMG" --sysroot "$MNT" --hold-builds off --json
expect "update: lost" 'j["result"], j["changed"]' "lost True"
check tdxup-status.json 6 status --sysroot "$MNT" --json
expect "status: lost" 'j["module_version"]' None
stop_server

mkdir -p "$TMP/empty/sys"
check tdxup-status.json 1 status --sysroot "$TMP/empty" --json
expect "status: no device" 'j["fw_upload_device"], j["kernel_release"]' "None None"

validate
echo "PASS ($N documents)"
