#!/usr/bin/env bash
# The HTML report in Debian's Chromium (report_page_test.js): runs the host on the "showcase"
# flow (a run in every state the page draws) with --html and --report, then drives the page.
# playwright-core comes from npm at the version package-lock.json pins, installed once into
# BUILD_DIR/browser-test. Screenshots of the timeline and the page are left in
# BUILD_DIR/browser-test/screenshots.
#
#   run_report_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build_dir="$1"
source_dir="$2"
here="$source_dir/tests/browser"
test_dir="$build_dir/browser-test"
chromium="${CHROMIUM:-/usr/bin/chromium}"

fail() {
  echo "html_report_in_chromium: $*" >&2
  exit 1
}
command -v node >/dev/null 2>&1 || fail "node is not installed (scripts/bootstrap installs it)"
command -v npm >/dev/null 2>&1 || fail "npm is not installed (scripts/bootstrap installs it)"
[ -x "$chromium" ] || fail "$chromium is not installed (scripts/bootstrap installs Debian's chromium)"

mkdir -p "$test_dir"
# npm ci again only when the lock file changed since the last install.
if ! cmp -s "$here/package-lock.json" "$test_dir/package-lock.json" || [ ! -d "$test_dir/node_modules/playwright-core" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$test_dir/"
  (cd "$test_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "npm ci of playwright-core failed"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0
RUNNER_HOST_HOME="$work/home" "$build_dir/bin/runner-host" --plugin "$build_dir/tests/plugins/libcli_report_tasks.so" \
  --flow showcase --no-store --html "$work/report.html" --report "$work/report.json" >"$work/out" 2>"$work/err" ||
  status=$?
# The flow has a run that fails on purpose: 1, and nothing else, is the expected status.
[ "$status" -eq 1 ] || { cat "$work/err" >&2; fail "runner-host exited $status, not 1"; }

cp "$here/report_page_test.js" "$test_dir/"
CHROMIUM="$chromium" node "$test_dir/report_page_test.js" "$work/report.html" "$work/report.json" "$test_dir/screenshots"
