#!/usr/bin/env bash
# tdxup lab --svg: the picture is XML with a lane per CPU, per TD and the
# operator's, one marker per update attempt with its outcome, the same
# bytes for the same seed, five panels with --compare, written atomically,
# and refused up front where it cannot be written.
set -euo pipefail

. "$(dirname "$0")/lib.bash"

# The default run (seed 1): 6 busy rejections, then the update.
mkdir "$TMP/pics"
run 0 lab --svg "$TMP/pics/default.svg" --quiet
grep -qF "busy rejections 6" "$TMP/out" || fail "the default run no longer has 6 busy rejections"
run 0 lab --svg "$TMP/pics/again.svg" --quiet
cmp -s "$TMP/pics/default.svg" "$TMP/pics/again.svg" || fail "two runs of seed 1 draw different SVGs"
# Atomic: nothing but the pictures is left in the directory (no temporary).
[ "$(ls -A "$TMP/pics" | tr '\n' ' ')" = "again.svg default.svg " ] ||
	fail "--svg left other files: $(ls -A "$TMP/pics")"

# Exit 1: the mainline column fails by design; the picture is drawn all the same.
run 1 lab --compare --svg "$TMP/pics/compare.svg"
run 0 lab --policy hold --svg "$TMP/pics/hold.svg" --quiet
run 0 lab --cpus 3 --packages 1 --running 1 --builders 2 --pages 16 \
	--svg "$TMP/pics/small.svg" --quiet

python3 - "$TMP/pics" <<'PY'
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
d = sys.argv[1]

def load(name):
    root = ET.parse(f"{d}/{name}").getroot()     # raises on anything but well-formed XML
    assert root.tag == NS + "svg", root.tag
    return root

def cls(el, c):
    return [e for e in el.iter() if c in e.get("class", "").split()]

def lanes(el):
    kinds = [e.get("data-kind") for e in cls(el, "lane")]
    return kinds.count("operator"), kinds.count("cpu"), kinds.count("td")

def outcomes(el):
    out = []
    for a in cls(el, "attempt"):
        texts = [t.text for t in a.iter(NS + "text")]
        assert texts == [a.get("data-outcome")], (texts, a.get("data-outcome"))
        out.append(a.get("data-outcome"))
    return out

def title(el):
    return "".join(cls(el, "title")[0].itertext())

# The default run: 8 CPUs, 2 running TDs + 4 builders, the operator.
r = load("default.svg")
assert lanes(r) == (1, 8, 6), lanes(r)
assert len(cls(r, "lane")) == 15
assert outcomes(r) == ["device-busy"] * 6 + ["updated"], outcomes(r)
assert title(r) == "tdxup lab: default, profile v8, policy retry, seed 1: PASS", title(r)
stw = [e.get("data-result") for e in cls(r, "stw")]
assert stw == ["refused, device-busy"] * 6 + ["update"], stw
builds = [e.get("data-end") for e in cls(r, "build")]
assert builds == ["MRTD ok"] * 6, builds
assert not cls(r, "hold")
ticks = [t.text for t in cls(r, "tick")]
assert ticks == ["0", "5", "10", "15", "20", "25", "30", "35"], ticks
assert [e.get("data-name") for e in cls(r, "lane")][:3] == ["operator", "CPU 0", "CPU 1"]

# --compare: five panels on one axis, each with all its lanes.
c = load("compare.svg")
panels = cls(c, "panel")
assert len(panels) == 5, len(panels)
assert all(lanes(p) == (1, 8, 6) for p in panels)
assert len(cls(c, "lane")) == 5 * 15
assert title(c) == "tdxup lab --compare: default, seed 1, 5 runs", title(c)
v8, mainline, detect, v8hold, mlhold = panels
assert outcomes(v8) == ["device-busy"] * 6 + ["updated"]
assert outcomes(mainline) == ["updated"] and outcomes(mlhold) == ["updated"]
assert [e.get("data-end") for e in cls(mainline, "build")].count("wrong MRTD") == 4
assert [e.get("data-end") for e in cls(detect, "build")].count("build failed") == 4
assert len(cls(v8hold, "hold")) == 1 and len(cls(mlhold, "hold")) == 1
assert not cls(v8, "hold") and not cls(mainline, "hold")
assert "wrong MRTD" not in [e.get("data-end") for e in cls(mlhold, "build")]
ids = [e.get("id") for e in c.iter() if e.get("id")]
assert len(ids) == len(set(ids)), "duplicate ids"

# The hold policy on its own: one hold window, no busy rejection.
h = load("hold.svg")
assert len(cls(h, "hold")) == 1 and outcomes(h) == ["updated"], outcomes(h)

# Lanes follow the scenario: 3 CPUs, 1 running TD and 2 builders.
s = load("small.svg")
assert lanes(s) == (1, 3, 3), lanes(s)
PY

# A picture that cannot be written is refused before the run, leaving nothing.
run 2 lab --svg "$TMP/nodir/x.svg" --quiet
grep -qF -- "--svg $TMP/nodir/x.svg" "$TMP/err" || fail "no --svg error: $(cat "$TMP/err")"
run 2 lab --svg "$TMP/pics" --quiet
grep -qF "Is a directory" "$TMP/err" || fail "a directory accepted as --svg: $(cat "$TMP/err")"
run 0 lab --help
grep -qF -- "--svg FILE" "$TMP/out" || fail "--help does not mention --svg"
echo "ok"
