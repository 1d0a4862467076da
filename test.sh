#!/usr/bin/env bash
# Set up (venv, pinned dependencies, trained model, the Telegram emulator) and
# run every test: lint, type check, Rasa data validation, dialogue test stories, the NLU
# held-out accuracy bar, and pytest (guard, actions, console, Telegram end to end).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
if [ ! -d tests/e2e/node_modules ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules ]; then
  echo "[setup] installing the Telegram Bot API emulator (npm ci)" >&2
  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error >&2
  touch tests/e2e/node_modules
fi
if ! command -v docker-compose >/dev/null 2>&1; then
  echo "[setup] installing docker-compose (apt) for the deployment-file checks" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >&2
fi
.venv/bin/ruff check bot nlu guidance conversations embedding tests
.venv/bin/mypy  # the packages and settings are in pyproject.toml, [tool.mypy]
exec .venv/bin/python -m pytest "$@"
