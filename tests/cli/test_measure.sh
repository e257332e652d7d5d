#!/usr/bin/env bash
# tdxup measure --page against the MRTD test vectors (docs/facts.md, section 4),
# and bad input.
set -euo pipefail

. "$(dirname "$0")/lib.bash"

expect_mrtd() {
	local want=$1
	shift
	run 0 measure "$@"
	[ "$(tail -n 1 "$TMP/out")" = "MRTD: $want" ] ||
		fail "measure $*: got '$(tail -n 1 "$TMP/out")', want $want"
}

V1=8f3e9a8aca6784eab874f7aa4dda5d49104a88047f1f86695ef2a88f5691a90e34aac48ce45ffa1f5a23c7d62980d570
V2=ca76d5541328afef8bc9364261c515aebef90412ebc56ca0c2260ec531a14462cfc0c11de61d84292ddf8ca871da1ff1
V3=cd9d793217c8e5918ad18eca449ba10dcfc5faafc19ceeae46b925d054f3b68f85127312438aeba5bc187d9dc73a20fa

head -c 4096 /dev/zero >"$TMP/zero.bin"
: >"$TMP/empty.bin"
head -c 100 /dev/zero >"$TMP/short.bin"
python3 -c 'import sys; sys.stdout.buffer.write(bytes(j & 0xFF for j in range(4096)))' >"$TMP/ramp.bin"

# V1: one PAGE.ADD record for GPA 0, not extended.
expect_mrtd "$V1" --page "0:$TMP/zero.bin:nomeasure"
expect_mrtd "$V1" --page "0x0:$TMP/ramp.bin:nomeasure"
# V2: an all-zero page at 0x1000, added and extended; short and empty files are zero-padded.
expect_mrtd "$V2" --page "0x1000:$TMP/zero.bin"
[ "$(head -n 1 "$TMP/out")" = "GPA 0x1000: 1 page from $TMP/zero.bin, added and extended" ] ||
	fail "page line: $(head -n 1 "$TMP/out")"
expect_mrtd "$V2" --page "4096:$TMP/zero.bin"
expect_mrtd "$V2" --page "0x1000:$TMP/short.bin"
expect_mrtd "$V2" --page "0x1000:$TMP/empty.bin"
# V3: byte j = j & 0xFF at GPA 0xFFFFF000.
expect_mrtd "$V3" --page "0xFFFFF000:$TMP/ramp.bin"

# JSON
run 0 measure --page "0x1000:$TMP/zero.bin" --json
python3 - "$TMP/out" "$V2" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["mrtd"] == sys.argv[2], j
assert j["bytes_hashed"] == 6272, j
assert j["pages"] == [{"gpa": "0x1000", "file": j["pages"][0]["file"], "pages": 1, "measured": True}], j
PY

# Order matters: two pages in two orders give two MRTDs.
run 0 measure --page "0:$TMP/zero.bin" --page "0x1000:$TMP/ramp.bin"
a=$(tail -n 1 "$TMP/out")
run 0 measure --page "0x1000:$TMP/ramp.bin" --page "0:$TMP/zero.bin"
b=$(tail -n 1 "$TMP/out")
[ "$a" != "$b" ] || fail "page order does not change the MRTD"
# An 8 KiB file is two pages: the same as giving them one by one.
cat "$TMP/zero.bin" "$TMP/ramp.bin" >"$TMP/two.bin"
run 0 measure --page "0x2000:$TMP/two.bin"
a=$(tail -n 1 "$TMP/out")
run 0 measure --page "0x2000:$TMP/zero.bin" --page "0x3000:$TMP/ramp.bin"
[ "$a" = "$(tail -n 1 "$TMP/out")" ] || fail "a two-page file differs from two pages"

# Bad input.
run 2 measure --page "0x1001:$TMP/zero.bin"
grep -q "bad --page '0x1001:" "$TMP/err" || fail "unaligned GPA: $(cat "$TMP/err")"
run 2 measure --page "0xZZ:$TMP/zero.bin"
grep -q "bad --page" "$TMP/err" || fail "bad GPA: $(cat "$TMP/err")"
run 2 measure --page "$TMP/zero.bin"
run 2 measure --page "-1:$TMP/zero.bin"
run 1 measure --page "0x1000:$TMP/missing.bin"
grep -q "missing.bin: No such file or directory" "$TMP/err" || fail "missing file: $(cat "$TMP/err")"
run 1 measure --page "0x1000:$TMP/zero.bin" --page "0x1000:$TMP/ramp.bin"
grep -q "can be added only once" "$TMP/err" || fail "overlap: $(cat "$TMP/err")"
run 1 measure --page "0x2000:$TMP/zero.bin" --page "0x1000:$TMP/two.bin"
run 1 measure --tdvf "$TMP/missing.bin"
run 1 measure --tdvf "$TMP/zero.bin"
grep -q "zero.bin: not a measurable TDVF image" "$TMP/err" || fail "bad TDVF: $(cat "$TMP/err")"

echo "PASS"
