"""The benchmark command (``./bench.sh``, ``python -m bench``): figures for docs/benchmarks.md.

Parts: ``inprocess`` (per-turn latency, raw Rasa against the bot), ``telegram_load``
(N users through the Telegram emulator), ``coldstart`` (start-up and memory),
``training``, ``nlu_eval``; ``profiling`` and ``fixes`` find what dominates and
measure the proposed fixes; ``report``, ``markdown`` and ``targets`` write it up.
"""
