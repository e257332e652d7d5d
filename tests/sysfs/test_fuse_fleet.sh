#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Fleet outputs against `tdxup serve` (docs/fleet.md): `status --textfile`
# (node_exporter's textfile collector; exact content and `promtool check
# metrics`) and `--nfd-features` (expiry directive, labels in tdxup.io/,
# --nfd-expiry) before and after an update that met
# device-busy, the run's record SYSROOT/run/tdxup/last-update.json, update's
# "attestation" (the image's, as `image inspect --attestation --json` says),
# a lost module (tdxup_tdx_module_up 0), no device, and usage errors.
# Exit 77 at the end when promtool (Debian package prometheus) is absent:
# everything else has run by then.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
# shellcheck source=fuse_lib.bash
. "$(dirname "$0")/fuse_lib.bash"
fuse_usable

json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
PROMTOOL=$(command -v promtool || true)
promcheck() {
	[ -n "$PROMTOOL" ] || return 0
	"$PROMTOOL" check metrics <"$1" >"$TMP/promtool" 2>&1 ||
		{ cat "$TMP/promtool" >&2; fail "promtool check metrics: $1"; }
	[ ! -s "$TMP/promtool" ] || { cat "$TMP/promtool" >&2; fail "promtool complained: $1"; }
}
same() { diff -u "$1" "$2" >&2 || fail "$3 differs (- want, + got)"; }

IMG=$TMP/tdx_module_1.5.25.blob
make_image 1.5.25 "$IMG"
CAT=$TMP/cat
make_catalog "$CAT" 1.5.24 1.5.25
TF=$TMP/textfile
mkdir -p "$TF"

# want_prom VERSION REMAINING AVAILABLE [RESULT TIMESTAMP RUNS BUSY]
want_prom() {
	local up=1 r
	[ "$1" = lost ] && up=0
	echo "# HELP tdxup_tdx_module_up 1 if the TDX module's version is readable; 0 if not (no tdx_host device, or ENXIO: the module is lost and the TDs with it)."
	echo "# TYPE tdxup_tdx_module_up gauge"
	echo "tdxup_tdx_module_up $up"
	if [ $up = 1 ]; then
		echo "# HELP tdxup_tdx_module_info The running TDX module's version."
		echo "# TYPE tdxup_tdx_module_info gauge"
		echo "tdxup_tdx_module_info{version=\"$1\",major=\"1\",minor=\"5\",update=\"${1##*.}\"} 1"
		echo "# HELP tdxup_tdx_module_version The running TDX module's version as one number, five digits a part (major*1e10 + minor*1e5 + update: 1.5.25 is 10000500025)."
		echo "# TYPE tdxup_tdx_module_version gauge"
		echo "tdxup_tdx_module_version 100005000${1##*.}"
	fi
	echo "# HELP tdxup_seamldr_info The P-SEAMLDR's version."
	echo "# TYPE tdxup_seamldr_info gauge"
	echo 'tdxup_seamldr_info{version="1.5.01",major="1",minor="5",update="1"} 1'
	echo "# HELP tdxup_seamldr_version The P-SEAMLDR's version as one number, five digits a part (major*1e10 + minor*1e5 + update: 1.5.25 is 10000500025)."
	echo "# TYPE tdxup_seamldr_version gauge"
	echo 'tdxup_seamldr_version 10000500001'
	echo "# HELP tdxup_tdx_module_remaining_updates Runtime module updates the P-SEAMLDR still allows (num_remaining_updates)."
	echo "# TYPE tdxup_tdx_module_remaining_updates gauge"
	echo "tdxup_tdx_module_remaining_updates $2"
	echo "# HELP tdxup_runtime_update_possible 1 if the kernel offers a runtime module update now (fw_upload device present, updates left)."
	echo "# TYPE tdxup_runtime_update_possible gauge"
	echo "tdxup_runtime_update_possible $up"
	if [ "$3" != - ]; then
		echo "# HELP tdxup_tdx_module_update_available 1 if the catalogue's choice for this host is newer than the running module."
		echo "# TYPE tdxup_tdx_module_update_available gauge"
		echo "tdxup_tdx_module_update_available $3"
	fi
	echo "# HELP tdxup_update_runs_total tdxup update runs recorded since the record was created (dry runs excluded)."
	echo "# TYPE tdxup_update_runs_total counter"
	echo "tdxup_update_runs_total ${6:-0}"
	echo "# HELP tdxup_update_busy_rejections_total device-busy answers (a TD build or migration in flight) met by tdxup update runs."
	echo "# TYPE tdxup_update_busy_rejections_total counter"
	echo "tdxup_update_busy_rejections_total ${7:-0}"
	[ $# -gt 3 ] || return 0
	echo "# HELP tdxup_last_update_result Result of the last tdxup update run: 1 for the result it had."
	echo "# TYPE tdxup_last_update_result gauge"
	for r in updated current refused busy failed lost error; do
		echo "tdxup_last_update_result{result=\"$r\"} $([ "$r" = "$4" ] && echo 1 || echo 0)"
	done
	echo "# HELP tdxup_last_update_timestamp_seconds When the last tdxup update run ended, in seconds since the epoch."
	echo "# TYPE tdxup_last_update_timestamp_seconds gauge"
	echo "tdxup_last_update_timestamp_seconds $5"
}
want_nfd() {
	printf 'tdxup.io/tdx-module-version.full=%s\ntdxup.io/tdx-module-version.major=1\n' "$1"
	printf 'tdxup.io/tdx-module-version.minor=5\ntdxup.io/tdx-module-version.revision=%s\n' "${1##*.}"
}
# nfd_status LIFETIME_S VERSION STATUS-ARGS...: status writes the feature
# file; its first line is NFD's expiry directive, LIFETIME_S after the write
# (UTC, RFC 3339), then the labels of VERSION.
nfd_status() {
	local life=$1 ver=$2 t0 t1 first exp
	shift 2
	t0=$(date +%s)
	tx 0 status "$@"
	t1=$(date +%s)
	first=$(head -n 1 "$TF/tdx.features")
	[[ $first =~ ^\#\ \+expiry-time=([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})Z$ ]] ||
		fail "no expiry directive first: '$first'"
	exp=$(date -u -d "${BASH_REMATCH[1]}Z" +%s)
	[ "$exp" -ge $((t0 + life)) ] && [ "$exp" -le $((t1 + life)) ] ||
		fail "expiry $exp not within [$((t0 + life)), $((t1 + life))]"
	want_nfd "$ver" >"$TMP/want"
	tail -n +2 "$TF/tdx.features" >"$TMP/labels"
	same "$TMP/want" "$TMP/labels" "NFD labels of $ver"
}

# ---- before: 1.5.24, a newer module in the catalogue, no run recorded ----
start_server fleet --module 1.5.24 --workload builders=2,pages=64,running=2,gap=50ms,hold=busy
STATE=$MNT/run/tdxup/last-update.json
nfd_status 900 1.5.24 --sysroot "$MNT" --textfile "$TF" --catalog "$CAT" --nfd-features "$TF/tdx.features"
eq "stdout without --json" "$(cat "$TMP/out")" ""
want_prom 1.5.24 16 1 >"$TMP/want"
same "$TMP/want" "$TF/tdxup.prom" "textfile before the update"
promcheck "$TF/tdxup.prom"
eq "only the two files (no temporary left)" "$(ls -A "$TF" | tr '\n' ' ')" "tdx.features tdxup.prom "
[ ! -e "$STATE" ] || fail "a run recorded before any update"
INODE=$(stat -c %i "$TF/tdxup.prom")

# ---- the update: device-busy first (hold=busy), then installed ----
T0=$(date +%s)
tx 0 update "$IMG" --sysroot "$MNT" --image-format 0x100 --retry-for 120s --hold-builds off --json
T1=$(date +%s)
cp "$TMP/out" "$TMP/update.json"
eq "result" "$(json "$TMP/update.json" 'j["result"]')" updated
eq "first attempt" "$(json "$TMP/update.json" 'j["attempts"][0]["error"]')" transferring:device-busy
BUSY=$(json "$TMP/update.json" 'j["nr_attempts"] - 1')
tx 0 image inspect "$IMG" --attestation --json
cp "$TMP/out" "$TMP/attest.json"
eq "update's attestation is the image's" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["attestation"] == json.load(open(sys.argv[2])))' "$TMP/update.json" "$TMP/attest.json")" True
eq "mrseam is the seamhash" "$(json "$TMP/attest.json" 'j["mrseam"]')" \
	"$("$TDXUP" image inspect "$IMG" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["sigstruct"]["seamhash"])')"
eq "tee_tcb_svn_prefix" "$(json "$TMP/attest.json" 'j["tee_tcb_svn_prefix"]')" 0e01
eq "module_version" "$(json "$TMP/attest.json" 'j["module_version"]')" 1.5.25

# The record, written under the host lock.
eq "recorded result" "$(json "$STATE" 'j["result"], j["from"], j["to"]')" "updated 1.5.24 1.5.25"
eq "recorded busy" "$(json "$STATE" 'j["busy_rejections"], j["busy_rejections_total"], j["runs_total"]')" \
	"$BUSY $BUSY 1"
TS=$(json "$STATE" 'j["timestamp"]')
[ "$TS" -ge "$T0" ] && [ "$TS" -le "$T1" ] || fail "timestamp $TS not within [$T0, $T1]"
[ "$BUSY" -ge 1 ] || fail "no device-busy counted"

nfd_status 900 1.5.25 --sysroot "$MNT" --textfile "$TF" --catalog "$CAT" --nfd-features "$TF/tdx.features"
want_prom 1.5.25 15 0 updated "$TS" 1 "$BUSY" >"$TMP/want"
same "$TMP/want" "$TF/tdxup.prom" "textfile after the update"
promcheck "$TF/tdxup.prom"
# Another lifetime for a slower producer (e.g. a DaemonSet's loop).
nfd_status 3600 1.5.25 --sysroot "$MNT" --nfd-features "$TF/tdx.features" --nfd-expiry 1h
nfd_status 90 1.5.25 --sysroot "$MNT" --nfd-features "$TF/tdx.features" --nfd-expiry 90s
[ "$(stat -c %i "$TF/tdxup.prom")" != "$INODE" ] || fail "textfile rewritten in place, not renamed"

# A second run: current; the totals go on, the busy count does not grow.
tx 0 update "$IMG" --sysroot "$MNT" --hold-builds off
eq "recorded second run" "$(json "$STATE" 'j["result"], j["busy_rejections"], j["busy_rejections_total"], j["runs_total"]')" \
	"current 0 $BUSY 2"
# A dry run is not recorded.
tx 0 update --catalog "$CAT" --sysroot "$MNT" --hold-builds off --dry-run
eq "dry run not recorded" "$(json "$STATE" 'j["runs_total"]')" 2
TS=$(json "$STATE" 'j["timestamp"]')
tx 0 status --sysroot "$MNT" --textfile "$TF" --json
eq "--json still prints" "$(json "$TMP/out" 'j["module_version"]')" 1.5.25
want_prom 1.5.25 15 - current "$TS" 2 "$BUSY" >"$TMP/want"
same "$TMP/want" "$TF/tdxup.prom" "textfile after a current run, no --catalog"
promcheck "$TF/tdxup.prom"
stop_server

# ---- a lost module: up 0, no version, no NFD labels ----
start_server lost --module 1.5.24 --fault sys-update
STATE=$MNT/run/tdxup/last-update.json
tx 6 update "$IMG" --sysroot "$MNT" --hold-builds off
TS=$(json "$STATE" 'j["timestamp"]')
eq "recorded lost" "$(json "$STATE" 'j["result"], j["runs_total"]')" "lost 1"
tx 0 status --sysroot "$MNT" --textfile "$TF" --nfd-features "$TF/tdx.features"
want_prom lost 15 - lost "$TS" 1 0 >"$TMP/want"
same "$TMP/want" "$TF/tdxup.prom" "textfile of a lost module"
promcheck "$TF/tdxup.prom"
eq "NFD file of a lost module" "$(stat -c %s "$TF/tdx.features")" 0
# --catalog cannot judge without a version: left out, said, still written.
tx 0 status --sysroot "$MNT" --textfile "$TF" --catalog "$CAT"
grep -qF "tdxup_tdx_module_update_available left out" "$TMP/err" || fail "no word on --catalog"
same "$TMP/want" "$TF/tdxup.prom" "textfile of a lost module with --catalog"
# --check and --dry-run find the loss but write nothing: 5 and 6 are a real
# run's, so refused (3), the result still naming the loss, nothing recorded.
tx 3 update "$IMG" --sysroot "$MNT" --hold-builds off --check --json
eq "check on a lost module" "$(json "$TMP/out" 'j["result"], j["changed"], j["would_change"]')" \
	"lost False False"
has "module lost: devices/faux/tdx_host/version gives ENXIO" out
tx 3 update "$IMG" --sysroot "$MNT" --hold-builds off --dry-run
has "update lost: module lost" err
eq "runs recorded after the check" "$(json "$STATE" 'j["result"], j["runs_total"]')" "lost 1"
tx 6 update "$IMG" --sysroot "$MNT" --hold-builds off
stop_server

# ---- no tdx_host device: up 0 and nothing else of the host ----
mkdir -p "$TMP/empty/sys"
tx 0 status --sysroot "$TMP/empty" --textfile "$TF"
cat >"$TMP/want" <<'PROM'
# HELP tdxup_tdx_module_up 1 if the TDX module's version is readable; 0 if not (no tdx_host device, or ENXIO: the module is lost and the TDs with it).
# TYPE tdxup_tdx_module_up gauge
tdxup_tdx_module_up 0
# HELP tdxup_runtime_update_possible 1 if the kernel offers a runtime module update now (fw_upload device present, updates left).
# TYPE tdxup_runtime_update_possible gauge
tdxup_runtime_update_possible 0
# HELP tdxup_update_runs_total tdxup update runs recorded since the record was created (dry runs excluded).
# TYPE tdxup_update_runs_total counter
tdxup_update_runs_total 0
# HELP tdxup_update_busy_rejections_total device-busy answers (a TD build or migration in flight) met by tdxup update runs.
# TYPE tdxup_update_busy_rejections_total counter
tdxup_update_busy_rejections_total 0
PROM
same "$TMP/want" "$TF/tdxup.prom" "textfile without a device"
promcheck "$TF/tdxup.prom"
# A damaged record: said, and left out.
mkdir -p "$TMP/empty/run/tdxup"
echo '{"result": 3}' >"$TMP/empty/run/tdxup/last-update.json"
tx 0 status --sysroot "$TMP/empty" --textfile "$TF"
grep -qF "not a tdxup last-update record; the last-update metrics are left out" "$TMP/err" ||
	fail "damaged record not reported"
same "$TMP/want" "$TF/tdxup.prom" "textfile with a damaged record"

# ---- usage and write errors ----
tx 2 status --sysroot "$TMP/empty" --catalog "$CAT"
tx 2 status --sysroot "$TMP/empty" --nfd-expiry 1h
grep -qF "status: --nfd-expiry goes with --nfd-features" "$TMP/err" || fail "no word on --nfd-expiry alone"
for bad in 0 500ms 169h 1d x; do
	tx 2 status --sysroot "$TMP/empty" --nfd-features "$TMP/f" --nfd-expiry "$bad"
	grep -qF "status: --nfd-expiry: '$bad' is not a duration from 1s to 168h" "$TMP/err" ||
		fail "--nfd-expiry $bad: no named error"
done
[ ! -e "$TMP/f" ] || fail "a feature file written despite a usage error"
tx 1 status --sysroot "$TMP/empty" --textfile "$TMP/nonexistent"
grep -qxF "tdxup: status: $TMP/nonexistent/tdxup.prom: cannot create a temporary file beside it: No such file or directory" "$TMP/err" ||
	fail "no write error: $(cat "$TMP/err")"

[ -n "$PROMTOOL" ] || skip "promtool not installed (Debian package prometheus): exact contents checked, format not"
echo "PASS"
