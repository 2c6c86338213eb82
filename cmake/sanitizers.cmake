# RH_SANITIZE: build everything (host, runners, plugins, tests, benchmarks) with a sanitizer.
#   address  AddressSanitizer + LeakSanitizer + UndefinedBehaviorSanitizer, any report fatal
#   thread   ThreadSanitizer
# Compile and link flags go to every target of this project through add_compile_options and
# add_link_options, never into the exported SDK target: a plugin built against an installed
# runner-host gets no sanitizer from it. Sanitized code finds out with the compiler's own
# macros (__SANITIZE_ADDRESS__, __SANITIZE_THREAD__): the fiber and tbb runners annotate their
# stack switches that way (runners/common/sanitizer_fibers.hpp). CI builds and runs the whole
# suite with both (scripts/sanitize address|thread, docs/sanitizers.md).
# RH_SUITE_SANITIZER_OPTIONS: extra options for the GoogleTest suites' own files (tests/*),
# set below; empty unless a sanitizer asks for one.
set(RH_SUITE_SANITIZER_OPTIONS "")
set(RH_SANITIZE "" CACHE STRING "Build with a sanitizer: empty, 'address' (ASan+UBSan) or 'thread' (TSan)")
set_property(CACHE RH_SANITIZE PROPERTY STRINGS "" address thread)

if(RH_SANITIZE STREQUAL "")
  return()
elseif(RH_SANITIZE STREQUAL "address")
  set(RH_SANITIZER_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=undefined)
  # The suites' own files (the drivers, not the code under test: the host, runners, SDK and
  # test plugins keep every check) leave out UBSan's alignment, null and object-size checks.
  # With them, a gtest/gmock file takes twice as long to compile at -O1 (measured: 25 s
  # against 12 s for tests/cli/cli_signals_test.cpp), the largest part of the CI run; ASan
  # still reports a null dereference (SEGV) and an access outside an object.
  set(RH_SUITE_SANITIZER_OPTIONS -fno-sanitize=alignment,null,object-size)
elseif(RH_SANITIZE STREQUAL "thread")
  set(RH_SANITIZER_FLAGS -fsanitize=thread)
  # GCC warns that TSan does not model std::atomic_thread_fence. The only fences are the fiber
  # runner's seq_cst fences between atomics (work_queues.hpp, the no-lost-wake-up handshake);
  # they order no plain memory, so TSan ignoring them can cost no false report, and the fence
  # itself is still executed.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-tsan)
  endif()
else()
  message(FATAL_ERROR "RH_SANITIZE must be empty, 'address' or 'thread', not '${RH_SANITIZE}'")
endif()

# -O1 with frame pointers and line tables: the sanitizers' recommended setting (exact stack
# traces), and much faster to build than -O3 instrumented code. It comes after the build
# type's -O3, so it wins; NDEBUG stays, so the suites test what a Release build does.
add_compile_options(${RH_SANITIZER_FLAGS} -fno-omit-frame-pointer -O1 -g1)
add_link_options(${RH_SANITIZER_FLAGS})
message(STATUS "runner-host: sanitizer build (${RH_SANITIZE}): ${RH_SANITIZER_FLAGS}")

# Every test runs with the sanitizer's options in its environment, and so does every process a
# test starts (the CLI suites run runner-host as a child, which inherits it): ctest reads this
# file before it runs anything and sets the variables in its own environment. Any report ends
# the process with exit code 66 (halt_on_error and exitcode), which no test expects of
# runner-host (0, 1, 2 or 130). The suppression files are in tests/sanitizers/, each entry
# with the reason it is a false positive.
set(RH_SANITIZER_SUPPRESSIONS ${PROJECT_SOURCE_DIR}/tests/sanitizers)
set(RH_SANITIZER_ENV_FILE ${CMAKE_BINARY_DIR}/sanitizer_environment.cmake)
set(common "halt_on_error=1:exitcode=66:print_stacktrace=1")
if(RH_SANITIZE STREQUAL "address")
  # detect_stack_use_after_return stays off: its fake stacks are per thread and are reclaimed by
  # comparing stack pointers, which means nothing once tasks run on fiber and coroutine stacks.
  # use_tls=0: GCC 12's LeakSanitizer misreads glibc 2.36's dynamic TLS vector once a module
  # with thread_local variables is dlopen'ed (every runner plugin) and its tracer dies of
  # SIGSEGV at exit ("Tracer caught signal 11", "DTLS ... at 0x6f7-0x4000017f9"). Stacks,
  # registers, globals and the heap are still scanned; only thread_local roots are not.
  # print_suppressions=0: a used suppression is not listed on stderr, which the CLI suites check.
  file(WRITE ${RH_SANITIZER_ENV_FILE}
    "set(ENV{ASAN_OPTIONS} \"${common}:detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=0:suppressions=${RH_SANITIZER_SUPPRESSIONS}/asan.supp\")\n"
    "set(ENV{LSAN_OPTIONS} \"use_tls=0:print_suppressions=0:suppressions=${RH_SANITIZER_SUPPRESSIONS}/lsan.supp\")\n"
    "set(ENV{UBSAN_OPTIONS} \"${common}:suppressions=${RH_SANITIZER_SUPPRESSIONS}/ubsan.supp\")\n")
else()
  file(WRITE ${RH_SANITIZER_ENV_FILE}
    "set(ENV{TSAN_OPTIONS} \"${common}:second_deadlock_stack=1:suppressions=${RH_SANITIZER_SUPPRESSIONS}/tsan.supp\")\n")
endif()
set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY TEST_INCLUDE_FILES ${RH_SANITIZER_ENV_FILE})
