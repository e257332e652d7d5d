# The README's two commands: `make run` (the main job) and `make check`
# (every test, plain and under ASan+UBSan and TSan). Both set up a fresh
# Debian machine first through scripts/install-deps. `make deb` builds and
# checks the Debian packages (scripts/check-deb; CI runs it after make check).
# make check's trees treat warnings as errors (TDXUP_WERROR=ON); a plain
# cmake build does not, since distributions build with their own flags.

JOBS ?= 2
BUILD ?= build
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
CTEST_FLAGS ?= --output-on-failure --timeout 900
FUZZ_SECONDS ?= 60

.PHONY: all deps build run check check-plain check-asan check-tsan check-builds check-kernel fuzz \
	bench plots deb clean

all: build

deps:
	@scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

run: build
	./$(BUILD)/tdxup lab

check: deps check-plain check-asan check-tsan
	@echo "make check: plain, ASan+UBSan and TSan test runs passed"

check-plain:
	cmake -S . -B build $(CMAKE_FLAGS) -DTDXUP_WERROR=ON >/dev/null
	cmake --build build -j$(JOBS)
	ctest --test-dir build -j$(JOBS) $(CTEST_FLAGS)

check-asan:
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTDXUP_SANITIZE=address -DTDXUP_WERROR=ON >/dev/null
	cmake --build build-asan -j$(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		ctest --test-dir build-asan -j$(JOBS) $(CTEST_FLAGS)

check-tsan:
	cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTDXUP_SANITIZE=thread \
		-DTDXUP_WERROR=ON >/dev/null
	cmake --build build-tsan -j$(JOBS)
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
		ctest --test-dir build-tsan -j$(JOBS) $(CTEST_FLAGS)

# Compile (no tests) every build type with gcc and clang, -O3 and Debian's
# hardening flags, warnings as errors (scripts/check-builds; CI runs it).
# BUILDS: a subset, e.g. BUILDS="gcc-release clang-release".
BUILDS ?=
check-builds: deps
	JOBS=$(JOBS) scripts/check-builds $(BUILDS)

# The updater and the emulator against Linux's own fw_upload core, in a
# User-Mode Linux kernel from Debian's linux-source-6.12 with a small patch
# to lib/test_firmware.c (docs/kernel-conformance.md). The kernel is built
# once into build-kernel/ (about 9 minutes on two idle cores) and reused
# while the patch and config are unchanged; each run boots it once.
check-kernel: build
	JOBS=$(JOBS) scripts/check-kernel $(BUILD)

# Every fuzz target with libFuzzer (clang, ASan+UBSan) for FUZZ_SECONDS each
# over a copy of its seed corpora (docs/fuzzing.md); a finding fails.
fuzz: deps
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DTDXUP_SANITIZE=fuzzer -DTDXUP_WERROR=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target fuzz_targets
	scripts/fuzz-run build-fuzz $(FUZZ_SECONDS)

bench: build
	./$(BUILD)/bench/measure
	./$(BUILD)/bench/update
	./$(BUILD)/bench/contention
	./$(BUILD)/bench/explore

# The README's pictures: the lab's default run and --compare as SVG timelines,
# and the contention benchmark (SEEDS seeds a cell; 100 take minutes) plotted
# with gnuplot, all into PLOTS. lab --compare exits 1 when a column fails, and
# the mainline column fails by design: 1 is the status expected, anything else
# (0 included) stops the target.
SEEDS ?= 100
PLOTS ?= docs/img

plots: build
	mkdir -p $(PLOTS)
	./$(BUILD)/tdxup lab --quiet --svg $(PLOTS)/lab-default.svg
	./$(BUILD)/tdxup lab --compare --svg $(PLOTS)/lab-compare.svg >/dev/null; \
		rc=$$?; [ $$rc -eq 1 ] || { echo "lab --compare: exit $$rc, want 1" >&2; exit 1; }
	./$(BUILD)/bench/contention $(SEEDS) $(PLOTS)/contention.tsv
	bench/plot-contention $(PLOTS)/contention.tsv $(PLOTS)

# The packages and their logs go to build-deb/.
deb:
	JOBS=$(JOBS) scripts/check-deb $(CURDIR)/build-deb

clean:
	rm -rf build build-asan build-tsan build-fuzz build-deb build-check
