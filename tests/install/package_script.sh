#!/usr/bin/env bash
# scripts/package against stand-ins for scripts/build and cpack (a copy of the script in a
# scratch tree, a fake cpack first on the PATH): stdout is the path of the .deb alone, the build's
# and CPack's output go to stderr, and a failing cpack gives one line and exit status 1. What
# CPack makes of the real tree is deb_package.sh's test. Prints one line saying what failed.
set -euo pipefail
source_dir="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fail() {
  echo "package_script: $*" >&2
  exit 1
}

tree="$work/tree"
mkdir -p "$tree/scripts" "$work/bin"
cp "$source_dir/scripts/package" "$tree/scripts/"
cat >"$tree/scripts/build" <<'BUILD'
#!/usr/bin/env bash
echo "[100%] Built target runner-host"
mkdir -p "$BUILD_DIR"
BUILD
# The fake cpack runs where CPack would (the build directory), prints what CPack prints and
# makes the package there; FAKE_CPACK_STATUS makes it fail.
cat >"$work/bin/cpack" <<'CPACK'
#!/usr/bin/env bash
[ "$*" = "-G DEB" ] || { echo "fake cpack: unexpected arguments: $*" >&2; exit 3; }
echo "CPack: Create package using DEB"
if [ "${FAKE_CPACK_STATUS:-0}" -ne 0 ]; then
  echo "CPack Error: Problem running install command" >&2
  exit "$FAKE_CPACK_STATUS"
fi
touch "$PWD/runner-host_9.9.9_amd64.deb"
echo "CPack: - package: $PWD/runner-host_9.9.9_amd64.deb generated."
CPACK
chmod +x "$tree/scripts/build" "$work/bin/cpack"
export PATH="$work/bin:$PATH" BUILD_DIR="$work/build"

status=0
"$tree/scripts/package" >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 0 ] || fail "exited $status: $(tail -1 "$work/err")"
[ "$(cat "$work/out")" = "$work/build/runner-host_9.9.9_amd64.deb" ] || fail "stdout is not the .deb's path alone: $(tr '\n' '|' <"$work/out")"
grep -qxF "[100%] Built target runner-host" "$work/err" || fail "the build's output is not on stderr"
grep -qxF "CPack: Create package using DEB" "$work/err" || fail "CPack's output is not on stderr"

status=0
FAKE_CPACK_STATUS=1 "$tree/scripts/package" >"$work/out" 2>"$work/err" || status=$?
[ "$status" -eq 1 ] || fail "a failing cpack: exited $status, not 1"
[ ! -s "$work/out" ] || fail "a failing cpack: stdout is not empty: $(tr '\n' '|' <"$work/out")"
grep -qF "CPack Error: Problem running install command" "$work/err" || fail "a failing cpack: its error is not on stderr"
[ "$(tail -1 "$work/err")" = "package: cpack -G DEB failed in $work/build" ] || fail "a failing cpack: last line is $(tail -1 "$work/err")"
echo "package_script: ok"
