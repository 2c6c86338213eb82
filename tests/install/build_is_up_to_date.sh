#!/usr/bin/env bash
# Exits 0 when the CMake build tree $1 has nothing to build, and 1 after a line naming the first
# thing it would do, without changing the tree (so that a test can refuse to run, rather than
# build a tree other tests are using). Used by the tests of this directory that run a build step
# (CPack's preinstall, scripts/run-example's build) on the main build tree.
set -euo pipefail
build_dir="$1"

if [ -f "$build_dir/build.ninja" ]; then
  plan="$(ninja -C "$build_dir" -n 2>&1 || true)"
  grep -qx "ninja: no work to do." <<<"$plan" || { echo "would build: $(sed -n 2p <<<"$plan")"; exit 1; }
  exit 0
fi
[ -f "$build_dir/Makefile" ] || { echo "not a CMake build tree: $build_dir"; exit 1; }

# CMake re-runs itself (cmake --check-build-system) when a file it read while configuring is
# newer than the Makefile it wrote, or gone; make -n does not show that.
makefile_cmake="$build_dir/CMakeFiles/Makefile.cmake"
[ -f "$makefile_cmake" ] || { echo "would configure: no $makefile_cmake"; exit 1; }
while IFS= read -r input; do
  [[ "$input" = /* ]] || input="$build_dir/$input"
  if [ ! -e "$input" ] || [ "$input" -nt "$build_dir/Makefile" ]; then
    echo "would re-run CMake: $input changed"
    exit 1
  fi
done < <(sed -n '/^set(CMAKE_MAKEFILE_DEPENDS$/,/^  )$/s/^  "\(.*\)"$/\1/p' "$makefile_cmake")

# make -n runs nothing (CMake's sub-makes get -n too) and prints the progress message of every
# object it would compile and every file it would link or generate.
plan="$(make -n -C "$build_dir" 2>&1)" || { echo "make -n failed: $(tail -1 <<<"$plan")"; exit 1; }
pending="$(sed -n -E '/"(Building|Linking|Generating) [^"]*"/{s/.*"((Building|Linking|Generating) [^"]*)".*/\1/p;q}' <<<"$plan")"
[ -z "$pending" ] || { echo "would build: $pending"; exit 1; }
