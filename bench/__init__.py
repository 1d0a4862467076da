"""The benchmark command (``./bench.sh``, ``python -m bench``): figures for docs/benchmarks.md.

Parts: ``inprocess`` (per-turn latency, raw Rasa against the bot), ``telegram_load``
(N users through the Telegram emulator), ``coldstart`` (start-up and memory),
``training``, ``nlu_eval``; ``profiling`` finds what dominates a turn; ``report``,
``markdown`` and ``targets`` write it up.  The benchmark measures the production code as it
is: it patches nothing of the bot's (the speed-ups are ``bot/rasa_speedups.py``).
"""
