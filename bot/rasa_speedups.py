"""Per-message work Rasa 3.6 does that the embedded engine need not repeat.

Measured with ``./bench.sh`` (docs/benchmarks.md): before these, about two
thirds of a turn went to re-checking a JSON schema, deep copies and class-tree
walks, and full garbage collections over the half-million objects of the
loaded model paused a message for ~250 ms.  Each change keeps Rasa's behaviour
(the same checks, the same errors), only done once.

They replace Rasa internals, so :func:`apply` first checks that every name it
replaces still exists with the shape it was written for, and raises a
``RuntimeError`` naming the missing or changed name and the Rasa version
otherwise: a Rasa upgrade fails at start, not with a subtly different bot.
Nothing is patched unless every check passes.  ``tests/test_rasa_speedups.py``
holds the patched functions to Rasa's own verdicts and errors.
"""
from __future__ import annotations

import gc
import inspect
import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)
_applied = False
#: Rasa's own functions, as found before they were replaced (by name), for tests and debugging.
originals: dict[str, Callable[..., Any]] = {}
_MARK = "__rasa_speedup__"

VALIDATE = "rasa.core.actions.action.RemoteAction._validate_action_result"
RESPONSE_SPEC = "rasa.core.actions.action.RemoteAction.action_response_format_spec"
DOCS_URL = "rasa.core.actions.action.DOCS_BASE_URL"
ALL_SUBCLASSES = "rasa.shared.utils.common.all_subclasses"
GC_FREEZE = "gc.freeze"
APPLIED_EVENTS = "rasa.shared.core.trackers.DialogueStateTracker.applied_events"


def _rasa_version() -> str:
    try:
        from importlib.metadata import version

        return version("rasa")
    except Exception:  # noqa: BLE001 - only for the message
        return "unknown"


def _changed(name: str, what: str) -> RuntimeError:
    return RuntimeError(
        f"bot.rasa_speedups: {name} {what} in Rasa {_rasa_version()} (written for Rasa 3.6). "
        "Check the speed-up against this Rasa and update bot/rasa_speedups.py, or do not apply it."
    )


def _ours(value: Any) -> bool:
    return bool(getattr(value, _MARK, False))


def _attribute(owner: Any, name: str, attribute: str) -> Any:
    try:
        return inspect.getattr_static(owner, attribute)
    except AttributeError:
        raise _changed(name, "no longer exists") from None


def _expect_parameters(name: str, function: Any, parameters: list[str]) -> None:
    if _ours(function):  # already replaced by this module (applied before in this process)
        return
    if not callable(function):
        raise _changed(name, "is no longer a function")
    try:
        found = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        raise _changed(name, "has no readable signature") from None
    if found != parameters:
        raise _changed(name, f"takes ({', '.join(found)}), not ({', '.join(parameters)})")


def verify() -> None:
    """Every name the speed-ups replace or rely on exists with the expected shape; else RuntimeError."""
    import rasa.core.actions.action as action
    import rasa.shared.utils.common as common

    remote = getattr(action, "RemoteAction", None)
    if remote is None:
        raise _changed("rasa.core.actions.action.RemoteAction", "no longer exists")
    _expect_parameters(VALIDATE, _attribute(remote, VALIDATE, "_validate_action_result"), ["self", "result"])
    spec = _attribute(remote, RESPONSE_SPEC, "action_response_format_spec")
    if not isinstance(spec, staticmethod):
        raise _changed(RESPONSE_SPEC, "is no longer a static method")
    _expect_parameters(RESPONSE_SPEC, spec.__func__, [])
    if not isinstance(getattr(action, "DOCS_BASE_URL", None), str):
        raise _changed(DOCS_URL, "no longer exists (the validation error's text names it)")
    _expect_parameters(ALL_SUBCLASSES, _attribute(common, ALL_SUBCLASSES, "all_subclasses"), ["cls"])
    if not callable(getattr(gc, "freeze", None)):
        raise _changed(GC_FREEZE, "no longer exists")
    import rasa.shared.core.trackers as trackers

    tracker = getattr(trackers, "DialogueStateTracker", None)
    if tracker is None:
        raise _changed("rasa.shared.core.trackers.DialogueStateTracker", "no longer exists")
    _expect_parameters(APPLIED_EVENTS, _attribute(tracker, APPLIED_EVENTS, "applied_events"), ["self"])


def _mark(function: Callable[..., Any]) -> Callable[..., Any]:
    setattr(function, _MARK, True)
    return function


def validate_action_results_once() -> None:
    """Rasa re-validates the action-result *schema* against the JSON Schema
    meta-schema on every custom action call (~20 ms); check it once, keep the validator.

    Rasa's ``jsonschema.validate(result, schema)`` is ``check_schema``, then the best
    match of the validator's errors; the error's message gets the same sentence appended.
    """
    from jsonschema import ValidationError, validators
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import DOCS_BASE_URL, RemoteAction

    current = RemoteAction._validate_action_result
    if _ours(current):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    suffix = (". Failed to validate Action server response from API, make sure your response from "
              "the Action endpoint is valid. For more information about the format visit "
              f"{DOCS_BASE_URL}/custom-actions")

    def _validate_action_result(self: Any, result: dict[str, Any]) -> bool:
        error = best_match(validator.iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += suffix
        raise error

    originals[VALIDATE] = current
    RemoteAction._validate_action_result = _mark(_validate_action_result)


def cache_event_classes() -> None:
    """Reading a tracker back walks every Event subclass per event; the tree is fixed.

    Each answer is Rasa's own for that class, computed once; callers get a copy.
    """
    import rasa.shared.utils.common as common

    original = common.all_subclasses
    if _ours(original):
        return
    cache: dict[Any, list[Any]] = {}

    def all_subclasses(cls: Any) -> list[Any]:
        found = cache.get(cls)
        if found is None:
            found = cache[cls] = original(cls)
        return list(found)

    originals[ALL_SUBCLASSES] = original
    common.all_subclasses = _mark(all_subclasses)


def cache_applied_events() -> None:
    """Every policy, at every prediction of a turn, asks the tracker for its applied events,
    and Rasa walks the whole conversation each time (a third of the policies' time here).

    The answer depends only on the tracker's events, which Rasa only appends to (or
    replaces with a new deque): it is kept with the deque, its length and its last
    event (held, so no identity is reused), and worked out again when any of them
    differs.  Callers get a copy, as they got a new list before.
    """
    from rasa.shared.core.trackers import DialogueStateTracker

    original = DialogueStateTracker.applied_events
    if _ours(original):
        return

    def applied_events(self: Any) -> list[Any]:
        events = self.events
        last = events[-1] if events else None
        kept = self.__dict__.get("_speedup_applied")
        if kept is not None and kept[0] is events and kept[1] == len(events) and kept[2] is last:
            return list(kept[3])
        found = original(self)
        self.__dict__["_speedup_applied"] = (events, len(events), last, list(found))
        return found

    originals[APPLIED_EVENTS] = original
    DialogueStateTracker.applied_events = _mark(applied_events)


def apply() -> None:
    """Check, then install the speed-ups once per process (before the model is loaded)."""
    global _applied
    if _applied:
        return
    verify()
    validate_action_results_once()
    cache_event_classes()
    cache_applied_events()
    _applied = True


def freeze_startup_objects() -> None:
    """After loading: move the model's objects out of the garbage collector's way (never undone)."""
    gc.collect()
    gc.freeze()
