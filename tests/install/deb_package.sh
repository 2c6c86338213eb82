#!/usr/bin/env bash
# Makes the Debian package of the build tree with CPack (as scripts/package does), checks its
# control fields and its contents, extracts it into a temporary root and uses it there as a user
# would: runner-host --version and runners, the out-of-tree example built against the extracted
# SDK and run by the extracted runner-host on the tbb and process runners, and the man page.
# Run it after the build: CPack installs what is built, and its preinstall step then has nothing
# to do. Prints one line saying what failed.
set -euo pipefail
build_dir="$1"
source_dir="$2"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "deb_package: $*" >&2
  exit 1
}

for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v "$tool" >/dev/null || fail "$tool not found (scripts/bootstrap installs dpkg-dev)"
done
[ -f "$build_dir/CPackConfig.cmake" ] || fail "no CPackConfig.cmake in $build_dir (configure it first)"
# CPack runs the preinstall target, which builds what is out of date; other tests use the tree at
# the same time, so refuse instead.
reason="$("$(dirname "$0")/build_is_up_to_date.sh" "$build_dir")" || fail "the build tree is not up to date (build it first): $reason"

# -B: the package and CPack's staging tree go to the temporary directory, not the build tree.
if ! cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  fail "cpack -G DEB failed (its output is above)"
fi
debs=("$work"/out/*.deb)
[ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || fail "cpack made no single .deb in $work/out: ${debs[*]}"
deb="${debs[0]}"

# --- control fields
version="$("$build_dir/bin/runner-host" --version | awk '{print $2}')"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = runner-host ] || fail "Package is '$(field Package)', not runner-host"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', runner-host --version says $version"
[ "$(field Section)" = devel ] || fail "Section is '$(field Section)', not devel"
[ "$(basename "$deb")" = "runner-host_${version}_$(field Architecture).deb" ] || fail "unexpected file name $(basename "$deb")"
depends="$(field Depends)"
# From dpkg-shlibdeps (the executable and the runners), and nlohmann-json3-dev for the SDK's
# CMake package.
for dep in libtbb libsqlite3 libboost-fiber libboost-context libspdlog libfmt libssl libstdc++6 nlohmann-json3-dev; do
  grep -q "\\b$dep" <<<"$depends" || fail "Depends lacks $dep: $depends"
done
info="$(dpkg-deb -I "$deb")"
grep -q "^ Depends: .*libtbb" <<<"$info" || fail "dpkg-deb -I shows no Depends on libtbb"

# --- contents
dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for path in \
  ./usr/bin/runner-host \
  ./usr/lib/runner-host/runners/librh_runner_sequential.so \
  ./usr/lib/runner-host/runners/librh_runner_fiber.so \
  ./usr/lib/runner-host/runners/librh_runner_tbb.so \
  ./usr/lib/runner-host/runners/librh_runner_process.so \
  ./usr/lib/runner-host/runners/runner-host-worker \
  ./usr/include/runner_host/sdk.hpp \
  ./usr/include/runner_host/abi.h \
  ./usr/share/runner-host/plugin_exports.map \
  ./usr/share/man/man1/runner-host.1.gz \
  ./usr/share/doc/runner-host/README.md \
  ./usr/share/doc/runner-host/docs/cli.md \
  ./usr/share/doc/runner-host/docs/runners.md; do
  grep -qxF "$path" "$work/contents" || fail "the package lacks $path"
done
# The CMake package is in lib/cmake, or lib/<multiarch>/cmake when the build was configured for
# the /usr prefix; find_package looks in both.
config="$(grep -xE '\./usr/lib/([^/]+/)?cmake/RunnerHost/RunnerHostConfig\.cmake' "$work/contents" || true)"
[ -n "$config" ] || fail "the package lacks the CMake package (usr/lib/cmake/RunnerHost/RunnerHostConfig.cmake)"
config_dir="$(dirname "${config#./}")"
grep -qxF "./$config_dir/RunnerHostTargets.cmake" "$work/contents" || fail "the package lacks $config_dir/RunnerHostTargets.cmake"
# Only /usr, nothing of the build tree or the machine it was made on.
stray="$(grep -v '^\./usr/' "$work/contents" | grep -vx '\./' || true)"
[ -z "$stray" ] || fail "the package has files outside /usr: $(tr '\n' ' ' <<<"$stray")"

# --- the extracted package in use
root="$work/root"
dpkg-deb -x "$deb" "$root"
exe="$root/usr/bin/runner-host"
# Runners are found from the executable's own directory, not from the environment.
unset RUNNER_HOST_RUNNER_PATH
export RUNNER_HOST_HOME="$work/home"

[ "$("$exe" --version | awk '{print $1, $2}')" = "runner-host $version" ] || fail "runner-host --version: $("$exe" --version 2>&1)"
# --help points at the docs installed beside it, and at the man page.
help="$("$exe" --help)" || fail "runner-host --help failed"
grep -qF "Docs: $root/usr/share/doc/runner-host/docs/cli.md" <<<"$help" || fail "--help does not point at the installed docs: $(tail -1 <<<"$help")"
grep -qF "man runner-host" <<<"$help" || fail "--help does not name the man page: $(tail -1 <<<"$help")"
runners="$("$exe" runners 2>&1)" || fail "runner-host runners failed: $runners"
for name in fiber process sequential tbb; do
  grep -qx "$name" <<<"$runners" || fail "runner-host runners does not list $name: $(tr '\n' ' ' <<<"$runners")"
done

cmake -S "$source_dir/examples/out-of-tree" -B "$work/example" -DCMAKE_PREFIX_PATH="$root/usr" \
  >"$work/example.log" 2>&1 || { cat "$work/example.log" >&2; fail "configuring examples/out-of-tree against the package failed"; }
found="$(sed -n 's/^RunnerHost_DIR:PATH=//p' "$work/example/CMakeCache.txt")"
[ "$found" = "$root/$config_dir" ] || fail "find_package(RunnerHost) found '$found', not the package's"
cmake --build "$work/example" >>"$work/example.log" 2>&1 || { cat "$work/example.log" >&2; fail "building examples/out-of-tree against the package failed"; }
plugin="$work/example/libtasks.so"

listing="$("$exe" list --plugin "$plugin" 2>&1)" || fail "runner-host list failed: $listing"
grep -qxF "runner tbb: $root/usr/lib/runner-host/runners/librh_runner_tbb.so" <<<"$listing" \
  || fail "the default runner is not the package's: $(tail -1 <<<"$listing")"
for runner in tbb process; do
  output="$("$exe" --plugin "$plugin" --runner "$runner" 2>&1)" || fail "the example on $runner exited $?: $output"
  grep -q "sum_of_squares" <<<"$output" && grep -q "Completed: 14" <<<"$output" \
    || fail "unexpected output of the example on $runner: $output"
done

# --- the man page
page="$root/usr/share/man/man1/runner-host.1.gz"
zcat "$page" >"$work/runner-host.1" || fail "the man page is not gzip"
for heading in '.SH NAME' '.SH SYNOPSIS' '.SH OPTIONS' '.SH "EXIT STATUS"' '.SH "SEE ALSO"'; do
  grep -qxF "$heading" "$work/runner-host.1" || fail "the man page has no $heading"
done
grep -qF '\fB\-\-plugin\fR' "$work/runner-host.1" || fail "the man page does not describe --plugin"
if command -v man >/dev/null; then
  rendered="$(MANWIDTH=100 man -l "$page" 2>/dev/null | sed 's/.\x08//g')"
  for text in NAME SYNOPSIS OPTIONS "-p, --plugin FILE" "EXIT STATUS" /usr/share/doc/runner-host/; do
    grep -qF -- "$text" <<<"$rendered" || fail "man -l of the man page does not show '$text'"
  done
fi

# Workers of the process runner end with the runner-host that started them.
left=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
  left="$(pgrep -f -- "$root/" || true)"
  [ -z "$left" ] && break
  sleep 0.2
done
[ -z "$left" ] || fail "processes of the package still running: $left"
echo "deb_package: $(basename "$deb") ($(stat -c %s "$deb") bytes) ok"
