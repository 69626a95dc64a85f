#!/usr/bin/env bash
# CI: make sure PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed.
#
# The tests start their own throw-away server (ircc_account.testing.PostgresServer);
# this script only installs the binaries. It is idempotent and silent when they are
# already present, and it leaves no packaged cluster running on port 5432.
set -euo pipefail

have_initdb() {
  command -v initdb >/dev/null 2>&1 && return 0
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

if have_initdb; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

echo "install-postgres: initdb not found; installing postgresql with apt-get"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null

# Debian and Ubuntu create and start a "main" cluster on 5432: the tests do not use it.
if command -v pg_lsclusters >/dev/null 2>&1; then
  while read -r version name _; do
    "${sudo[@]}" pg_ctlcluster "$version" "$name" stop >/dev/null 2>&1 || true
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
fi
"${sudo[@]}" service postgresql stop >/dev/null 2>&1 || true

if ! have_initdb; then
  echo "install-postgres: postgresql installed but initdb is still not found" >&2
  exit 1
fi
echo "install-postgres: installed $(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1)"
