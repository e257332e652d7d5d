#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# No file of the tree cites the developers' notes kept outside it (the shared
# directory beside the checkout, its design notes and its spec directory):
# a reader of the repository, or of a package built from it, has none of
# them, so every fact is restated in docs/ (docs/facts.md maps the section
# citations such as "(kernel.md 9)" onto its own sections).
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
# The patterns are split so that this file does not match itself.
shared='\.\./'"shared"
design='DESIGN'"\.md"
spec='(^|[^a-z_])spe'"c/"

if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files() { git -C "$SRC" ls-files -z; }
else
	files() {
		(cd "$SRC" && find . -path ./.git -prune -o -path './build*' -prune -o \
			-type f -print0)
	}
fi
hits=$(cd "$SRC" && files | xargs -0 grep -I -n -E -e "$shared" -e "$design" -e "$spec" -- \
	2>/dev/null || true)
if [ -n "$hits" ]; then
	echo "$hits" >&2
	echo "FAIL: the files above cite notes that are not in the repository; restate the facts in docs/" >&2
	exit 1
fi
echo PASS
