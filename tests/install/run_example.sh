#!/usr/bin/env bash
# scripts/run-example on a build tree that is up to date: stdout is the demo's table and the
# flow's result, nothing of the build; stderr has the command line and runner-host's notes but no
# build output. It must not build: other tests use the tree at the same time, so this one refuses
# to start when the tree has work to do (build_is_up_to_date.sh). Prints one line saying what
# failed.
set -euo pipefail
build_dir="$1"
source_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "run_example: $*" >&2
  exit 1
}

[ -x "$build_dir/bin/runner-host" ] && [ -f "$build_dir/lib/libdemo.so" ] || fail "$build_dir is not built"
# Other tests use the tree at the same time: refuse rather than let run-example build it.
reason="$("$(dirname "$0")/build_is_up_to_date.sh" "$build_dir")" || fail "the build tree is not up to date (build it first): $reason"

export RUNNER_HOST_HOME="$work/home"
status=0
BUILD_DIR="$build_dir" "$source_dir/scripts/run-example" >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 0 ] || fail "scripts/run-example exited $status: $(tail -1 "$work/err")"

# stdout: the table of the demo's three runs and the flow's result, and nothing else.
grep -qE '^TASK +RUN +STATE +ATTEMPTS +DURATION$' "$work/out" || fail "no table header on stdout: $(head -1 "$work/out")"
grep -qE '^add +add-[0-9a-f]+ +Completed ' "$work/out" || fail "no completed 'add' run on stdout"
grep -qE '^boom +boom-[0-9a-f]+ +Failed ' "$work/out" || fail "no failed 'boom' run on stdout"
grep -qx '3 task runs: 2 Completed, 1 Failed' "$work/out" || fail "no summary line on stdout"
grep -qE '^flow pipeline \(pipeline-[0-9a-f]+\) Completed: \{"b":13,"c_state":"Failed"\}$' "$work/out" \
  || fail "no flow result on stdout"
[ "$(wc -l <"$work/out")" -eq 6 ] || fail "stdout has $(wc -l <"$work/out") lines, not the 6 of the table: $(tr '\n' '|' <"$work/out")"

# stderr: no build, no configure, no package installation.
build_line="$(grep -E -m1 'building runner-host|Built target|Building |Linking |^-- |bootstrap:|%\]' "$work/err" || true)"
[ -z "$build_line" ] || fail "stderr shows a build: $build_line"
grep -qxF "+ runner-host --plugin $build_dir/lib/libdemo.so" "$work/err" || fail "stderr lacks the command line"
grep -qF "runner-host exited 1: a task run did not complete" "$work/err" || fail "stderr lacks the note on the exit status"
echo "run_example: ok"
