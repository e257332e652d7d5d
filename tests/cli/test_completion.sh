#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The bash completion (contrib/bash-completion/tdxup, installed for both
# programs): sourced in a bash with nothing of the bash-completion package,
# it registers tdxup and tdxup-emu, and completes commands, subcommands,
# options and option arguments as each program's help lists them (exact
# lists), files where a file goes, and nothing where a number goes.
set -euo pipefail

. "$(dirname "$0")/lib.bash"
COMPLETION=$(cd "$(dirname "$0")/../.." && pwd)/contrib/bash-completion/tdxup
EMU=$(dirname "$TDXUP")/tdxup-emu
[ -x "$EMU" ] || fail "no tdxup-emu beside $TDXUP"

# A fresh, non-interactive bash: only what the completion file defines.
# shellcheck disable=SC1090
. "$COMPLETION"

eq() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

# comp WORD...: the completions of the last WORD (the one being typed),
# sorted, as bash would call the function (COMP_WORDS, COMP_CWORD).
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_tdxup "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]:-}"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# ---- registered for both programs, as a function, filenames quoted ----
eq "complete -p tdxup" "$(complete -p tdxup)" "complete -o filenames -F _tdxup tdxup"
eq "complete -p tdxup-emu" "$(complete -p tdxup-emu)" "complete -o filenames -F _tdxup tdxup-emu"

# ---- tdxup: commands, then each command's options ----
eq "commands" "$(comp "$TDXUP" '')" "help image lab lease measure select serve status update"
eq "commands s" "$(comp "$TDXUP" s)" "select serve status"
eq "top options" "$(comp "$TDXUP" -)" "--help --version"
eq "help CMD" "$(comp "$TDXUP" help l)" "lab lease"
eq "status options" "$(comp "$TDXUP" status --)" \
	"--catalog --help --json --nfd-expiry --nfd-features --sysfs --sysroot --textfile"
eq "update --hold" "$(comp "$TDXUP" update --hold)" "--hold-builds --hold-timeout"
eq "update --hold-builds ARG" "$(comp "$TDXUP" update --hold-builds '')" "auto off on"
eq "update --hold-builds=ARG" "$(comp "$TDXUP" update --hold-builds = o)" "off on"
eq "update --retry-for DURATION" "$(comp "$TDXUP" update --retry-for '')" ""
eq "image subcommands" "$(comp "$TDXUP" image '')" \
	"--help build convert inspect join list verify"
eq "image inspect options" "$(comp "$TDXUP" image inspect x --)" "--attestation --help --json"
eq "image join --format ARG" "$(comp "$TDXUP" image join a b --format '')" "0x100 0x200"
eq "lease subcommands" "$(comp "$TDXUP" lease '')" \
	"--help begin end hold list participate withdraw"
eq "lease list options (WHERE)" "$(comp "$TDXUP" lease list --)" "--dir --help --json --sysroot"
eq "lease end options" "$(comp "$TDXUP" lease end --)" \
	"--after-qmp --dir --help --id --sysroot --timeout --watch-pid"
eq "lease hold -- COMMAND" "$(comp "$TDXUP" lease hold --timeout 5s -- tdxup_no_such_cmd)" ""
eq "lease hold -- COMMAND" "$(comp "$TDXUP" lease hold -- fals)" "false"

# ---- files and directories where the help names them ----
mkdir -p "$TMP/tree/dir.d"
touch "$TMP/tree/image.blob" "$TMP/tree/imagine"
eq "update IMAGE" "$(comp "$TDXUP" update --dry-run "$TMP/tree/ima")" \
	"$TMP/tree/image.blob $TMP/tree/imagine"
eq "--sysroot DIR: directories only" "$(comp "$TDXUP" status --sysroot "$TMP/tree/")" \
	"$TMP/tree/dir.d"
eq "--nfd-features FILE" "$(comp "$TDXUP" status --nfd-features "$TMP/tree/image.")" \
	"$TMP/tree/image.blob"

# ---- tdxup-emu ----
eq "emu commands" "$(comp "$EMU" '')" "help image lab serve"
eq "emu image subcommands" "$(comp "$EMU" image '')" "--help build list"
eq "emu image build options" "$(comp "$EMU" image build --)" "--debug --format --help --version"
eq "emu serve --profile ARG" "$(comp "$EMU" serve --profile '')" "detect mainline v8"
eq "emu serve --layout ARG" "$(comp "$EMU" serve --layout '')" "final legacy"
eq "emu lab --policy ARG" "$(comp "$EMU" lab --policy '')" "hold oneshot retry"
eq "emu serve --mount DIR" "$(comp "$EMU" serve --mount "$TMP/tree/")" "$TMP/tree/dir.d"

# ---- every option offered is one the program takes ----
# getopt_long refuses an unknown option with "unknown option": none
# of those offered for status, update, select and lab gets that answer.
for cmd in status update select; do
	for opt in $(comp "$TDXUP" "$cmd" --); do
		"$TDXUP" "$cmd" "$opt" >/dev/null 2>"$TMP/err" </dev/null || true
		! grep -q "unknown option" "$TMP/err" || fail "$cmd offers $opt, which it refuses"
	done
done

# A program that is not there: nothing, no error.
eq "missing program" "$(comp "$TMP/no-such-tdxup" '')" "help"
echo PASS
