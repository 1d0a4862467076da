#!/usr/bin/env bash
# Set up (venv, pinned dependencies, trained model) and run the bot:
# on Telegram when TELEGRAM_BOT_TOKEN is set, otherwise the local console chat.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/python -m bot run "$@"
