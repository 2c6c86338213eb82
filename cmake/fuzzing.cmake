# RH_BUILD_FUZZERS=ON (docs/fuzzing.md): everything this build compiles carries libFuzzer's
# coverage instrumentation and the checks of AddressSanitizer and UndefinedBehaviorSanitizer,
# so that the fuzz targets of fuzz/ see inside the host code they link. Use a build directory
# of its own (scripts/fuzz: build-fuzz) and build only the fuzz targets there.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "RH_BUILD_FUZZERS needs clang (libFuzzer is part of it): configure with "
                      "CC=clang CXX=clang++, or use scripts/fuzz")
endif()

add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)

# The build type scripts/fuzz uses: fast enough to run millions of inputs, with assertions
# (nlohmann's among them) and line tables for the reports' stack traces.
set(CMAKE_C_FLAGS_FUZZ "-O1 -gline-tables-only")
set(CMAKE_CXX_FLAGS_FUZZ "-O1 -gline-tables-only")
