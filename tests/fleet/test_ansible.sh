#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Ansible collection (ansible/ansible_collections/tdxup/tdx) against five
# emulated hosts on this machine, each a `tdxup serve --detach` mount, driven
# by Debian's ansible-core over the local connection: the modules run with
# the Python that Ansible discovers, or ansible_python_interpreter; check mode
# changes nothing and diff mode shows the versions; a rollout updates every
# host, batch by batch; a rerun changes nothing; the role refuses a bad
# argument before its first task; a module lost in the second batch stops the
# rollout there; a host busy past its deadline fails its batch and halts the
# rollout. Facts are not injected as variables: the role reads ansible_facts.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
TDXUP=$(realpath "$TDXUP")
SRC=$(realpath "$(dirname "$0")/../..")
# shellcheck source=../sysfs/fuse_lib.bash
. "$SRC/tests/sysfs/fuse_lib.bash"
command -v ansible-playbook >/dev/null || skip "ansible-playbook not installed (ansible-core)"
# The rollout drives the update and serve paths that the sysfs tests run
# under the sanitizers too; here it costs minutes (ASan: 299 s against 139 s
# plain, measured), so it runs in the plain tree only, keeping make check short.
if grep -Eq '^TDXUP_SANITIZE:[A-Z]+=.+' "$(dirname "$TDXUP")/CMakeCache.txt" 2>/dev/null; then
	skip "the rollout is checked in the plain tree (see the comment above)"
fi
fuse_usable

# Ansible writes nothing outside $TMP, needs no network, and says UTF-8. The
# interpreter is Ansible's own choice (interpreter_python auto), as on a fleet.
export LC_ALL=C.UTF-8 ANSIBLE_HOME=$TMP/ansible-home ANSIBLE_LOCAL_TEMP=$TMP/ansible-tmp \
	ANSIBLE_REMOTE_TEMP=$TMP/ansible-tmp ANSIBLE_COLLECTIONS_PATH=$SRC/ansible \
	ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_GATHERING=explicit \
	ANSIBLE_INJECT_FACT_VARS=False ANSIBLE_FORKS=5 \
	ANSIBLE_DEPRECATION_WARNINGS=0 ANSIBLE_LOCALHOST_WARNING=0
unset ANSIBLE_PYTHON_INTERPRETER

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
not_played() { ! grep -qF -- "$1" "$TMP/play" || { cat "$TMP/play" >&2; fail "play output has: $1"; }; }
# count_lines LINE: how many lines of the play output are exactly LINE
count_lines() { grep -cxF -- "$1" "$TMP/play" || true; }

# facts_on HOST [ANSIBLE ARGS]: tdxup_facts on HOST as an ad-hoc command; its
# one-line result in $TMP/adhoc
facts_on() {
	local h=$1 rc=0
	shift
	timeout 120 ansible "$h" -i "$INV" -o -m tdxup.tdx.tdxup_facts \
		-a "sysroot=$TMP/$FLEET-$h/mnt tdxup=$TDXUP" "$@" >"$TMP/adhoc" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || { cat "$TMP/adhoc" >&2; fail "ansible $h tdxup_facts $* exited $rc"; }
}
# adhoc_json EXPR: a Python expression on the ad-hoc result r
adhoc_json() {
	sed -n 's/^[^ ]* | SUCCESS => //p' "$TMP/adhoc" |
		/usr/bin/python3 -c "import json, sys; r = json.load(sys.stdin); print($1)"
}

# ---- the interpreter: Ansible's discovery, or ansible_python_interpreter -----
fleet good
# Discovery on a Debian host picks /usr/bin/python3, whatever python3 PATH has.
facts_on h1
eq "discovered interpreter" "$(adhoc_json 'r["ansible_facts"]["discovered_interpreter_python"]')" \
	/usr/bin/python3
eq "module_version via discovery" "$(adhoc_json 'r["ansible_facts"]["tdxup"]["module_version"]')" 1.5.24
# An interpreter the inventory names runs the module (ansible-core sets it
# only for a #!/usr/bin/python shebang).
cat >"$TMP/python-logged" <<EOF
#!/bin/sh
echo "python-logged ran" >>"$TMP/interp.log"
exec /usr/bin/python3 "\$@"
EOF
chmod +x "$TMP/python-logged"
facts_on h1 -e "ansible_python_interpreter=$TMP/python-logged"
eq "runs of ansible_python_interpreter" "$(grep -c '^python-logged ran$' "$TMP/interp.log" 2>/dev/null)" 1
eq "module_version via the named interpreter" \
	"$(adhoc_json 'r["ansible_facts"]["tdxup"]["module_version"]')" 1.5.24

# ---- (a) check mode, then the rollout, then (d) a rerun ----------------------
# Diff mode: each host's module version, before and after.
play 0 --check --diff
for h in "${HOSTS[@]}"; do recap_has $h changed=1 failed=0; done
eq "versions after --check" "$(versions)" "h1=1.5.24 h2=1.5.24 h3=1.5.24 h4=1.5.24 h5=1.5.24"
# Batches [1, 10%, 100%] of five hosts: h1, then h2, then h3-h5.
eq "batches" "$(grep -c '^PLAY \[Roll out a TDX module' "$TMP/play")" 3
eq "diffs before, --check" "$(count_lines "-module_version: 1.5.24")" 5
eq "diffs after, --check" "$(count_lines "+module_version: 1.5.25")" 5

play 0 --diff
for h in "${HOSTS[@]}"; do recap_has $h changed=1 failed=0 rescued=0; done
eq "versions after the rollout" "$(versions)" "h1=1.5.25 h2=1.5.25 h3=1.5.25 h4=1.5.25 h5=1.5.25"
eq "updates left on h1" "$("$TDXUP" status --sysroot "$TMP/good-h1/mnt" --json |
	/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["num_remaining_updates"])')" 15
eq "diffs before" "$(count_lines "-module_version: 1.5.24")" 5
eq "diffs after" "$(count_lines "+module_version: 1.5.25")" 5

play 0 --diff
for h in "${HOSTS[@]}"; do recap_has $h changed=0 failed=0; done
eq "diffs of a rerun" "$(grep -c '^[-+]module_version' "$TMP/play" || true)" 0
play 0 --check
for h in "${HOSTS[@]}"; do recap_has $h changed=0 failed=0; done
eq "versions after reruns" "$(versions)" "h1=1.5.25 h2=1.5.25 h3=1.5.25 h4=1.5.25 h5=1.5.25"
stop_fleet

# ---- the role's argument spec: a bad choice fails before the first task ------
play 2 --limit h1 -e tdxup_hold_builds=maybe
recap_has h1 ok=0 changed=0 failed=1
played "value of tdxup_hold_builds must be one of: auto, on, off, got: maybe"
not_played "Gate before | read the host's TDX status"

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
