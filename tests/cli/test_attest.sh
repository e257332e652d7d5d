#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tdxup image inspect` and the attestation values: the text section, the
# "attestation" member of --json, --attestation [--json] alone, and no
# value (exit 1, the reason) for an image whose seamhash does not hold.
set -euo pipefail
# shellcheck source=lib.bash
. "$(dirname "$0")/lib.bash"

MRSEAM=3962f80f0be8e58a862a7095b866a226097a445cfe99f664274e87543f5e6b36551821b8f98a0589b92bbf464fbf5ccc
ZERO=$(printf '0%.0s' $(seq 96))
IMG=$TMP/a.blob
run 0 image build --version 1.5.25 -o "$IMG"

run 0 image inspect "$IMG" --attestation
cat >"$TMP/want" <<EOT
attestation:
  MRSEAM:           $MRSEAM
  MRSIGNERSEAM:     $ZERO
                    (all zero, inferred: the emulated P-SEAMLDR that accepts the tdxup test key writes mrsigner = 0 as the real one does; no real platform loads this image)
  SEAM SVN:         major 1, minor 14
  TEE_TCB_SVN:      0e01... (byte 0 minor, byte 1 major)
EOT
diff -u "$TMP/want" "$TMP/out" || fail "--attestation text"
# The full inspect carries the same section between sigstruct and build.
run 0 image inspect "$IMG"
sed -n '/^attestation:/,/^emulated build:/p' "$TMP/out" | sed '$d' >"$TMP/got"
diff -u "$TMP/want" "$TMP/got" || fail "inspect's attestation section"

run 0 image inspect "$IMG" --attestation --json
cat >"$TMP/want" <<EOT
{
  "mrseam": "$MRSEAM",
  "mrsignerseam": "$ZERO",
  "mrsignerseam_note": "all zero, inferred: the emulated P-SEAMLDR that accepts the tdxup test key writes mrsigner = 0 as the real one does; no real platform loads this image",
  "signer": "tdxup-test-key",
  "seam_svn": {
    "major": 1,
    "minor": 14
  },
  "tee_tcb_svn_prefix": "0e01",
  "module_version": "1.5.25"
}
EOT
diff -u "$TMP/want" "$TMP/out" || fail "--attestation --json"
cp "$TMP/out" "$TMP/alone.json"
run 0 image inspect "$IMG" --json
python3 - "$TMP/out" "$TMP/alone.json" <<'PY' || fail "inspect --json attestation differs"
import json, sys
full, alone = (json.load(open(p)) for p in sys.argv[1:])
assert full["attestation"] == alone, full["attestation"]
assert full["attestation"]["mrseam"] == full["sigstruct"]["seamhash"]
assert "attestation_error" not in full
PY

# The last module byte changed: the seamhash fails, and no value is given.
python3 - "$IMG" "$TMP/bad.blob" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[-1] ^= 1
open(sys.argv[2], "wb").write(b)
PY
REASON="seamhash mismatch: the SHA-384 of the 21 module pages differs from the sigstruct's seamhash; P-SEAMLDR refuses this image, so no host reports an MRSEAM for it"
run 1 image inspect "$TMP/bad.blob" --attestation --json
[ ! -s "$TMP/out" ] || fail "a value printed for a bad image: $(cat "$TMP/out")"
grep -qxF "tdxup: $TMP/bad.blob: no attestation values: $REASON" "$TMP/err" || fail "reason: $(cat "$TMP/err")"
run 0 image inspect "$TMP/bad.blob" --json
python3 - "$TMP/out" "$REASON" <<'PY' || fail "inspect --json of a bad image"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["attestation"] is None and j["attestation_error"] == sys.argv[2], j
PY
run 0 image inspect "$TMP/bad.blob"
grep -qxF "attestation:        none: $REASON" "$TMP/out" || fail "text of a bad image"
run 2 image inspect "$IMG" --attestation --bogus
echo PASS
