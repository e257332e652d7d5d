#!/usr/bin/env bash
# bench/plot-contention: from a small TSV in bench/contention's format it
# writes two valid SVG plots with one line per profile and policy, a cell
# without a successful run (p99 "nan") leaving out its point; it refuses
# what is not that TSV. Skipped (77) only where gnuplot is not installed.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "skip: no gnuplot (gnuplot-nox)"; exit 77; }

# Two occupancies x v8/mainline x oneshot/retry/hold; v8 oneshot never succeeds at 0.99.
{
	printf 'occupancy\tprofile\tpolicy\tsuccess\tp50_ms\tp99_ms\twrong_mrtds\n'
	for occ in 0.50 0.99; do
		for prof in v8 mainline; do
			for pol in oneshot retry hold; do
				p99=1.7
				[ "$occ$prof$pol" = 0.99v8oneshot ] && p99=nan
				[ "$pol" = hold ] && p99=947.6
				printf '%s\t%s\t%s\t%s\t1.6\t%s\t0\n' "$occ" "$prof" "$pol" \
					"$([ "$p99" = nan ] && echo 0.000 || echo 1.000)" "$p99"
			done
		done
	done
} >"$TMP/c.tsv"

"$TOP/bench/plot-contention" "$TMP/c.tsv" "$TMP/out" 2>"$TMP/err" ||
	fail "plot-contention failed: $(cat "$TMP/err")"
[ "$(ls "$TMP/out" | tr '\n' ' ')" = "contention-p99.svg contention-success.svg " ] ||
	fail "unexpected outputs: $(ls "$TMP/out")"

python3 - "$TMP/out" <<'PY'
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
LINES = [f"{p} {q}" for p in ("v8", "mainline") for q in ("oneshot", "retry", "hold")]

def points(name):
    root = ET.parse(f"{sys.argv[1]}/{name}").getroot()
    assert root.tag == NS + "svg", root.tag
    # gnuplot groups each plotted line under a <g> whose <title> is its key entry.
    # Points are <use> of a marker; lines, the key's sample among them, paths with a segment.
    n, lines = {}, {}
    for g in root.iter(NS + "g"):
        t = g.find(NS + "title")
        if t is not None and (g.get("id") or "").startswith("gnuplot_plot_"):
            n[t.text] = n.get(t.text, 0) + sum(1 for u in g.iter(NS + "use"))
            lines[t.text] = lines.get(t.text, 0) + sum(
                1 for e in g.iter(NS + "path") if "L" in e.get("d", ""))
    assert sorted(n) == sorted(LINES), n
    texts = " ".join("".join(t.itertext()) for t in root.iter(NS + "text"))
    return n, lines, texts

s, sl, st = points("contention-success.svg")
p, pl, pt = points("contention-p99.svg")
# The same points everywhere but the nan cell: one fewer on the p99 plot.
assert {k: s[k] - p[k] for k in LINES} == {k: int(k == "v8 oneshot") for k in LINES}, (s, p)
# Each line joins its two points; v8 oneshot's single p99 point has only its key sample.
key = pl["v8 oneshot"]
assert all(sl[k] == key + 1 for k in LINES), (sl, pl)
assert all(pl[k] == key + 1 for k in LINES if k != "v8 oneshot"), pl
assert "Update success within 60 s" in st and "build occupancy" in st
assert "p99 time to update" in pt and "log scale" in pt
PY

# Not the benchmark's TSV, or wrong arguments: refused, nothing written.
printf 'a\tb\n1\t2\n' >"$TMP/bad.tsv"
rc=0
"$TOP/bench/plot-contention" "$TMP/bad.tsv" "$TMP/bad" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] && [ ! -e "$TMP/bad" ] || fail "a foreign TSV: exit $rc"
grep -qF "is not the TSV of bench/contention" "$TMP/err" || fail "no reason: $(cat "$TMP/err")"
rc=0
"$TOP/bench/plot-contention" "$TMP/c.tsv" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "one argument: exit $rc, expected 2"
echo "ok"
