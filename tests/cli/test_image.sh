#!/usr/bin/env bash
# tdxup image: build, list, inspect, verify (incl. tampering), convert, join, bad input.
set -euo pipefail

. "$(dirname "$0")/lib.bash"
has() { grep -qF -- "$2" "$TMP/$1" || fail "$1 lacks '$2': $(cat "$TMP/$1")"; }
hasnt() { ! grep -qF -- "$2" "$TMP/$1" || fail "$1 has '$2': $(cat "$TMP/$1")"; }
# json EXPR: evaluate a Python assertion over j = the JSON on stdout
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert $1, j" "$TMP/out" ||
	fail "JSON check failed: $1"; }
# poke FILE OFFSET: flip the low bit of one byte
poke() { python3 -c "import sys; f=open(sys.argv[1],'r+b'); o=int(sys.argv[2],0); f.seek(o); b=f.read(1)[0]; f.seek(o); f.write(bytes([b ^ 1]))" "$1" "$2"; }

# ---- list
run 0 image list
has out "1.5.25   yes    0x0000800000040002 1/0/1       0x010e  release      Intel Cryptography Primitives 1.0.1"
has out "1.5.30   yes    0x0000800000040002 1/0/1       0x0110  HYPOTHETICAL"
run 0 image list --json
json 'len(j["catalogue"]) == 8'
json '[b for b in j["catalogue"] if b["version"] == "1.5.01"][0]["update_compat"] is False'
json '[b for b in j["catalogue"] if b["version"] == "1.5.30"][0]["hypothetical"] is True'
json '[b for b in j["catalogue"] if b["version"] == "1.5.25"][0]["tdx_features0"] == "0x0000800000040002"'

# The emulated target's declaration of its test key (as `serve` writes it).
ROOT=$TMP/root
mkdir -p "$ROOT/etc/tdxup/trusted-keys.d"
TESTKEY=50f6369d3254383fcad0a42bc4bda11f737ad5f42854e2c339f28d24e244234ce697c0f419fb043f1976650a1a8be2b5
echo "$TESTKEY" >"$ROOT/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384"
chmod 0644 "$ROOT/etc/tdxup/trusted-keys.d/tdxup-test-key.sha384"

# ---- build and verify, both formats, production and debug
for fmt in 0x100 0x200; do
	run 0 image build --version 1.5.25 --format "$fmt" -o "$TMP/m$fmt.img"
	[ "$(cat "$TMP/out")" = "wrote $TMP/m$fmt.img: TDX module 1.5.25, format $fmt, production-signed, 94208 bytes" ] ||
		fail "build output: $(cat "$TMP/out")"
	run 0 image verify --sysroot "$ROOT" "$TMP/m$fmt.img"
	[ "$(tail -n 1 "$TMP/out")" = "$TMP/m$fmt.img: OK" ] || fail "verify: $(cat "$TMP/out")"
	[ "$(grep -c ' ok ' "$TMP/out")" -eq 6 ] || fail "verify: not 6 checks ok: $(cat "$TMP/out")"
	has out "$TMP/m$fmt.img: key       ok      key declared by the target (the tdxup test key)"
	[ ! -s "$TMP/err" ] || fail "verify OK wrote to stderr"
	# No key is trusted for being compiled in: the test key needs the target's word.
	run 1 image verify "$TMP/m$fmt.img"
	has err "check 'key' failed: untrusted key (the tdxup test key, not declared by the target), hash $TESTKEY"
	run 0 image build --version 1.5.30 --format "$fmt" --debug -o "$TMP/d$fmt.img"
	has out "TDX module 1.5.30 (hypothetical), format $fmt, debug-signed"
	run 0 image verify --sysroot "$ROOT" "$TMP/d$fmt.img" --json
	json 'j["ok"] is True and j["failed"] == [] and [c["name"] for c in j["checks"]] == ["header", "checksum", "sigstruct", "signature", "seamhash", "key"]'
done
# The default format is 0x100.
run 0 image build -o "$TMP/default.img" --version 1.5.25
cmp -s "$TMP/default.img" "$TMP/m0x100.img" || fail "default format is not 0x100"

# ---- inspect
run 0 image inspect "$TMP/m0x100.img" --json
json 'j["header"]["format"] == "0x100" and j["header"]["size"] == 94208'
json 'j["header"]["checksum_ok"] is True and j["header"]["offset_of_module"] == 0x2000'
json 'j["header"]["length"] == 94208 and j["header"]["sigstruct_pages"] == 1 and j["header"]["module_pages"] == 21'
json 'j["sigstruct"]["module_type"] == "0x00000000" and j["sigstruct"]["debug"] is False'
json 'j["sigstruct"]["module_vendor"] == "0x8086" and j["sigstruct"]["seamsvn"] == "0x010e"'
json 'j["sigstruct"]["module_hv"] == 1 and j["sigstruct"]["min_update_hv"] == 0 and j["sigstruct"]["no_downgrade"] == 1'
json 'j["sigstruct"]["num_handoff_pages"] == 13 and j["sigstruct"]["cpuid_table"] == ["0x806f8", "0xc06f0", "0xa06f0"]'
json 'j["sigstruct"]["attributes"] == "0x0000000000000000" and len(j["sigstruct"]["seamhash"]) == 96'
json 'j["sigstruct"]["key"] == "untrusted key (the tdxup test key, not declared by the target)" and j["sigstruct"]["key_hash"] == "'"$TESTKEY"'"'
json 'j["emulated_build"]["version"] == "1.5.25" and j["emulated_build"]["update_compat"] is True'
json 'j["emulated_build"]["crypto_library"] == "Intel Cryptography Primitives 1.0.1"'
KEYHASH=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sigstruct"]["key_hash"])' "$TMP/out")
run 0 image inspect "$TMP/d0x200.img" --json
json 'j["header"]["format"] == "0x200" and "offset_of_module" not in j["header"]'
json 'j["sigstruct"]["module_type"] == "0x80000000" and j["sigstruct"]["debug"] is True'
json 'j["emulated_build"]["version"] == "1.5.30"'
run 0 image inspect "$TMP/m0x100.img"
has out "format:             TDX-BLOB 0x100"
has out "  module_type:      0x00000000 (production-signed)"
has out "  seamsvn:          0x010e (major 1, minor 14)"
has out "  cpuid_table:      3 entries: 0x806f8 0xc06f0 0xa06f0"
has out "  version:          1.5.25 (build 972, 20251021)"

# ---- tampering: every failed check is named, on stdout and stderr
cp "$TMP/m0x100.img" "$TMP/t.img"
poke "$TMP/t.img" $((4096 + 20))		# sigstruct date: signed area
run 1 image verify --sysroot "$ROOT" "$TMP/t.img"
has out "$TMP/t.img: signature FAILED  RSA-3072 signature does not verify"
has out "$TMP/t.img: checksum  FAILED"
has out "$TMP/t.img: seamhash  ok"
has out "$TMP/t.img: verification FAILED"
has err "tdxup: $TMP/t.img: check 'signature' failed: RSA-3072 signature does not verify"
has err "tdxup: $TMP/t.img: check 'checksum' failed"
[ "$(wc -l <"$TMP/err")" -eq 2 ] || fail "expected 2 failures: $(cat "$TMP/err")"

cp "$TMP/m0x100.img" "$TMP/t.img"
poke "$TMP/t.img" $((8192 + 5000))		# a module page
run 1 image verify --sysroot "$ROOT" "$TMP/t.img" --json
json 'j["ok"] is False and j["failed"] == ["checksum", "seamhash"]'
has err "check 'seamhash' failed: SHA-384 of the 21 module pages differs from seamhash"

cp "$TMP/m0x200.img" "$TMP/t.img"
poke "$TMP/t.img" $((8192 + 5000))		# 0x200: the checksum does not count
run 1 image verify --sysroot "$ROOT" "$TMP/t.img" --json
json 'j["failed"] == ["seamhash"] and j["checks"][1]["result"] == "ignored"'

cp "$TMP/m0x100.img" "$TMP/t.img"
poke "$TMP/t.img" 2				# the checksum itself
run 1 image verify --sysroot "$ROOT" "$TMP/t.img"
has err "tdxup: $TMP/t.img: check 'checksum' failed: 16-bit word sum is 0x"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "only the checksum should fail: $(cat "$TMP/err")"
cp "$TMP/m0x200.img" "$TMP/t.img"
poke "$TMP/t.img" 2
run 0 image verify --sysroot "$ROOT" "$TMP/t.img"
has out ", not 0; the kernel ignores it for format 0x200"
has out "checksum  ignored 16-bit word sum is 0x"

cp "$TMP/m0x200.img" "$TMP/t.img"
poke "$TMP/t.img" $((4096 + 950))		# attributes != 0: malformed
run 1 image verify --sysroot "$ROOT" "$TMP/t.img" --json
json 'j["failed"] == ["sigstruct", "signature"]'
has err "check 'sigstruct' failed: malformed: attributes are not 0"

cp "$TMP/m0x200.img" "$TMP/t.img"
poke "$TMP/t.img" $((4096 + 200))		# the modulus: another key
run 1 image verify --sysroot "$ROOT" "$TMP/t.img" --json
json 'j["failed"] == ["signature", "key"]'
has err "check 'key' failed: untrusted key, hash "
NEWKEY=$(python3 -c 'import hashlib,sys; d=open(sys.argv[1],"rb").read(); print(hashlib.sha384(d[4096+128:4096+512]).hexdigest())' "$TMP/t.img")
run 1 image verify --sysroot "$ROOT" "$TMP/t.img" --trust-key-hash "$NEWKEY" --json
json 'j["failed"] == ["signature"] and j["checks"][5]["detail"] == "trusted key (--trust-key-hash)"'
[ "$KEYHASH" != "$NEWKEY" ] || fail "modulus change did not change the key hash"

# ---- convert: only the header changes; round trip is byte-identical
run 0 image convert --to 0x200 "$TMP/m0x100.img" "$TMP/c200.img"
[ "$(cat "$TMP/out")" = "wrote $TMP/c200.img: format 0x200 (from 0x100), 94208 bytes" ] ||
	fail "convert output: $(cat "$TMP/out")"
cmp -s "$TMP/c200.img" "$TMP/m0x200.img" || fail "0x100 -> 0x200 differs from a 0x200 build"
cmp -s <(tail -c +4097 "$TMP/c200.img") <(tail -c +4097 "$TMP/m0x100.img") || fail "convert changed more than the header"
run 0 image verify --sysroot "$ROOT" "$TMP/c200.img"
run 0 image convert "$TMP/c200.img" "$TMP/c100.img" --to 0x100
cmp "$TMP/c100.img" "$TMP/m0x100.img" || fail "round trip is not byte-identical"
run 0 image convert --to 0x100 "$TMP/m0x100.img" "$TMP/same.img"
cmp -s "$TMP/same.img" "$TMP/m0x100.img" || fail "0x100 -> 0x100 changed the image"

# ---- an image shaped like Intel's: no descriptor, 101 pages, HV fields 0, foreign key
python3 - "$TMP/intel.img" <<'PY'
import hashlib, random, struct, sys
rnd = random.Random(7)
mod = bytes(rnd.getrandbits(8) for _ in range(101 * 4096))
sig = bytearray(2048)
struct.pack_into("<IIIIIIIIII", sig, 0, 6, 0xE1, 0x00010000, 0, 0x8086, 0x20250219, 0x200, 0x60, 0x60, 1)
sig[128:512] = bytes(rnd.getrandbits(8) for _ in range(384))
struct.pack_into("<I", sig, 512, 0x10001)
sig[516:900] = bytes(rnd.getrandbits(8) for _ in range(384))
sig[900:948] = hashlib.sha384(mod).digest()
sig[948], sig[949] = 0x0B, 1
struct.pack_into("<H", sig, 990, 13)
struct.pack_into("<IIII", sig, 1024, 3, 0x806F8, 0xC06F0, 0xA06F0)
img = bytearray(4096) + sig + bytes(2048) + mod
struct.pack_into("<HHI8sI", img, 0, 0x100, 0, 0x2000, b"TDX-BLOB", len(img))
s = sum(struct.unpack("<%dH" % (len(img) // 2), img)) & 0xFFFF
struct.pack_into("<H", img, 2, (0x10000 - s) & 0xFFFF)
open(sys.argv[1], "wb").write(img)
PY
run 0 image inspect "$TMP/intel.img" --json
json 'j["header"]["module_pages"] == 101 and j["header"]["checksum_ok"] is True'
json 'j["sigstruct"]["module_hv"] == 0 and j["sigstruct"]["min_update_hv"] == 0 and j["sigstruct"]["no_downgrade"] == 0'
json 'j["sigstruct"]["seamsvn"] == "0x010b" and j["sigstruct"]["key"] == "untrusted key"'
json 'j["emulated_build"] is None'
run 0 image inspect "$TMP/intel.img"
has out "emulated build:     none (no tdxup build descriptor: a real module binary?)"
has out "module pages:       101 at 0x2000"
run 1 image verify "$TMP/intel.img" --json
json 'j["failed"] == ["signature", "key"]'
json '[c["result"] for c in j["checks"]] == ["ok", "ok", "ok", "FAILED", "ok", "FAILED"]'
run 0 image convert --to 0x200 "$TMP/intel.img" "$TMP/intel200.img"

# ---- join: Intel's separate_files/ (BIN + 2 KiB SIGSTRUCT) into a verified image
head -c 6144 "$TMP/m0x100.img" | tail -c 2048 >"$TMP/j.sigstruct"
tail -c +8193 "$TMP/m0x100.img" >"$TMP/j.bin"
run 0 image join "$TMP/j.bin" "$TMP/j.sigstruct" -o "$TMP/j100.img"
[ "$(cat "$TMP/out")" = "wrote $TMP/j100.img: format 0x100, 94208 bytes, 21 module pages, verified; signing key: untrusted key (the tdxup test key, not declared by the target)" ] ||
	fail "join output: $(cat "$TMP/out")"
[ ! -s "$TMP/err" ] || fail "join wrote to stderr: $(cat "$TMP/err")"
cmp "$TMP/j100.img" "$TMP/m0x100.img" || fail "joined 0x100 differs from the 0x100 build"
run 0 image join --format 0x200 --json -o "$TMP/j200.img" "$TMP/j.bin" "$TMP/j.sigstruct"
SEAMHASH=$(python3 -c 'import hashlib,sys; print(hashlib.sha384(open(sys.argv[1],"rb").read()).hexdigest())' "$TMP/j.bin")
json "j == {'output': '$TMP/j200.img', 'format': '0x200', 'size': 94208, 'module_pages': 21, 'seamhash': '$SEAMHASH'}"
cmp "$TMP/j200.img" "$TMP/m0x200.img" || fail "joined 0x200 differs from the 0x200 build"
run 0 image verify --sysroot "$ROOT" "$TMP/j200.img"
# Usage errors: exit 2, nothing written.
run 2 image join "$TMP/j.bin" "$TMP/j.sigstruct"
has err "tdxup: image join: -o OUT is required"
run 2 image join "$TMP/j.bin" -o "$TMP/never.img"
has err "tdxup: image join: expected BIN and SIGSTRUCT"
run 2 image join "$TMP/j.bin" "$TMP/j.sigstruct" "$TMP/j.bin" -o "$TMP/never.img"
has err "tdxup: image join: expected BIN and SIGSTRUCT"
run 2 image join --format 0x300 "$TMP/j.bin" "$TMP/j.sigstruct" -o "$TMP/never.img"
has err "tdxup: image join: --format must be 0x100 or 0x200, not '0x300'"
run 2 image join "$TMP/j.bin" "$TMP/j.sigstruct" -o
has err "option '-o' needs an argument"
run 2 image join --frobnicate "$TMP/j.bin" "$TMP/j.sigstruct" -o "$TMP/never.img"
has err "unknown option '--frobnicate'"
# A FIFO (no writer) or a directory as input is refused, at once.
mkfifo "$TMP/fifo"
rc=0
timeout 10 "$TDXUP" image join "$TMP/fifo" "$TMP/j.sigstruct" -o "$TMP/never.img" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] || fail "join with a FIFO BIN exited $rc (124: it hung)"
[ "$(cat "$TMP/err")" = "tdxup: $TMP/fifo: a FIFO, not a regular file" ] || fail "FIFO: $(cat "$TMP/err")"
rc=0
timeout 10 "$TDXUP" image join "$TMP/j.bin" "$TMP/fifo" -o "$TMP/never.img" >"$TMP/out" 2>"$TMP/err" || rc=$?
[ "$rc" -eq 1 ] || fail "join with a FIFO SIGSTRUCT exited $rc (124: it hung)"
has err "tdxup: $TMP/fifo: a FIFO, not a regular file"
run 1 image join "$TMP/j.bin" "$TMP" -o "$TMP/never.img"
[ "$(cat "$TMP/err")" = "tdxup: $TMP: Is a directory" ] || fail "directory: $(cat "$TMP/err")"
# Bad input and images that would not verify: named, and OUT never written.
head -c 2047 "$TMP/j.sigstruct" >"$TMP/short.sigstruct"
run 1 image join "$TMP/j.bin" "$TMP/short.sigstruct" -o "$TMP/never.img"
has err "image join: $TMP/j.bin + $TMP/short.sigstruct: sigstruct is 2047 bytes: expected 2048"
: >"$TMP/empty.bin"
run 1 image join "$TMP/empty.bin" "$TMP/j.sigstruct" -o "$TMP/never.img"
has err "$TMP/j.sigstruct: module binary is empty"
cp "$TMP/j.bin" "$TMP/t.bin"
poke "$TMP/t.bin" 5000
run 1 image join "$TMP/t.bin" "$TMP/j.sigstruct" -o "$TMP/never.img" --format 0x200
has err "joined image does not verify: seamhash mismatch: SHA-384 of the 21 module pages differs from the sigstruct"
cp "$TMP/j.sigstruct" "$TMP/t.sigstruct"
poke "$TMP/t.sigstruct" 600			# the signature
run 1 image join "$TMP/j.bin" "$TMP/t.sigstruct" -o "$TMP/never.img"
has err "joined image does not verify: bad signature: RSA-3072 verification of the sigstruct failed"
[ ! -e "$TMP/never.img" ] || fail "a failed join wrote OUT"
echo old >"$TMP/keep.img"
run 1 image join "$TMP/t.bin" "$TMP/j.sigstruct" -o "$TMP/keep.img"
[ "$(cat "$TMP/keep.img")" = old ] || fail "a failed join clobbered the existing OUT"
rm "$TMP/keep.img" "$TMP/fifo"
[ -z "$(find "$TMP" -name '*.img.*')" ] || fail "temporary files left: $(find "$TMP" -name '*.img.*')"

# ---- bad input
run 1 image verify "$TMP/missing.img"
[ "$(cat "$TMP/err")" = "tdxup: $TMP/missing.img: No such file or directory" ] || fail "missing: $(cat "$TMP/err")"
run 1 image inspect "$TMP/missing.img"
head -c 50000 "$TMP/m0x100.img" >"$TMP/trunc.img"
run 1 image verify "$TMP/trunc.img"
has err "tdxup: $TMP/trunc.img: check 'header' failed: length field 94208 does not match the file size 50000"
has out "signature skipped"
run 1 image inspect "$TMP/trunc.img"
has err "tdxup: $TMP/trunc.img: not a valid TDX-BLOB image: length field 94208 does not match"
head -c 50000 "$TMP/m0x200.img" >"$TMP/trunc.img"
run 1 image verify "$TMP/trunc.img"
has err "check 'header' failed: size 50000 does not match the header"
head -c 100 "$TMP/m0x200.img" >"$TMP/tiny.img"
run 1 image verify "$TMP/tiny.img"
has err "check 'header' failed: truncated: 100 bytes"
run 1 image convert --to 0x200 "$TMP/tiny.img" "$TMP/never.img"
has err "tiny.img: cannot convert: truncated"
[ ! -e "$TMP/never.img" ] || fail "failed convert wrote a file"
run 1 image build --version 9.9.99 -o "$TMP/never.img"
has err "tdxup: image build: no built-in module build '9.9.99'"
has err "known versions: 1.5.01"
run 1 image build --version 1.5.25 -o "$TMP/no/such/dir.img"
has err "No such file or directory"
# A write that fails part-way (here the file size limit; a full disk alike)
# leaves no partial file and the old one intact.
echo old >"$TMP/keep.img"
( trap '' XFSZ; ulimit -f 40
  run 1 image build --version 1.5.25 -o "$TMP/part.img"
  has err "tdxup: $TMP/part.img: cannot write: File too large"
  run 1 image build --version 1.5.25 -o "$TMP/keep.img"
  run 1 image convert --to 0x200 "$TMP/m0x100.img" "$TMP/keep.img" )
[ ! -e "$TMP/part.img" ] || fail "a failed build left $(stat -c %s "$TMP/part.img") bytes behind"
[ "$(cat "$TMP/keep.img")" = old ] || fail "a failed build clobbered the existing file"
[ -z "$(find "$TMP" -name '*.img.*')" ] || fail "temporary files left: $(find "$TMP" -name '*.img.*')"
# Output that cannot be written is a failure, not a silent success.
if [ -w /dev/full ]; then
	"$TDXUP" image list >/dev/full 2>"$TMP/err" && fail "image list to /dev/full exited 0"
	has err "cannot write to standard output"
fi

echo "PASS"
