#!/usr/bin/env bash
# What scripts/run-example shows of a build, against a stand-in for scripts/build (a copy of
# run-example in a scratch tree, next to a fake scripts/build and a fake runner-host), so that
# each case is quick: nothing when the build has no work, a line and the build's output on stderr
# when it has, a "first run" line when nothing is built yet, and the build's output and one line
# when it fails. stdout is runner-host's alone in every case. Prints one line saying what failed.
set -euo pipefail
source_dir="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "run_example_build_output: $*" >&2
  exit 1
}

tree="$work/tree"
mkdir -p "$tree/scripts"
cp "$source_dir/scripts/run-example" "$tree/scripts/"
# The fake build prints $FAKE_BUILD_OUTPUT, then makes the binaries (a runner-host that prints a
# table line) and exits $FAKE_BUILD_STATUS.
cat >"$tree/scripts/build" <<'BUILD'
#!/usr/bin/env bash
set -euo pipefail
printf '%s' "${FAKE_BUILD_OUTPUT:-}"
mkdir -p "$BUILD_DIR/bin" "$BUILD_DIR/lib"
printf '#!/bin/sh\necho "TASK  RUN  STATE"\nexit 1\n' >"$BUILD_DIR/bin/runner-host"
chmod +x "$BUILD_DIR/bin/runner-host"
touch "$BUILD_DIR/lib/libdemo.so"
exit "${FAKE_BUILD_STATUS:-0}"
BUILD
chmod +x "$tree/scripts/build"
export BUILD_DIR="$work/build"

run() {
  status=0
  "$tree/scripts/run-example" >"$work/out" 2>"$work/err" || status=$?
}
stdout_is_the_table() {
  [ "$(cat "$work/out")" = "TASK  RUN  STATE" ] || fail "$1: stdout is not runner-host's alone: $(tr '\n' '|' <"$work/out")"
}

# First run: nothing built yet.
FAKE_BUILD_OUTPUT=$'[ 50%] Building CXX object host/a.cpp.o\n[100%] Linking CXX executable bin/runner-host\n' run
[ "$status" -eq 0 ] || fail "first run: exited $status"
stdout_is_the_table "first run"
head -1 "$work/err" | grep -q "^building runner-host in .* (first run, a few minutes)" || fail "first run: no first-run line first on stderr: $(head -1 "$work/err")"
grep -qxF "[ 50%] Building CXX object host/a.cpp.o" "$work/err" || fail "first run: the build's output is not on stderr"

# Up to date: the build has no work.
FAKE_BUILD_OUTPUT=$'[ 50%] Built target rh_host_base\nConsolidate compiler generated dependencies of target demo\n[100%] Built target demo\n' run
[ "$status" -eq 0 ] || fail "up to date: exited $status"
stdout_is_the_table "up to date"
! grep -qE "building|Built target|Consolidate" "$work/err" || fail "up to date: stderr mentions the build: $(tr '\n' '|' <"$work/err")"

# Sources changed: the build has work after some idle lines.
FAKE_BUILD_OUTPUT=$'[ 10%] Built target rh_host_base\n[ 20%] Building CXX object host/b.cpp.o\n[ 30%] Linking CXX executable bin/runner-host\n' run
[ "$status" -eq 0 ] || fail "rebuild: exited $status"
stdout_is_the_table "rebuild"
head -1 "$work/err" | grep -q "^building runner-host in .* (sources changed)" || fail "rebuild: no building line first on stderr: $(head -1 "$work/err")"
grep -qxF "[ 30%] Linking CXX executable bin/runner-host" "$work/err" || fail "rebuild: the build's output is not on stderr"

# A failing build: its output and one line, runner-host not run.
FAKE_BUILD_OUTPUT=$'[ 20%] Building CXX object host/c.cpp.o\nhost/c.cpp:1:1: error: expected unqualified-id\n' FAKE_BUILD_STATUS=2 run
[ "$status" -eq 1 ] || fail "failing build: exited $status, not 1"
[ ! -s "$work/out" ] || fail "failing build: stdout is not empty: $(tr '\n' '|' <"$work/out")"
grep -qF "error: expected unqualified-id" "$work/err" || fail "failing build: the compiler's error is not on stderr"
tail -1 "$work/err" | grep -q "^run-example: the build failed (scripts/build exited 2" || fail "failing build: last line is $(tail -1 "$work/err")"

# A build failing before it shows any work (bootstrap, configure): its output still shows.
FAKE_BUILD_OUTPUT=$'CMake Error at CMakeLists.txt:1 (project): no compiler\n' FAKE_BUILD_STATUS=1 run
[ "$status" -eq 1 ] || fail "failing configure: exited $status, not 1"
grep -qF "CMake Error at CMakeLists.txt:1" "$work/err" || fail "failing configure: its output is not on stderr"
echo "run_example_build_output: ok"
