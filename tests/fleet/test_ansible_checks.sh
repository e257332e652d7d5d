#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Ansible's own checks on the collection (ansible/ansible_collections/tdxup/tdx),
# all offline, nothing written outside a temporary directory:
#  1. ansible-doc renders every module (by path and by its FQCN) and the
#     role; the documentation has an author, examples, `returned:` on every
#     RETURN entry, and the role's argument spec matches defaults/main.yml;
#  2. ansible-lint --profile production passes with no warning;
#  3. ansible-test sanity passes, every test but those listed in
#     docs/fleet.md ("How it is tested"), in virtual environments that use
#     Debian's packages (ansible_sanity_venvs.py beside this file).
# It reads no build output: it runs in the plain build tree only.
set -euo pipefail

TDXUP=${1:?usage: $0 path/to/tdxup}
SRC=$(realpath "$(dirname "$0")/../..")
COL=$SRC/ansible/ansible_collections/tdxup/tdx
PY=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }

if grep -Eq '^TDXUP_SANITIZE:[A-Z]+=.+' "$(dirname "$TDXUP")/CMakeCache.txt" 2>/dev/null; then
	skip "the collection's checks do not depend on the build: run in the plain tree"
fi
for tool in ansible-doc:ansible-core ansible-test:ansible-core ansible-lint:ansible-lint \
	pylint:pylint pycodestyle:pycodestyle yamllint:yamllint; do
	command -v "${tool%%:*}" >/dev/null || skip "${tool%%:*} not installed (${tool#*:})"
done
$PY -c 'import voluptuous' 2>/dev/null || skip "voluptuous not installed (python3-voluptuous)"

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# Everything Ansible, ansible-lint and ansible-test keep (caches, virtual
# environments, results) goes under $TMP; no network is used.
export HOME=$TMP/home LC_ALL=C.UTF-8 ANSIBLE_HOME=$TMP/home/.ansible \
	XDG_CACHE_HOME=$TMP/home/.cache ANSIBLE_LOCAL_TEMP=$TMP/ansible-tmp ANSIBLE_NOCOLOR=1
mkdir -p "$HOME"
# A copy: ansible-test writes tests/output into the collection, and
# ansible-lint would lint files that git does not track.
mkdir -p "$TMP/col/ansible_collections/tdxup"
cp -a "$COL" "$TMP/col/ansible_collections/tdxup/tdx"
rm -rf "$TMP/col/ansible_collections/tdxup/tdx/tests/output"
# The path ending in ansible_collections lets ansible-lint resolve the
# collection's modules itself (ansible-compat takes its parent).
export ANSIBLE_COLLECTIONS_PATH=$TMP/col/ansible_collections
cd "$TMP/col/ansible_collections/tdxup/tdx"

# ---- 1. ansible-doc ------------------------------------------------------------
modules=()
for f in plugins/modules/*.py; do modules+=("$(basename "$f" .py)"); done
[ "${#modules[@]}" -eq 2 ] || fail "modules: ${modules[*]} (want tdxup_facts tdxup_update)"
for m in "${modules[@]}"; do
	ansible-doc -M plugins/modules "$m" >"$TMP/doc" 2>"$TMP/err" ||
		{ cat "$TMP/err" >&2; fail "ansible-doc -M plugins/modules $m"; }
	[ ! -s "$TMP/err" ] || { cat "$TMP/err" >&2; fail "ansible-doc $m: warned"; }
	grep -q "^> ${m^^} " "$TMP/doc" || { cat "$TMP/doc" >&2; fail "ansible-doc $m: no heading"; }
	ansible-doc -t module --json "tdxup.tdx.$m" >"$TMP/$m.json" 2>"$TMP/err" ||
		{ cat "$TMP/err" >&2; fail "ansible-doc tdxup.tdx.$m"; }
	$PY - "$TMP/$m.json" "tdxup.tdx.$m" <<-'EOF' || fail "ansible-doc tdxup.tdx.$m: incomplete"
	import json, sys, yaml
	fqcn = sys.argv[2]
	d = json.load(open(sys.argv[1]))[fqcn]
	doc, ret = d["doc"], d["return"] or {}
	bad = []
	if not doc.get("author"):
	    bad.append("no author")
	if not ret:
	    bad.append("no RETURN")
	def returned(entries, path):
	    for k, v in entries.items():
	        if "returned" not in v:
	            bad.append("RETURN %s%s: no returned" % (path, k))
	        returned(v.get("contains") or {}, path + k + ".")
	returned(ret, "")
	tasks = yaml.safe_load(d["examples"] or "") or []
	if not any(fqcn in t for t in tasks):
	    bad.append("no example uses %s" % fqcn)
	for k, v in doc["options"].items():
	    if "type" not in v:
	        bad.append("option %s: no type" % k)
	for b in bad:
	    print("%s: %s" % (fqcn, b), file=sys.stderr)
	sys.exit(1 if bad else 0)
	EOF
done

ansible-doc -t role --json tdxup.tdx.rollout >"$TMP/role.json" 2>"$TMP/err" ||
	{ cat "$TMP/err" >&2; fail "ansible-doc -t role tdxup.tdx.rollout"; }
$PY - "$TMP/role.json" roles/rollout/defaults/main.yml <<-'EOF' || fail "the role's argument spec against its defaults"
import json, sys, yaml
spec = json.load(open(sys.argv[1]))["tdxup.tdx.rollout"]["entry_points"]["main"]["options"]
defaults = yaml.safe_load(open(sys.argv[2]))
bad = ["%s: spec default %r, defaults/main.yml %r" % (k, spec.get(k, {}).get("default"), defaults.get(k))
       for k in sorted(set(spec) | set(defaults))
       if k not in spec or k not in defaults or spec[k].get("default") != defaults[k]]
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# ---- 2. ansible-lint, the production profile ---------------------------------
rc=0
ansible-lint --offline --profile production --nocolor >"$TMP/lint" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || ! grep -q '^Passed with production profile: 0 failure(s), 0 warning(s)' "$TMP/lint" ||
	grep -q '^WARNING' "$TMP/lint"; then
	cat "$TMP/lint" >&2
	fail "ansible-lint --profile production exited $rc"
fi

# ---- 3. ansible-test sanity ---------------------------------------------------
# Not run: changelog (antsibull-changelog is not packaged in Debian 12, and
# pip cannot fetch it offline). Every other test runs; those with nothing to
# check here (pslint, shellcheck, action-plugin-docs) pass on no files.
venv_tests=(ansible-doc import pep8 pylint runtime-metadata validate-modules yamllint)
$PY "$SRC/tests/fleet/ansible_sanity_venvs.py" "${venv_tests[@]}" >"$TMP/venvs" 2>&1 ||
	{ cat "$TMP/venvs" >&2; fail "seeding ansible-test's virtual environments"; }
rc=0
ansible-test sanity --python 3.11 --color no --skip-test changelog >"$TMP/sanity" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || grep -q '^ERROR\|^FATAL\|Skipping sanity test' "$TMP/sanity"; then
	cat "$TMP/sanity" >&2
	fail "ansible-test sanity exited $rc"
fi
# Every test named ran.
for t in "${venv_tests[@]}" compile future-import-boilerplate metaclass-boilerplate shebang \
	line-endings ignores no-smart-quotes use-argspec-type-path; do
	grep -q "^Running sanity test \"$t\"" "$TMP/sanity" || { cat "$TMP/sanity" >&2; fail "sanity test $t did not run"; }
done
echo "PASS"
