#!/usr/bin/env bash
# CI: make sure python3 can make a virtual environment (the README's commands
# install tox in .venv, since a Debian or Ubuntu system Python refuses
# "pip install" outside one, PEP 668).
#
# Debian and Ubuntu leave ensurepip out of python3 unless python3-venv is
# installed. Idempotent and silent when "python3 -m venv" already works.
set -euo pipefail

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

if python3 -m venv "$scratch/venv" >/dev/null 2>&1; then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  sudo=(sudo)
fi

echo "install-venv: python3 -m venv does not work; installing python3-venv with apt-get"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends python3-venv >/dev/null

rm -rf "$scratch/venv"
if ! python3 -m venv "$scratch/venv" >/dev/null 2>&1; then
  echo "install-venv: python3-venv installed but python3 -m venv still fails" >&2
  exit 1
fi
echo "install-venv: python3 -m venv works"
