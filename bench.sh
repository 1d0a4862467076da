#!/usr/bin/env bash
# The benchmark command: set up (as ./run.sh and ./test.sh do), then measure.
#   ./bench.sh           latency, Telegram load, cold start, memory, training time, NLU evaluation
#   ./bench.sh --quick   a fast check (no training from scratch, no 200-user run, no NLU evaluation)
#   ./bench.sh --nlu     the safety guard evaluation, then the NLU evaluation (held out, cross-validation,
#                        and the external set of real questions: bench/faq_eval.py)
#   ./bench.sh --guard   the safety guard evaluation only (docs/guard-evaluation.{md,json})
# Prints a table; writes docs/benchmarks.{md,json} (and docs/nlu-evaluation.{md,json}).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
if [[ " $* " != *" --nlu "* ]]; then
  # The profile of what dominates a turn uses pyinstrument (not a dependency of the bot).
  if ! .venv/bin/python -c 'import pyinstrument' 2>/dev/null; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check "pyinstrument==4.6.2" >&2 \
      || echo "[bench] pyinstrument could not be installed: the profile will be skipped" >&2
  fi
  # The Telegram part runs the e2e emulator (npm ci in tests/e2e, as ./test.sh does).
  if [ ! -f tests/e2e/node_modules/telegram-test-api/package.json ] && command -v npm >/dev/null 2>&1; then
    npm ci --prefix tests/e2e --no-audit --no-fund >&2 || echo "[bench] npm ci failed: the Telegram part will be skipped" >&2
  fi
fi
# The safety guard's layers on the real-source set, and its cost (bench/guard_eval.py).
if [[ " $* " == *" --guard "* ]]; then
  exec .venv/bin/python -m bench.guard_eval
fi
if [[ " $* " == *" --nlu "* ]]; then
  .venv/bin/python -m bench.guard_eval
fi
exec .venv/bin/python -m bench "$@"
