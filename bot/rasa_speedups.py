"""Per-message work Rasa 3.6 does that the embedded engine need not repeat.

Measured with ``./bench.sh`` (docs/benchmarks.md): before these, about two
thirds of a turn went to re-checking a JSON schema, deep copies and class-tree
walks, and full garbage collections over the half-million objects of the
loaded model paused a message for ~250 ms.  Each change keeps Rasa's behaviour
(the same checks, the same errors), only done once.
"""
from __future__ import annotations

import gc
import logging
from typing import Any

logger = logging.getLogger(__name__)
_applied = False


def validate_action_results_once() -> None:
    """Rasa re-validates the action-result *schema* against the JSON Schema
    meta-schema on every custom action call (~20 ms); check it once, keep the validator."""
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)

    def validate(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (". Failed to validate Action server response from API, make sure your "
                          "response from the Action endpoint is valid.")
        raise error

    RemoteAction._validate_action_result = validate  # type: ignore[method-assign]


def cache_event_classes() -> None:
    """Reading a tracker back walks every Event subclass per event; the tree is fixed."""
    import rasa.shared.utils.common as common

    original = common.all_subclasses
    cache: dict[Any, list[Any]] = {}

    def all_subclasses(cls: Any) -> list[Any]:
        found = cache.get(cls)
        if found is None:
            found = cache[cls] = original(cls)
        return found

    common.all_subclasses = all_subclasses  # type: ignore[assignment]


def apply() -> None:
    """Install the speed-ups once per process (before the model is loaded)."""
    global _applied
    if _applied:
        return
    _applied = True
    validate_action_results_once()
    cache_event_classes()


def freeze_startup_objects() -> None:
    """After loading: move the model's objects out of the garbage collector's way."""
    gc.collect()
    gc.freeze()
