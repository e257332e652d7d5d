# Fuzz targets (docs/fuzzing.md): one LLVMFuzzerTestOneInput per parser of
# outside input. With TDXUP_SANITIZE=fuzzer (clang, `make fuzz`) each links
# libFuzzer; otherwise each links fuzz/replay_main.c and CTest replays every
# seed corpus through it (label fuzz) in the plain, ASan and TSan trees.

set(FUZZ_CORPUS ${CMAKE_BINARY_DIR}/fuzz/corpus)
set(FUZZ_SEEDS ${CMAKE_SOURCE_DIR}/fuzz/corpus.d)

# The generated seeds: images, TDVF, sysfs states and upload sessions.
add_executable(gen_corpus fuzz/gen_corpus.c)
target_link_libraries(gen_corpus PRIVATE emu_host)
add_custom_command(OUTPUT ${FUZZ_CORPUS}/.stamp
	COMMAND ${CMAKE_COMMAND} -E rm -rf ${FUZZ_CORPUS}
	COMMAND gen_corpus ${FUZZ_CORPUS}
	COMMAND ${CMAKE_COMMAND} -E touch ${FUZZ_CORPUS}/.stamp
	DEPENDS gen_corpus
	COMMENT "Generating the fuzz seed corpora")
add_custom_target(fuzz_corpus ALL DEPENDS ${FUZZ_CORPUS}/.stamp)
add_custom_target(fuzz_targets DEPENDS fuzz_corpus)

# name, library, seed directories (generated, readable or examples)
macro(tdxup_fuzz name lib)
	add_executable(fuzz_${name} fuzz/fuzz_${name}.c)
	target_include_directories(fuzz_${name} PRIVATE src emu fuzz)
	target_link_libraries(fuzz_${name} PRIVATE ${lib})
	if(TDXUP_SANITIZE STREQUAL "fuzzer")
		target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
	else()
		target_sources(fuzz_${name} PRIVATE fuzz/replay_main.c)
		add_test(NAME fuzz/${name} COMMAND fuzz_${name} ${ARGN})
		set_tests_properties(fuzz/${name} PROPERTIES LABELS fuzz TIMEOUT 300)
	endif()
	add_dependencies(fuzz_targets fuzz_${name})
	string(REPLACE ";" " " _dirs "${ARGN}")
	string(APPEND FUZZ_TARGET_LIST "${name} ${_dirs}\n")
endmacro()

set(FUZZ_TARGET_LIST "")
tdxup_fuzz(blob tdxup_image ${FUZZ_CORPUS}/blob)
tdxup_fuzz(join tdxup_image ${FUZZ_CORPUS}/join)
tdxup_fuzz(catalog tdxup_updater ${FUZZ_SEEDS}/catalog)
tdxup_fuzz(tdvf tdxup_updater ${FUZZ_CORPUS}/tdvf)
tdxup_fuzz(scenario emu_lab ${CMAKE_SOURCE_DIR}/examples)
tdxup_fuzz(status tdxup_updater ${FUZZ_CORPUS}/status)
tdxup_fuzz(version tdxup_updater ${FUZZ_SEEDS}/version)
tdxup_fuzz(cpuinfo tdxup_updater ${FUZZ_SEEDS}/cpuinfo)
tdxup_fuzz(kernel_release tdxup_updater ${FUZZ_SEEDS}/kernel_release)
tdxup_fuzz(duration tdxup_image ${FUZZ_SEEDS}/duration)
tdxup_fuzz(trusted_keys tdxup_updater ${FUZZ_SEEDS}/trusted_keys)
tdxup_fuzz(emu_sysfs emu_host ${FUZZ_CORPUS}/emu_sysfs)
# What scripts/fuzz-run runs: one line per target, its seed directories.
file(WRITE ${CMAKE_BINARY_DIR}/fuzz/targets.txt "${FUZZ_TARGET_LIST}")
