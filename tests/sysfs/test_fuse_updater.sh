#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The production updater (POSIX backend) against a serving host through
# FUSE: an idle host, TD builders (device-busy, then success), no updates
# left, a corrupt image, a module without update-compatibility, a fault
# after shutdown (module lost, running TDs lost), and the legacy layout.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
cp "$IMG" "$TMP/corrupt.blob"
# One byte inside the module pages: the seamhash no longer matches.
printf '\x5a' | dd of="$TMP/corrupt.blob" bs=1 seek=20000 conv=notrunc status=none

# update WANT_RC ARGS...: output in $TMP/out (JSON) and $TMP/err
update() {
	local want=$1 rc=0
	shift
	timeout 300 "$TDXUP" update "$@" --sysroot "$MNT" --json \
		>"$TMP/out" 2>"$TMP/err" || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$TMP/out" "$TMP/err" >&2; fail "update $* exited $rc, not $want"; }
}
# json EXPR: evaluate a Python expression over the JSON in $TMP/out as j
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($1)" "$TMP/out"; }
status_json() {
	timeout 60 "$TDXUP" status --sysroot "$MNT" --json >"$TMP/out" 2>"$TMP/err" || true
}

# ---- idle host ----------------------------------------------------------------
start_server idle --module 1.5.24
update 0 "$IMG"
eq "result" "$(json 'j["result"]')" updated
eq "from" "$(json 'j["from"]')" 1.5.24
eq "to" "$(json 'j["to"]')" 1.5.25
# The v8 kernel's osrelease decides 0x100: no refused first attempt.
eq "nr_attempts" "$(json 'j["nr_attempts"]')" 1
eq "image_format" "$(json 'j["image_format"]')" 0x100
eq "image_format_reason" "$(json 'j["image_format_reason"]')" "kernel 7.1.0-tdx-v8 takes 0x100"
eq "kernel_release" "$(json 'j["kernel_release"]')" 7.1.0-tdx-v8
eq "version" "$(cat "$DEV/version")" 1.5.25
status_json
eq "status module_version" "$(json 'j["module_version"]')" 1.5.25
eq "status updates left" "$(json 'j["num_remaining_updates"]')" 15
eq "status last_error" "$(json 'j["last_error"]')" ""
update 0 "$IMG"
eq "result when current" "$(json 'j["result"]')" current
stop_server
summary_has "updates applied" 1
summary_has "updates attempted" 1
summary_has "failed updates" 0

# ---- TD builders: device-busy, then success ----------------------------------
# No hold: the v8 kernel's device-busy alone keeps the build out.
start_server busy --module 1.5.24 --workload builders=2,pages=64,running=2,gap=50ms,hold=busy
update 0 "$IMG" --image-format 0x100 --retry-for 120s --hold-builds off
eq "not held" "$(json 'j["hold_builds"]["held"]')" False
eq "result" "$(json 'j["result"]')" updated
eq "first attempt" "$(json 'j["attempts"][0]["error"]')" transferring:device-busy
eq "last attempt" "$(json 'j["attempts"][-1]["error"]')" ""
eq "attempts between" "$(json 'all(a["error"] == "transferring:device-busy" for a in j["attempts"][:-1])')" True
eq "nr_attempts" "$(json 'j["nr_attempts"] == len(j["attempts"]) >= 2')" True
eq "version" "$(cat "$DEV/version")" 1.5.25
stop_server
summary_has "updates applied" 1
summary_has "wrong MRTDs" 0
summary_has "lost TDs" 0
grep -qE "^  TD builds: +[1-9][0-9]* \(failed: 0\)" "$SRV_OUT" || fail "no builds counted"

# ---- TD builders that take leases: held, no device-busy needed -----------------
start_server held --module 1.5.24 --workload builders=3,pages=64,gap=5ms,hold=30ms
update 0 "$IMG" --retry-for 60s
eq "result (held)" "$(json 'j["result"]')" updated
eq "decision" "$(json 'j["hold_builds"]["decision"]')" hold
eq "held" "$(json 'j["hold_builds"]["held"]')" True
eq "one attempt, no device-busy" "$(json '[a["error"] for a in j["attempts"]]')" "['']"
stop_server
summary_has "busy rejections" 0
summary_has "wrong MRTDs" 0

# ---- mainline: no busy rejection; the lease is all there is ----------------------
# A VMM that ignores the protocol: refused by default, nothing written.
start_server bare --module 1.5.24 --profile mainline --workload builders=2,pages=64,gap=5ms,lease=off
update 3 "$IMG"
eq "result (mainline, no leases)" "$(json 'j["result"]')" refused
eq "decision (mainline, no leases)" "$(json 'j["hold_builds"]["decision"]')" refuse
grep -q "could silently corrupt the MRTD of a TD being built" "$TMP/out" || fail "$(cat "$TMP/out")"
eq "version (refused)" "$(cat "$DEV/version")" 1.5.24
# Knowingly: it goes through, and says what it risked.
update 0 "$IMG" --hold-builds off
grep -q "warning: nothing keeps TD builds out of the update window: a build it crosses may end with a wrong MRTD" \
	"$TMP/err" || fail "no warning with --hold-builds off: $(cat "$TMP/err")"
stop_server
summary_has "updates attempted" 1
# The same VMM following the protocol: held, and every MRTD right.
start_server leased --module 1.5.24 --profile mainline --workload builders=3,pages=64,gap=2ms,hold=20ms
NEXT=$TMP/tdx_module_1.5.30.blob
make_image 1.5.30 "$NEXT"
update 0 "$NEXT" --retry-for 60s
eq "result (mainline, leases)" "$(json 'j["result"]')" updated
eq "held (mainline)" "$(json 'j["hold_builds"]["held"]')" True
stop_server
summary_has "updates applied" 1
summary_has "wrong MRTDs" 0

# ---- refused before anything is written ------------------------------------
start_server none-left --module 1.5.24 --updates-left 0
update 3 "$IMG"
eq "result" "$(json 'j["result"]')" refused
grep -q "no updates left" "$TMP/out" || fail "reason: $(cat "$TMP/out")"
update 3 "$TMP/corrupt.blob"
eq "result (corrupt image)" "$(json 'j["result"]')" refused
eq "version" "$(cat "$DEV/version")" 1.5.24
stop_server
summary_has "updates attempted" 0

start_server corrupt --module 1.5.24
update 3 "$TMP/corrupt.blob"
eq "result" "$(json 'j["result"]')" refused
eq "nr_attempts" "$(json 'j["nr_attempts"]')" 0
eq "loading untouched" "$(cat "$FW/loading")" 0
stop_server
summary_has "updates attempted" 0

# ---- a module without update-compatibility under v8: refused, nothing changed ----
start_server compat --module 1.5.16 --profile v8
update 5 "$IMG"
eq "result" "$(json 'j["result"]')" failed
eq "last error" "$(json 'j["attempts"][-1]["error"]')" transferring:firmware-invalid
eq "version" "$(cat "$DEV/version")" 1.5.16
eq "updates left" "$(cat "$DEV/num_remaining_updates")" 16
stop_server
summary_has "updates applied" 0
summary_has "module" 1.5.16

# ---- a fault after shutdown: the module is lost, and the running TDs with it ----
start_server fault --module 1.5.24 --fault sys-update --workload running=2,gap=5ms
update 6 "$IMG"
eq "result" "$(json 'j["result"]')" lost
timeout 60 cat "$DEV/version" 2>"$TMP/e" && fail "version readable with the module lost"
grep -q "No such device or address" "$TMP/e" || fail "version: $(cat "$TMP/e")"
status_json
eq "status module_version" "$(json 'j["module_version"]')" None
eq "status available" "$(json 'j["update_available"]')" False
for ((i = 0; i < READY_TRIES; i++)); do
	[ "$(grep -c "TD LOST: run" "$SRV_ERR" || true)" -eq 2 ] && break
	sleep 0.1
done
stop_server
summary_has "lost TDs" 2
summary_has "module" lost
grep -q "update attempt [0-9]*: failed; module lost" "$SRV_ERR" || fail "loss not logged"

# ---- legacy layout: seamldr/ and seamldr_upload -----------------------------
start_server legacy --module 1.5.24 --layout legacy
eq "seamldr/version" "$(cat "$DEV/seamldr/version")" 1.5.01
eq "seamldr/num_remaining_updates" "$(cat "$DEV/seamldr/num_remaining_updates")" 16
eq "seamldr_upload link" "$(readlink "$SYS/class/firmware/seamldr_upload")" \
	../../devices/faux/tdx_host/firmware/seamldr_upload
status_json
eq "status module_version" "$(json 'j["module_version"]')" 1.5.24
eq "status seamldr_version" "$(json 'j["seamldr_version"]')" 1.5.01
eq "status updates left" "$(json 'j["num_remaining_updates"]')" 16
update 0 "$IMG"
eq "result" "$(json 'j["result"]')" updated
eq "version" "$(cat "$DEV/version")" 1.5.25
# The old name works too, by hand.
eq "seamldr_upload status" "$(cat "$SYS/class/firmware/seamldr_upload/status")" idle
stop_server
summary_has "updates applied" 1

echo PASS
