# Writes the runner-host(1) man page: help2man turns the executable's own --help and --version
# into the NAME, SYNOPSIS, DESCRIPTION and OPTIONS sections; EXIT STATUS comes from the table of
# docs/cli.md, so the page and the docs cannot disagree; the rest from docs/man/runner-host.h2m.
# Run at build time by the man-page target (cmake/Packaging.cmake):
#   cmake -DHELP2MAN=... -DGZIP=... -DEXECUTABLE=... -DNAME=... -DCLI_DOC=docs/cli.md
#         -DINCLUDE=docs/man/runner-host.h2m -DOUTPUT=.../runner-host.1.gz [-DSANITIZER_ENV=...]
#         -P ManPage.cmake
foreach(var HELP2MAN GZIP EXECUTABLE NAME CLI_DOC INCLUDE OUTPUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ManPage.cmake: ${var} is not set")
  endif()
endforeach()

# Markdown of a table cell to roff: escapes first, then `code` and **bold** in bold, links as
# their text. \& keeps a cell starting with '.' or ''' from being read as a request.
function(rh_md_to_roff text out)
  string(REPLACE "@RH_LB@" "[" text "${text}")
  string(REPLACE "@RH_RB@" "]" text "${text}")
  string(REPLACE "@RH_SC@" ";" text "${text}")
  string(REPLACE "\\" "\\e" text "${text}")
  string(REPLACE "-" "\\-" text "${text}")
  string(REGEX REPLACE "`([^`]*)`" "\\\\fB\\1\\\\fR" text "${text}")
  string(REGEX REPLACE "\\*\\*([^*]*)\\*\\*" "\\\\fB\\1\\\\fR" text "${text}")
  string(REGEX REPLACE "\\[([^]]*)\\]\\([^)]*\\)" "\\1" text "${text}")
  set(${out} "\\&${text}" PARENT_SCOPE)
endfunction()

# One list element per line. Brackets and semicolons would change how CMake splits a list, so
# they travel as placeholders and come back in rh_md_to_roff.
file(READ "${CLI_DOC}" doc)
string(REPLACE "[" "@RH_LB@" doc "${doc}")
string(REPLACE "]" "@RH_RB@" doc "${doc}")
string(REPLACE ";" "@RH_SC@" doc "${doc}")
string(REPLACE "\n" ";" lines "${doc}")
set(in_section FALSE)
set(exit_status "")
set(rows 0)
foreach(line IN LISTS lines)
  if(line MATCHES "^## ")
    if(line STREQUAL "## Exit status")
      set(in_section TRUE)
    else()
      set(in_section FALSE)
    endif()
  elseif(in_section AND line MATCHES "^\\|([^|]*)\\|(.*)\\|$")
    string(STRIP "${CMAKE_MATCH_1}" code)
    string(STRIP "${CMAKE_MATCH_2}" meaning)
    # The header row and the |---|---| rule.
    if(code STREQUAL "Status" OR code MATCHES "^-+$")
      continue()
    endif()
    rh_md_to_roff("${code}" code)
    rh_md_to_roff("${meaning}" meaning)
    string(APPEND exit_status ".TP\n.B ${code}\n${meaning}\n")
    math(EXPR rows "${rows} + 1")
  endif()
endforeach()
if(rows EQUAL 0)
  message(FATAL_ERROR "ManPage.cmake: no '## Exit status' table in ${CLI_DOC}")
endif()

# A sanitizer build runs the executable with the options and suppressions its tests use
# (cmake/sanitizers.cmake).
if(SANITIZER_ENV)
  include("${SANITIZER_ENV}")
endif()

get_filename_component(work "${OUTPUT}" DIRECTORY)
set(include_file "${work}/runner-host.h2m")
set(page "${work}/runner-host.1")
file(READ "${INCLUDE}" extra)
file(WRITE "${include_file}" "[EXIT STATUS]\n${exit_status}\n${extra}")

execute_process(
  COMMAND "${HELP2MAN}" --no-info "--name=${NAME}" "--include=${include_file}" "--output=${page}" "${EXECUTABLE}"
  RESULT_VARIABLE status ERROR_VARIABLE error)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "ManPage.cmake: help2man failed on ${EXECUTABLE}: ${error}")
endif()
# CLI11 writes "-p,--plugin" without the space after the comma that help2man looks for, so only
# the short option comes out bold; make the long one bold as well.
file(READ "${page}" roff)
string(REGEX REPLACE [[\\fR,(\\-\\-[A-Za-z0-9]+(\\-[A-Za-z0-9]+)*)]] [[\\fR, \\fB\1\\fR]] roff "${roff}")
file(WRITE "${page}" "${roff}")
# -n: no file name or time stamp in the gzip header.
execute_process(COMMAND "${GZIP}" -9n -c "${page}" OUTPUT_FILE "${OUTPUT}" RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  file(REMOVE "${OUTPUT}")
  message(FATAL_ERROR "ManPage.cmake: gzip failed on ${page}")
endif()
