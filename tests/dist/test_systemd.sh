#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The service files the packages ship (dist/): every unit passes
# `systemd-analyze verify`, the timers run their services every five
# minutes, the sandboxes and stop behaviour are what the units' comments
# argue; sysusers.d makes the group and tmpfiles.d then makes exactly the
# runtime tree of docs/lease.md, in a scratch root. Skipped (77) only when
# systemd's tools are not installed.
set -euo pipefail

. "$(dirname "$0")/../cli/lib.bash"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
U=$SRC/dist/systemd
for t in systemd-analyze systemd-sysusers systemd-tmpfiles; do
	command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

# ---- systemd-analyze verify ----
# verify wants ExecStart's program to exist: the installed /usr/bin/tdxup
# (autopkgtest, a package), else copies naming this build's tdxup (the only
# line changed).
V=$TMP/units
mkdir -p "$V"
for f in "$U"/*; do
	if [ -x /usr/bin/tdxup ]; then
		cp "$f" "$V/"
	else
		sed "s#/usr/bin/tdxup #$TDXUP #" "$f" >"$V/$(basename "$f")"
	fi
done
units=(tdxup-metrics.service tdxup-metrics.timer tdxup-nfd.service tdxup-nfd.timer
       tdxup-update@.service)
[ "$(cd "$U" && ls | sort | tr '\n' ' ')" = "$(printf '%s\n' "${units[@]}" | sort | tr '\n' ' ')" ] ||
	fail "dist/systemd holds: $(ls "$U")"
for u in "${units[@]}"; do
	rc=0
	(cd "$V" && systemd-analyze verify --man=no "$V/$u") >"$TMP/verify" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] && [ ! -s "$TMP/verify" ] || fail "systemd-analyze verify $u: rc $rc: $(cat "$TMP/verify")"
done
# The instance of the template too.
cp "$V/tdxup-update@.service" "$V/tdxup-update@1.5.25.service"
systemd-analyze verify --man=no "$V/tdxup-update@1.5.25.service" >"$TMP/verify" 2>&1 ||
	fail "verify tdxup-update@1.5.25: $(cat "$TMP/verify")"

# key UNIT KEY VALUE: the unit sets KEY=VALUE (exactly, one line).
key() { grep -qxF "$2=$3" "$U/$1" || fail "$1: no $2=$3"; }
for s in tdxup-metrics.service tdxup-nfd.service tdxup-update@.service; do
	key "$s" ConditionPathExists /sys/devices/faux/tdx_host
	key "$s" Type oneshot
	for k in ProtectSystem=strict PrivateTmp=yes ProtectHome=yes NoNewPrivileges=yes \
		 PrivateNetwork=yes RestrictAddressFamilies=AF_UNIX; do
		key "$s" "${k%%=*}" "${k#*=}"
	done
done
key tdxup-metrics.service ExecStart "/usr/bin/tdxup status --textfile /var/lib/prometheus/node-exporter"
key tdxup-metrics.service ReadWritePaths /var/lib/prometheus/node-exporter
key tdxup-metrics.service ConditionPathIsDirectory /var/lib/prometheus/node-exporter
key tdxup-nfd.service ExecStart \
	"/usr/bin/tdxup status --nfd-features /etc/kubernetes/node-feature-discovery/features.d/tdxup"
key tdxup-nfd.service ReadWritePaths /etc/kubernetes/node-feature-discovery/features.d
for t in tdxup-metrics.timer tdxup-nfd.timer; do
	key "$t" OnUnitActiveSec 5min
	key "$t" WantedBy timers.target
done
# The update: only SIGTERM, to tdxup alone, and no timeout ever kills it.
key tdxup-update@.service KillMode mixed
key tdxup-update@.service SendSIGKILL no
key tdxup-update@.service TimeoutStopSec infinity
key tdxup-update@.service TimeoutStartSec infinity
key tdxup-update@.service ReadWritePaths /run/tdxup
# systemd-analyze security scores the metrics sandbox: "OK" or better.
score=$(cd "$V" && systemd-analyze security --offline=true --no-pager "$V/tdxup-metrics.service" 2>/dev/null |
	sed -n 's/.*Overall exposure level for tdxup-metrics.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
[ -n "$score" ] || fail "systemd-analyze security gave no score"
case ${score#* } in OK | SAFE) ;; *) fail "metrics sandbox exposure: $score" ;; esac

# ---- sysusers.d, then tmpfiles.d, in a scratch root ----
R=$TMP/root
mkdir -p "$R/etc" "$R/usr/lib/sysusers.d" "$R/usr/lib/tmpfiles.d"
echo 'root:x:0:0:root:/root:/bin/sh' >"$R/etc/passwd"
echo 'root:x:0:' >"$R/etc/group"
cp "$SRC/dist/usr/lib/sysusers.d/tdxup.conf" "$R/usr/lib/sysusers.d/"
cp "$SRC/dist/usr/lib/tmpfiles.d/tdxup.conf" "$R/usr/lib/tmpfiles.d/"
# Without the group, tmpfiles cannot resolve it: the order matters.
rc=0
systemd-tmpfiles --root="$R" --create tdxup.conf >"$TMP/tmpf.err" 2>&1 || rc=$?
[ "$rc" -ne 0 ] && grep -q tdxup-lease "$TMP/tmpf.err" || fail "tmpfiles without the group: rc $rc"
rm -rf "$R/run"
systemd-sysusers --root="$R" tdxup.conf >/dev/null 2>&1 || fail "systemd-sysusers"
gid=$(awk -F: '$1 == "tdxup-lease" { print $3 }' "$R/etc/group")
[[ "$gid" =~ ^[0-9]+$ ]] && [ "$gid" -lt 1000 ] || fail "tdxup-lease is not a system group: '$gid'"
systemd-tmpfiles --root="$R" --create tdxup.conf || fail "systemd-tmpfiles --create"
# Exactly the tree of docs/lease.md (hold and *.lock exist only at run time).
got=$(cd "$R" && find run -printf '%M %U:%G %p\n' | sort -k3)
want="drwxr-xr-x 0:0 run
drwxr-xr-x 0:0 run/tdxup
drwxr-x--- 0:$gid run/tdxup/lease
drwxrwx--T 0:$gid run/tdxup/lease/builds
-rw-r----- 0:$gid run/tdxup/lease/gate
-rw------- 0:0 run/tdxup/lease/updater
drwx------ 0:0 run/tdxup/lock"
[ "$got" = "$want" ] || fail "tmpfiles made:
$got
want:
$want"
# z lines put a loose leftover right (a hold and a lock an older tdxup made 0644).
touch "$R/run/tdxup/lease/hold" "$R/run/tdxup/lock/abc.lock"
chmod 0666 "$R/run/tdxup/lease/hold" "$R/run/tdxup/lock/abc.lock"
chmod 0777 "$R/run/tdxup/lease/builds"
systemd-tmpfiles --root="$R" --create tdxup.conf || fail "systemd-tmpfiles --create (again)"
[ "$(stat -c '%a %u:%g' "$R/run/tdxup/lease/hold")" = "640 0:$gid" ] ||
	fail "hold after tmpfiles: $(stat -c '%a %u:%g' "$R/run/tdxup/lease/hold")"
[ "$(stat -c '%a %u:%g' "$R/run/tdxup/lock/abc.lock")" = "600 0:0" ] || fail "a lock after tmpfiles"
[ "$(stat -c '%a' "$R/run/tdxup/lease/builds")" = 1770 ] || fail "builds after tmpfiles"
# --clean never ages anything out.
systemd-tmpfiles --root="$R" --clean tdxup.conf
[ -e "$R/run/tdxup/lock/abc.lock" ] && [ -e "$R/run/tdxup/lease/gate" ] || fail "--clean removed files"
echo PASS
