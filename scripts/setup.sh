#!/usr/bin/env bash
# Creates the two Python environments (idempotent; a stamp holds the hash of each lock file).
#   .venv/bot  Python 3.10 + rasa 3.6.21 (trains and serves bot/)
#   .venv/app  Python 3.10 + everything else (action server, domain, web app, tests)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

is_py310() { [ -n "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }

find_python310() {
  local candidate
  for candidate in "${PYTHON310:-}" "$(command -v python3.10 || true)"; do
    is_py310 "$candidate" && { echo "$candidate"; return; }
  done
  if command -v pyenv >/dev/null 2>&1; then
    for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | sort -rV); do
      candidate="$(pyenv root)/versions/$version/bin/python3.10"
      is_py310 "$candidate" && { echo "$candidate"; return; }
    done
  fi
  for candidate in "$HOME"/.pyenv/versions/3.10*/bin/python3.10; do
    is_py310 "$candidate" && { echo "$candidate"; return; }
  done
  if command -v uv >/dev/null 2>&1; then
    candidate="$(uv python find 3.10 2>/dev/null || true)"
    is_py310 "$candidate" && { echo "$candidate"; return; }
  fi
  return 1
}

quiet_pip() {
  # This machine's pip config names local mirrors that may not exist; their warnings are noise.
  local status
  set +e
  "$@" 2>&1 | grep -v -e "^WARNING: Location 'file://" -e '^\s*DEPRECATION'
  status=${PIPESTATUS[0]}
  set -e
  return "$status"
}

make_env() {
  local name=$1 lock=$2 started
  local dir=".venv/$name" stamp=".venv/$name/.lock-sha256"
  local want; want=$(sha256sum "$lock" | cut -d' ' -f1)
  if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "  $name env is up to date"
    return
  fi
  started=$(date +%s)
  say "Creating the $name environment in $dir (first run only; about 1-3 minutes)"
  rm -rf "$dir"
  "$PY310" -m venv "$dir"
  quiet_pip "$dir/bin/python" -m pip install --quiet --upgrade pip
  quiet_pip "$dir/bin/python" -m pip install --quiet --progress-bar off -r "$lock"
  echo "$want" > "$stamp"
  echo "  $name env ready in $(( $(date +%s) - started )) s"
}

install_widget_packages() {
  # socket.io-client for the chat widget, served from node_modules (no CDN).
  local stamp=node_modules/.lock-sha256 want
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ -f node_modules/socket.io-client/dist/socket.io.min.js ] && \
     [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "  widget packages are up to date"
    return
  fi
  command -v npm >/dev/null 2>&1 || {
    echo "error: npm (Node.js 20 or newer) is needed to install the chat widget's socket.io-client." >&2
    exit 1
  }
  say "Installing the chat widget's npm package (socket.io-client)"
  npm ci --omit=dev --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
}

PY310=$(find_python310) || {
  echo "error: Python 3.10 is required (Rasa 3.6 needs Python < 3.11) and none was found." >&2
  echo "Install it (e.g. 'pyenv install 3.10.13' or 'uv python install 3.10'), or set PYTHON310=/path/to/python3.10." >&2
  exit 1
}
say "Using Python 3.10 at $PY310"
make_env bot scripts/bot.lock
make_env app scripts/app.lock
install_widget_packages
