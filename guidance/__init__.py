"""The domain: what the bot knows about stalking and how it reads and words things.

No Rasa, Telegram or database code lives here (``tests/test_layers.py`` checks), so
both sides use it and neither imports the other: ``nlu/`` (Rasa's custom actions)
and ``bot/`` (Telegram, the console, the incident log) depend on ``guidance``.

* :mod:`guidance.copy`: the copy and data files, and the one placeholder style ``[[name]]``;
* :mod:`guidance.facts`: contacts and numbers (``data/facts.yml``);
* :mod:`guidance.dates` (with :mod:`guidance.when` and :mod:`guidance.date_grammar`):
  reading "when did it happen?" and showing it back;
* :mod:`guidance.risk`: the risk self-check's escalation rules and the safety plan's steps;
* :mod:`guidance.advice`: advice ordered by what the FOUR check found, and the reporting
  route and law of where the person is.
"""
