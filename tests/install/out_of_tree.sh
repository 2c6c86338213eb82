#!/usr/bin/env bash
# Installs runner-host from the build tree into a temporary prefix, builds the out-of-tree
# example against it with find_package(RunnerHost), and runs it with the installed binary
# and runners. Fails on any step; the installed package is what users get.
set -euo pipefail
build_dir="$1"
source_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The run's store goes to the scratch folder, not the user's own.
export RUNNER_HOST_HOME="$work/home"

cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/examples/out-of-tree" -B "$work/example" -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/example" >/dev/null

# Plugins export their entry symbol and nothing else.
exported="$(nm -D --defined-only "$work/example/libtasks.so" | awk '{print $3}')"
[ "$exported" = "rh_plugin_entry" ] || { echo "unexpected exports: $exported"; exit 1; }

output="$("$work/prefix/bin/runner-host" --plugin "$work/example/libtasks.so" --runner sequential)"
echo "$output"
grep -q "sum_of_squares" <<<"$output"
grep -q "Completed: 14" <<<"$output"
# Runners are found by name next to the installed binary.
"$work/prefix/bin/runner-host" runners | grep -qx tbb
