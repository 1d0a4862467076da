"""Proposed fixes, applied in the benchmark's own process only, to measure what they would change.

Nothing here changes the bot: each fix is a context manager that patches a
function in memory and puts it back.  The benchmark's main figures are always
measured without them; the "what if" section applies them to show what the
fix would buy, so that the proposal for production code is backed by a number.

* ``validate_action_results_once``: Rasa checks every custom action's result
  with ``jsonschema.validate(result, schema)``, which first validates the
  *schema itself* against JSON Schema's 2020-12 meta-schema, on every call
  (about 20 ms of CPU each; a form turn runs two or three custom actions).
  Checking the schema once and keeping the validator gives the same errors.
* ``json_copy_action_calls``: the in-process action endpoint deep-copies each
  action call (the tracker and the whole domain) with ``copy.deepcopy``; a JSON
  round trip gives the same isolated copy (what the HTTP path does anyway)
  several times faster.
* ``cache_event_classes``: deserialising a tracker (the in-memory tracker store
  keeps trackers as JSON, read back on every message) looks up each event's
  class by walking every subclass of ``Event`` (``all_subclasses``, with
  ``inspect.isabstract``) once per event; the class tree does not change at run
  time, so it can be computed once.
* ``freeze_startup_objects``: after loading, the process holds about half a
  million objects the garbage collector tracks (Rasa, TensorFlow, the model);
  each full (generation 2) collection walks them all, a pause of about 250 ms
  that lands on whichever message is being handled.  ``gc.freeze()`` after
  start-up moves them out of the collector's way.
* ``remember_no_pending_edit`` (the bot's own work, not Rasa's): every message
  first asks the diary store, in a worker thread, whether the user has an edit
  waiting for their text; a per-process mark of users with none skips that.
"""
from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Iterator
from typing import Any

FIXES = {
    "validate_action_results_once": "rasa RemoteAction._validate_action_result: check the schema once, "
                                    "keep the validator (bot/engine.py at start-up)",
    "json_copy_action_calls": "bot/engine.py InProcessActionEndpoint.request: json round trip instead of "
                              "copy.deepcopy",
    "cache_event_classes": "rasa all_subclasses(Event) per deserialised event: computed once "
                           "(bot/engine.py at start-up)",
    "freeze_startup_objects": "gc.freeze() once the model is loaded and warmed up (bot/engine.py "
                              "InProcessEngine.start): no 250 ms full collections over its objects",
    "remember_no_pending_edit": "bot/desk.py: no store look-up (and no worker-thread hop) for a pending "
                                "edit when this process knows the user has none",
}


@contextlib.contextmanager
def validate_action_results_once() -> Iterator[None]:
    """The production speed-up (bot.rasa_speedups), put back afterwards."""
    from rasa.core.actions.action import RemoteAction

    from bot import rasa_speedups

    original = RemoteAction._validate_action_result
    rasa_speedups.validate_action_results_once()
    try:
        yield
    finally:
        RemoteAction._validate_action_result = original  # type: ignore[method-assign]


@contextlib.contextmanager
def json_copy_action_calls(engine: Any) -> Iterator[None]:
    """Patch the running engine's action endpoint (an instance of a class made at start-up)."""
    endpoint = getattr(getattr(engine, "_agent", None), "action_endpoint", None)
    cls = type(endpoint)
    if endpoint is None or not hasattr(endpoint, "executor"):
        yield
        return
    original = cls.request
    from rasa.core.actions.action import ActionExecutionRejection as RasaRejection
    from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

    async def request(self: Any, method: str = "post", subpath: Any = None,
                      content_type: Any = "application/json", compress: bool = False,
                      **kwargs: Any) -> Any:
        action_call = json.loads(json.dumps(kwargs.get("json") or {}))
        try:
            return await self.executor.run(action_call)
        except SdkRejection as error:
            raise RasaRejection(error.action_name, error.message) from None

    cls.request = request  # type: ignore[method-assign]
    try:
        yield
    finally:
        cls.request = original  # type: ignore[method-assign]


@contextlib.contextmanager
def cache_event_classes() -> Iterator[None]:
    """The production speed-up (bot.rasa_speedups), put back afterwards."""
    import rasa.shared.utils.common as common

    from bot import rasa_speedups

    original = common.all_subclasses
    rasa_speedups.cache_event_classes()
    try:
        yield
    finally:
        common.all_subclasses = original  # type: ignore[assignment]


@contextlib.contextmanager
def freeze_startup_objects() -> Iterator[None]:
    """gc.freeze(): the objects alive now (the model, Rasa, TensorFlow) leave the collector's care."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def remember_no_pending_edit() -> Iterator[None]:
    """Skip the diary's per-message pending-edit look-up for users known (in this process) to have none.

    The mark is set when a look-up found nothing or a pending edit was cancelled, and
    cleared whenever this process stores a pending edit for the user.  Valid for one
    process owning its users (the embedded default), not for replicas sharing a store.
    """
    from bot.desk import PENDING_EDIT, DiaryDesk
    from bot.diary.store import DiaryStore

    clear: set[str] = set()
    pending_input, cancel_pending, set_answer = (DiaryDesk.pending_input, DiaryDesk.cancel_pending,
                                                 DiaryStore.set_answer)

    async def quick_pending_input(self: Any, user_id: str, text: str) -> Any:
        if str(user_id) in clear:
            return None
        result = await pending_input(self, user_id, text)
        if result is None:
            clear.add(str(user_id))
        return result

    async def quick_cancel_pending(self: Any, user_id: str) -> None:
        if str(user_id) in clear:
            return
        await cancel_pending(self, user_id)
        clear.add(str(user_id))

    def noting_set_answer(self: Any, user_id: Any, name: str, value: Any) -> None:
        if name == PENDING_EDIT:
            clear.discard(str(user_id))
        set_answer(self, user_id, name, value)

    DiaryDesk.pending_input = quick_pending_input  # type: ignore[method-assign]
    DiaryDesk.cancel_pending = quick_cancel_pending  # type: ignore[method-assign]
    DiaryStore.set_answer = noting_set_answer  # type: ignore[method-assign]
    try:
        yield
    finally:
        DiaryDesk.pending_input = pending_input  # type: ignore[method-assign]
        DiaryDesk.cancel_pending = cancel_pending  # type: ignore[method-assign]
        DiaryStore.set_answer = set_answer  # type: ignore[method-assign]


@contextlib.contextmanager
def rasa_fixes(engine: Any) -> Iterator[list[str]]:
    """Fixes 1-4: Rasa's per-message work and the garbage collector."""
    with validate_action_results_once(), json_copy_action_calls(engine), cache_event_classes(), \
            freeze_startup_objects():
        yield [name for name in FIXES if name != "remember_no_pending_edit"]


@contextlib.contextmanager
def all_fixes(engine: Any) -> Iterator[list[str]]:
    """Fixes 1-5: the above, and the bot's own per-message diary look-up."""
    with rasa_fixes(engine), remember_no_pending_edit():
        yield list(FIXES)
