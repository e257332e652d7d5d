#!/usr/bin/env bash
# CLI help and usage errors: help goes to stdout with exit 0; every usage
# error goes to stderr with the usage text and exit 2.
set -euo pipefail

. "$(dirname "$0")/lib.bash"

# Help, three ways, on stdout.
run 0 --help
grep -q '^usage: tdxup COMMAND' "$TMP/out" || fail "--help: no usage line"
for cmd in status select update image measure lab serve; do
	grep -q "^  $cmd " "$TMP/out" || fail "--help does not list $cmd"
done
grep -q '^  2  usage error' "$TMP/out" || fail "--help does not document exit code 2"
[ ! -s "$TMP/err" ] || fail "--help wrote to stderr"
run 0 -h
run 0 help
for cmd in image measure status; do
	run 0 help "$cmd"
	cp "$TMP/out" "$TMP/help1"
	grep -q "^usage: tdxup $cmd" "$TMP/help1" || fail "help $cmd: no usage line"
	grep -q '^exit status' "$TMP/help1" || fail "help $cmd: exit codes not documented"
	run 0 "$cmd" --help
	cmp -s "$TMP/out" "$TMP/help1" || fail "$cmd --help differs from help $cmd"
done
run 0 image verify --help
grep -q 'seamhash' "$TMP/out" || fail "image verify --help does not name the checks"

# Usage errors: exit 2, a message and the usage on stderr, nothing on stdout.
usage_error() {
	local msg=$1
	shift
	run 2 "$@"
	grep -qF -- "$msg" "$TMP/err" || fail "tdxup $*: stderr lacks '$msg': $(cat "$TMP/err")"
	grep -q '^usage: tdxup' "$TMP/err" || fail "tdxup $*: no usage on stderr"
	[ ! -s "$TMP/out" ] || fail "tdxup $*: wrote to stdout"
}
usage_error "" # no command at all
usage_error "unknown command 'frobnicate'" frobnicate
usage_error "unknown option '--frobnicate'" --frobnicate
usage_error "unknown command 'frobnicate'" help frobnicate
usage_error "missing subcommand" image
usage_error "unknown subcommand 'frob'" image frob
usage_error "unknown option '--frob'" image list --frob
usage_error "unknown option '-z'" image inspect -z x
usage_error "needs an argument" image build --version
usage_error "are required" image build --version 1.5.25
usage_error "are required" image build -o "$TMP/x.img"
usage_error "0x100 or 0x200" image build --version 1.5.25 --format 0x300 -o "$TMP/x.img"
usage_error "expected one FILE" image inspect
usage_error "expected one FILE" image verify a b
usage_error "96 hex digits" image verify --trust-key-hash abcd x
usage_error "--to is required" image convert a b
usage_error "expected IN and OUT" image convert --to 0x200 a
usage_error "either --tdvf or --page" measure
usage_error "either --tdvf or --page" measure --tdvf a --page 0:b
# A fault on a CPU the host does not have would never fire: refused before
# anything is set up (the mount point is not even looked at).
usage_error "--fault: CPU 8, but --cpus is 8" serve --mount "$TMP/nomnt" --fault install-recoverable:8
usage_error "--fault: CPU 2, but --cpus is 2" serve --mount "$TMP/nomnt" --cpus 2 --fault lp-init:2
usage_error "--fault sys-update takes no CPU" serve --mount "$TMP/nomnt" --fault sys-update:3
# A workload the emulated memory cannot hold is refused, naming both sizes.
run 2 serve --mount "$TMP/nomnt" --workload builders=32,pages=4096
grep -qF "serve: --workload: 32 builder(s) of 4096 pages and 0 running TD(s) need 517 MiB of emulated memory, the host has 256 MiB" \
	"$TMP/err" || fail "serve: no memory message: $(cat "$TMP/err")"
[ ! -e "$TMP/x.img" ] || fail "a usage error wrote a file"

echo "PASS"
