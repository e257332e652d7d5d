#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Ansible collection (ansible/ansible_collections/tdxup/tdx) against five
# emulated hosts on this machine, each a `tdxup serve --detach` mount, driven
# by Debian's ansible-core over the local connection: check mode changes
# nothing; a rollout updates every host, batch by batch; a rerun changes
# nothing; a module lost in the second batch stops the rollout there; a host
# busy past its deadline fails its batch and halts the rollout.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
TDXUP=$(realpath "$TDXUP")
SRC=$(realpath "$(dirname "$0")/../..")
# shellcheck source=../sysfs/fuse_lib.bash
. "$SRC/tests/sysfs/fuse_lib.bash"
command -v ansible-playbook >/dev/null || skip "ansible-playbook not installed (ansible-core)"
fuse_usable

# Ansible writes nothing outside $TMP, needs no network, and says UTF-8.
export LC_ALL=C.UTF-8 ANSIBLE_HOME=$TMP/ansible-home ANSIBLE_LOCAL_TEMP=$TMP/ansible-tmp \
	ANSIBLE_REMOTE_TEMP=$TMP/ansible-tmp ANSIBLE_COLLECTIONS_PATH=$SRC/ansible \
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_GATHERING=explicit \
	ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 ANSIBLE_FORKS=5 \
	ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_LOCALHOST_WARNING=0

CAT=$TMP/cat
make_catalog "$CAT" 1.5.24 1.5.25

HOSTS=(h1 h2 h3 h4 h5)

# fleet NAME [SERVE ARGS FOR h2...]: five hosts at 1.5.24 under $TMP/NAME-hN, and
# an inventory in $TMP/NAME.ini; only h2 (the second batch) gets the extra args.
fleet() {
	local name=$1 h
	shift
	{
		echo "[tdx_hosts]"
		for h in "${HOSTS[@]}"; do
			if [ "$h" = h2 ]; then
				start_server "$name-$h" --module 1.5.24 "$@"
			else
				start_server "$name-$h" --module 1.5.24
			fi
			echo "$h ansible_connection=local tdxup_sysroot=$MNT"
		done
		echo "[tdx_hosts:vars]"
		echo "tdxup_bin=$TDXUP"
		echo "tdxup_catalog=$CAT"
		echo "tdxup_version=1.5.25"
		echo "tdxup_retry_for=${RETRY_FOR:-30s}"
		echo "tdxup_hold_builds=${HOLD:-auto}"
	} >"$TMP/$name.ini"
	INV=$TMP/$name.ini
	FLEET=$name
}

stop_fleet() {
	local h
	for h in "${HOSTS[@]}"; do
		timeout 120 "$TDXUP" serve --stop "$TMP/$FLEET-$h/mnt" >/dev/null 2>&1 ||
			fail "serve --stop $FLEET-$h"
	done
}

# play WANT_RC [ARGS]: the collection's rollout playbook; output in $TMP/play
play() {
	local want=$1 rc=0
	shift
	timeout 300 ansible-playbook -i "$INV" tdxup.tdx.rollout "$@" >"$TMP/play" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$TMP/play" >&2; fail "ansible-playbook $* exited $rc, not $want"; }
}

# recap HOST: "ok=N changed=N unreachable=N failed=N skipped=N rescued=N ignored=N"
recap() {
	sed -n "s/^$1 *: *\(ok=.*\)/\1/p" "$TMP/play" | tr -s ' ' | sed 's/ *$//'
}
# recap_has HOST KEY=VALUE...
recap_has() {
	local h=$1 got kv
	shift
	got=$(recap "$h")
	for kv in "$@"; do
		[[ " $got " == *" $kv "* ]] || { cat "$TMP/play" >&2; fail "recap $h: want $kv in '$got'"; }
	done
}
no_recap() {
	[ -z "$(recap "$1")" ] || { cat "$TMP/play" >&2; fail "$1 ran although its batch never started"; }
}
version_of() { cat "$TMP/$FLEET-$1/mnt/sys/devices/faux/tdx_host/version" 2>/dev/null || echo lost; }
versions() {
	local h out=""
	for h in "${HOSTS[@]}"; do out+="$h=$(version_of "$h") "; done
	echo "${out% }"
}
played() { grep -qF -- "$1" "$TMP/play" || { cat "$TMP/play" >&2; fail "play output lacks: $1"; }; }

# ---- (a) check mode, then the rollout, then (d) a rerun ----------------------
fleet good
play 0 --check
for h in "${HOSTS[@]}"; do recap_has $h changed=1 failed=0; done
eq "versions after --check" "$(versions)" "h1=1.5.24 h2=1.5.24 h3=1.5.24 h4=1.5.24 h5=1.5.24"
# Batches [1, 10%, 100%] of five hosts: h1, then h2, then h3-h5.
eq "batches" "$(grep -c '^PLAY \[Roll out a TDX module' "$TMP/play")" 3

play 0
for h in "${HOSTS[@]}"; do recap_has $h changed=1 failed=0 rescued=0; done
eq "versions after the rollout" "$(versions)" "h1=1.5.25 h2=1.5.25 h3=1.5.25 h4=1.5.25 h5=1.5.25"
eq "updates left on h1" "$("$TDXUP" status --sysroot "$TMP/good-h1/mnt" --json |
	python3 -c 'import json, sys; print(json.load(sys.stdin)["num_remaining_updates"])')" 15

play 0
for h in "${HOSTS[@]}"; do recap_has $h changed=0 failed=0; done
play 0 --check
for h in "${HOSTS[@]}"; do recap_has $h changed=0 failed=0; done
eq "versions after reruns" "$(versions)" "h1=1.5.25 h2=1.5.25 h3=1.5.25 h4=1.5.25 h5=1.5.25"
stop_fleet

# ---- (b) module lost on h2: the rollout stops in its batch -------------------
fleet lost --fault sys-update
play 2
recap_has h1 changed=1 failed=0
recap_has h2 failed=1 rescued=1
for h in h3 h4 h5; do no_recap $h; done
played "ROLLOUT STOPPED: TDX module LOST: TDs on this host are gone, reboot it"
eq "versions after a lost module" "$(versions)" "h1=1.5.25 h2=lost h3=1.5.24 h4=1.5.24 h5=1.5.24"
stop_fleet

# ---- (c) h2 busy past its deadline: reported, the rollout halts --------------
RETRY_FOR=0s HOLD=off fleet busy --profile v8 --workload builders=1,pages=64,hold=busy
play 2
recap_has h1 changed=1 failed=0
recap_has h2 changed=0 failed=1 rescued=1
for h in h3 h4 h5; do no_recap $h; done
played "tdxup update still busy when the retry window closed, nothing changed"
eq "versions after a busy host" "$(versions)" "h1=1.5.25 h2=1.5.24 h3=1.5.24 h4=1.5.24 h5=1.5.24"
stop_fleet
echo "PASS"
