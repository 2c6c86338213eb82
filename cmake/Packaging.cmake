# The runner-host(1) man page, and the Debian package that CPack makes of the install tree
# (scripts/package; docs/sdk.md "Packaging"). Included at the end of the top-level CMakeLists.txt,
# after every install() rule.

# --- man page: help2man reads the executable's --help and --version, so the page follows the CLI.
find_program(RH_HELP2MAN help2man)
find_program(RH_GZIP gzip)
if(RH_HELP2MAN AND RH_GZIP)
  set(RH_MAN_PAGE ${CMAKE_BINARY_DIR}/man/runner-host.1.gz)
  set(sanitizer_env "")
  if(RH_SANITIZE)
    set(sanitizer_env -DSANITIZER_ENV=${RH_SANITIZER_ENV_FILE})
  endif()
  file(MAKE_DIRECTORY ${CMAKE_BINARY_DIR}/man)
  add_custom_command(OUTPUT ${RH_MAN_PAGE}
    COMMAND ${CMAKE_COMMAND}
      -DHELP2MAN=${RH_HELP2MAN} -DGZIP=${RH_GZIP} -DEXECUTABLE=$<TARGET_FILE:runner-host>
      "-DNAME=run task libraries' flows and tasks on a pluggable runner"
      -DCLI_DOC=${PROJECT_SOURCE_DIR}/docs/cli.md -DINCLUDE=${PROJECT_SOURCE_DIR}/docs/man/runner-host.h2m
      -DOUTPUT=${RH_MAN_PAGE} ${sanitizer_env} -P ${CMAKE_CURRENT_LIST_DIR}/ManPage.cmake
    DEPENDS runner-host ${CMAKE_CURRENT_LIST_DIR}/ManPage.cmake ${PROJECT_SOURCE_DIR}/docs/cli.md
      ${PROJECT_SOURCE_DIR}/docs/man/runner-host.h2m
    COMMENT "Generating the runner-host(1) man page"
    VERBATIM)
  add_custom_target(man_page ALL DEPENDS ${RH_MAN_PAGE})
  install(FILES ${RH_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(WARNING "help2man or gzip not found: no man page is built or installed (scripts/bootstrap installs help2man)")
endif()

# --- the .deb
set(RH_PACKAGE_MAINTAINER "runner-host maintainers <maintainers@runner-host.invalid>"
  CACHE STRING "Maintainer field of the Debian package")
set(RH_PACKAGE_HOMEPAGE "" CACHE STRING "Homepage field of the Debian package (none when empty)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME runner-host)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${RH_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "task-runner host: task libraries on pluggable runners through a C ABI")
# One paragraph, wrapped for the control file; CPack indents each line.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "runner-host runs the flows and tasks of task libraries: shared-library plugins"
  "written against a header-only C++17 SDK, with states, retries, timeouts, caching,"
  "an event stream and a SQLite store of every run. Runners are plugins too:"
  "sequential, fiber (Boost.Fiber), tbb (oneTBB) and process (a worker process per"
  "attempt). This package holds the runner-host executable, its runners, the SDK"
  "headers with their CMake package (find_package(RunnerHost)), the documentation"
  "and the man page.")
# DEB installs into /usr whatever the build's CMAKE_INSTALL_PREFIX; every install() destination is
# relative, so the tree is the same as `cmake --install --prefix /usr`.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_SOURCE_GENERATOR "")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${RH_PACKAGE_MAINTAINER}")
if(RH_PACKAGE_HOMEPAGE)
  set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "${RH_PACKAGE_HOMEPAGE}")
endif()
# The shared libraries the executable and the runners link (boost fiber/context, tbb, fmt,
# spdlog, sqlite3, libssl's crypto, libstdc++...) become Depends through dpkg-shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Appended to by the shlibdeps: the installed RunnerHostConfig.cmake does
# find_dependency(nlohmann_json 3.10), and the SDK headers include <nlohmann/json.hpp>, so a
# plugin cannot be built without it. Building one also takes CMake and a C++17 compiler.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "nlohmann-json3-dev (>= 3.10)")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "cmake (>= 3.16), g++ | c++-compiler")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
