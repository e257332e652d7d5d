#!/usr/bin/env bash
# tdxup lab from the command line: exit codes, the text report, --compare,
# --json keys and determinism, the trace file, scenario files and usage errors.
set -euo pipefail

. "$(dirname "$0")/lib.bash"
TOP=$(cd "$(dirname "$0")/../.." && pwd)
want() { grep -qF -- "$1" "$TMP/out" || fail "output lacks: $1"; }

# The default scenario: timeline, refusals, the retry that succeeds, verdict.
run 0 lab --pages 64
want "kernel: tdx: module update rejected:"
want "transferring:device-busy"
want "kernel: virt/tdx: version 1.5.24 -> 1.5.30"
want "operator: result updated"
want "VERDICT: PASS (every check holds)"

# mainline reproduces the erratum: the verdict fails.
run 1 lab --pages 64 --profile mainline --quiet

grep -q "WRONG (silent)" "$TMP/out" || fail "mainline run shows no wrong MRTD"
want "VERDICT: FAIL"

# --compare: the table and its reading. Exit 1: the mainline column fails
# (the erratum, by design), and any failing column fails the run.
run 1 lab --pages 64 --compare
want "silently wrong MRTDs"
want "v8 (the seed change) refuses the update"
awk '/silently wrong MRTDs/ { if ($4 != 0 || $5 == 0 || $6 != 0 || $7 != 0 || $8 != 0) exit 1 }' "$TMP/out" ||
	fail "compare: want 0 wrong MRTDs for v8, detect and both holds, > 0 for mainline"
awk '/busy rejections/ { if ($3 == 0 || $6 != 0) exit 1 }' "$TMP/out" ||
	fail "compare: want busy rejections under v8, none under v8+hold"

awk '/^  verdict/ { if ($2 != "pass" || $3 != "FAIL" || $4 != "pass" || $5 != "pass" || $6 != "pass") exit 1 }' "$TMP/out" ||
	fail "compare: want the mainline column alone to fail"
# Every column passes (no build for an update to cross): exit 0.
run 0 lab --builders 0 --compare
awk '/^  verdict/ { if ($2 != "pass" || $3 != "pass" || $4 != "pass" || $5 != "pass" || $6 != "pass") exit 1 }' "$TMP/out" ||
	fail "compare --builders 0: want every column to pass"
run 1 lab --pages 64 --compare --json
python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p = {x["label"]: x for x in d["profiles"]}
assert set(p) == {"v8", "mainline", "detect", "v8+hold", "mainline+hold"}, p.keys()
assert p["mainline+hold"]["profile"] == "mainline" and p["mainline+hold"]["policy"] == "hold"
assert p["mainline+hold"]["wrong_mrtds"] == 0 and p["mainline+hold"]["held_builds"] is True
assert p["v8+hold"]["busy_rejections"] == 0
for k in ("verdict", "updates_applied", "busy_rejections", "failed_builds",
          "wrong_mrtds", "tds_lost", "stop_the_world_us"):
    assert all(k in x for x in p.values()), k
assert p["v8"]["wrong_mrtds"] == 0 and p["detect"]["wrong_mrtds"] == 0
assert p["mainline"]["wrong_mrtds"] > 0
assert p["v8"]["busy_rejections"] > 0 and p["detect"]["failed_builds"] > 0
PY

# --json: the keys scripts read, and byte-identical output for one seed.
run 0 lab --pages 64 --seed 5 --json --trace "$TMP/t1.json"
cp "$TMP/out" "$TMP/j1"
run 0 lab --pages 64 --seed 5 --json --trace "$TMP/t2.json"
cmp -s "$TMP/out" "$TMP/j1" || fail "--json differs between two runs of seed 5"
cmp -s "$TMP/t1.json" "$TMP/t2.json" || fail "trace differs between two runs of seed 5"
python3 - "$TMP/j1" "$TMP/t1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("verdict", "updates_applied", "busy_rejections", "failed_builds", "wrong_mrtds",
          "tds_lost", "stop_the_world_us"):
    assert k in d, k
assert d["verdict"] == "pass" and d["updates_applied"] == 1 and d["tds_lost"] == 0
t = json.load(open(sys.argv[2]))
ev = t["traceEvents"]
assert any(e["ph"] == "X" and e["name"] == "stop-the-world" for e in ev)
assert any(e["ph"] == "i" and e["pid"] == 3 for e in ev)
assert {e["args"]["name"] for e in ev if e["name"] == "process_name"} == {"CPUs", "TDs", "operator"}
PY

# CPU counts that do not divide into the packages still give every package
# a CPU, so TDX comes up (SYS.KEY.CONFIG reaches each package) and the run passes.
for cpus in 5 6 9; do
	run 0 lab --cpus "$cpus" --packages 4 --pages 16 --quiet
	want "VERDICT: PASS (every check holds)"
done

# A scenario file, and an option overriding it.
run 0 lab --scenario "$TOP/examples/install-unrecoverable.json" --quiet
want 'VERDICT: PASS (outcome "lost" as expected)'

# Usage errors: exit 2 with a message naming the problem.
run 2 lab --cpus 0
grep -qF -- "--cpus wants a number from 1 to 512" "$TMP/err" || fail "no --cpus message"
run 2 lab --profile v9
grep -qF -- "--profile: v8, mainline or detect" "$TMP/err" || fail "no --profile message"
run 2 lab --to 9.9.99
run 2 lab --scenario "$TMP/missing.json"
run 2 lab --packages 4 --cpus 2
grep -qF -- "--packages (4) exceeds --cpus (2)" "$TMP/err" || fail "no --packages message"
# Scenario values the options would refuse: a named error, not a half-built run.
echo '{"from": "1.5"}' >"$TMP/badfrom.json"
run 2 lab --scenario "$TMP/badfrom.json"
grep -qF "bad value for field: from" "$TMP/err" || fail "no message for from 1.5"
echo '{"faults": [{"kind": "sys-update", "extra": 1}]}' >"$TMP/badfault.json"
run 2 lab --scenario "$TMP/badfault.json"
echo '{"faults": [{"kind": "install-recoverable", "cpu": 8}]}' >"$TMP/nocpu.json"
run 2 lab --scenario "$TMP/nocpu.json"
grep -qF "install-recoverable on CPU 8, but the host has 8 CPU(s)" "$TMP/err" ||
	fail "no message for a fault on a missing CPU"
# The boot CPU cannot go offline: refused at load, not silently ignored.
echo '{"faults": [{"kind": "offline-cpu", "cpu": 0}]}' >"$TMP/cpu0.json"
run 2 lab --scenario "$TMP/cpu0.json"
grep -qF "faults[0]: offline-cpu: CPU 0 cannot go offline" "$TMP/err" ||
	fail "no message for offline-cpu on CPU 0"
# An outcome the threads driver cannot make deterministic is refused with its reason.
run 2 lab --scenario "$TOP/examples/mainline-erratum.json" --driver threads
grep -qF 'expect "erratum" needs the serial driver' "$TMP/err" || fail "erratum under threads"
# Sizes beyond the emulated memory: refused at once, naming both sizes.
run 2 lab --builders 32 --pages 2048
grep -qF "32 builder(s) of 2048 pages and 2 running TD(s) need 261 MiB of emulated memory, the host has 256 MiB" \
	"$TMP/err" || fail "no memory message: $(cat "$TMP/err")"
[ ! -s "$TMP/out" ] || fail "a refused run printed a report"
# An unwritable --trace is refused before the run, and creates nothing.
run 2 lab --trace "$TMP/nodir/t.json"
grep -qF -- "--trace $TMP/nodir/t.json" "$TMP/err" || fail "no message naming --trace"
run 2 lab --trace "$TMP"
run 0 lab --help
want "usage: tdxup lab"
# A FIFO as the scenario file is refused, not waited on.
mkfifo "$TMP/scenario.fifo"
rc=0
timeout 20 "$TDXUP" lab --scenario "$TMP/scenario.fifo" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 2 ] || fail "lab --scenario FIFO exited $rc"
grep -q "scenario.fifo: not a regular file" "$TMP/err" || fail "FIFO scenario: $(cat "$TMP/err")"

echo "PASS"
