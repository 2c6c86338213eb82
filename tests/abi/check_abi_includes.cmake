# Fails unless HEADER includes nothing but <stdint.h>, <stddef.h> and <stdbool.h>
# (DESIGN.md section 2: the ABI header must stay plain, dependency-free C).
# Usage: cmake -DHEADER=<path> -P check_abi_includes.cmake
cmake_minimum_required(VERSION 3.25)  # script mode starts with no policies (IN_LIST needs CMP0057)
if(NOT DEFINED HEADER OR NOT EXISTS "${HEADER}")
  message(FATAL_ERROR "check_abi_includes: HEADER '${HEADER}' does not exist")
endif()

set(allowed "<stdint.h>" "<stddef.h>" "<stdbool.h>")
# Every preprocessor include, however it is spaced ("#  include", " # include").
file(STRINGS "${HEADER}" include_lines REGEX "^[ \t]*#[ \t]*include")
set(violations "")
foreach(line IN LISTS include_lines)
  # A computed include (#include MACRO) has no <...> or "..." and is a violation too.
  if(line MATCHES "^[ \t]*#[ \t]*include[ \t]*(<[^>]*>|\"[^\"]*\")")
    set(target "${CMAKE_MATCH_1}")
  else()
    set(target "${line}")
  endif()
  if(NOT target IN_LIST allowed)
    # One unwrapped line per violation (FATAL_ERROR text gets re-wrapped by CMake).
    message(NOTICE "disallowed include in ${HEADER}: ${line}")
    list(APPEND violations "${line}")
  endif()
endforeach()

if(violations)
  message(FATAL_ERROR "${HEADER} may include only <stdint.h>, <stddef.h> and <stdbool.h> (see above)")
endif()
list(LENGTH include_lines count)
message(STATUS "${HEADER}: ${count} include(s), all allowed")
