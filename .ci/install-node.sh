#!/usr/bin/env bash
# CI: make sure Node.js 18 or newer and npm are installed (the interoperability
# tests run the npm oidc-provider, tests/interop/oidc-provider, which needs node >=18).
#
# Debian 12 ships Node.js 18 (package nodejs) and npm as its own package. Idempotent
# and silent when both are present and node is new enough; under CI=1 the interop
# tests fail, rather than skip, without them.
set -euo pipefail

minimum=18

node_major() {
  node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'
}

new_enough() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
    && [ "$(node_major)" -ge "$minimum" ] 2>/dev/null
}

if new_enough; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

echo "install-node: node >= $minimum and npm not found; installing nodejs and npm with apt-get"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null

if ! new_enough; then
  echo "install-node: installed, but node >= $minimum and npm are still not found" \
    "(node: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
echo "install-node: installed node $(node --version), npm $(npm --version)"
