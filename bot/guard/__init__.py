"""Safety guard: does this message say someone is in danger NOW, or in a crisis?

Every user message goes through :class:`SafetyGuard` before the dialogue engine.
:meth:`SafetyGuard.assess` returns an :class:`Alert` naming the ROUTE the
first reply must take (``"danger"``: call 999 now; or a crisis route:
``"suicide"``, ``"sexual_violence"``, ``"child"``, ``"domestic_abuse"``,
``"lethal_risk"``), the rule that decided, and the LAYER that decided:

* ``"rules"``: the deterministic patterns of ``data/safety_guard.yml``
  (described below), read on a normalised text (look-alike characters,
  invisible characters and digits-for-letters folded: :mod:`bot.textnorm`);
* ``"semantic"``: sentence embeddings and a small classifier
  (:mod:`bot.guard_semantic`), for paraphrases no rule names.  It only ever
  ADDS an alert; it never silences the rules.

Precedence: danger (rules, then semantic) before any crisis route; among the
crisis routes, the order of ``routes`` in the YAML file.
:meth:`SafetyGuard.match` is the older, narrower question: the name of the
danger rule that fires (rules layer only), or ``None``.

Why a guard as well as Rasa's ``emergency`` intent:

* it is a deterministic floor under the statistical model: a message that says
  "he's outside my house" always gets the 999 answer, whatever the model's
  confidence, training data or version;
* it is pure Python (standard library and PyYAML), fast (well under a
  millisecond a message) and loaded once, so it still works when Rasa is down,
  slow or still starting;
* every phrase, pattern, typo fix and exclusion lives in
  ``data/safety_guard.yml``, so a police force or charity deploying the bot can
  tune it without touching code.  That file also explains how a message is
  read, step by step.

The guard returns the NAME of the rule that fired (for example
``"someone_here_now"``), never the user's words, and it logs nothing about a
message: what people tell this bot is sensitive.

The package, one module per reason to change:

* :mod:`bot.guard.safety_guard`: :class:`SafetyGuard` and :class:`Alert`, the parts put together;
* :mod:`bot.guard.reading`: a message as sentences of normalised clauses;
* :mod:`bot.guard.rules`: the danger and crisis rules, the vetoes, which rule fires;
* :mod:`bot.guard.patterns`: the YAML's word lists, macros and patterns compiled;
* :mod:`bot.guard.semantic`: what the semantic layer may read, and loading it.
"""

from bot.guard.patterns import SafetyGuardConfigError
from bot.guard.reading import MAX_CHARS
from bot.guard.rules import CRISIS_ROUTES, DANGER, ROUTES
from bot.guard.safety_guard import DEFAULT_PATH, Alert, SafetyGuard
from bot.guard.semantic import SemanticLayer

__all__ = [
    "CRISIS_ROUTES",
    "DANGER",
    "DEFAULT_PATH",
    "MAX_CHARS",
    "ROUTES",
    "Alert",
    "SafetyGuard",
    "SafetyGuardConfigError",
    "SemanticLayer",
]
