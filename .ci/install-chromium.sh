#!/usr/bin/env bash
# CI: make sure Debian's headless-capable Chromium is installed at /usr/bin/chromium.
#
# The browser tests (tests/browser) drive it through Playwright's Python API with
# executable_path, so Playwright's own browser download ("playwright install") is
# never needed. Idempotent and silent when Chromium is already present; under CI=1
# the browser tests fail, rather than skip, when it is missing.
set -euo pipefail

chromium="${IRCC_CHROMIUM:-/usr/bin/chromium}"

if [ -x "$chromium" ]; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

echo "install-chromium: $chromium not found; installing chromium with apt-get"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null

if [ ! -x "$chromium" ]; then
  echo "install-chromium: chromium installed but $chromium is still not found" >&2
  exit 1
fi
echo "install-chromium: installed $("$chromium" --version 2>/dev/null || echo "$chromium")"
