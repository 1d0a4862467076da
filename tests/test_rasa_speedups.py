"""bot/rasa_speedups.py: each patch is installed, gives Rasa's own answers, and a missing name fails loudly.

The speed-ups replace Rasa internals; a Rasa upgrade that renames or reshapes one
must stop the bot at start with a clear error, not change what it does.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("rasa")

import rasa.shared.utils.common as common  # noqa: E402
from jsonschema import ValidationError  # noqa: E402
from rasa.core.actions.action import RemoteAction  # noqa: E402
from rasa.shared.core.events import Event  # noqa: E402
from rasa.shared.core.slots import Slot  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot import rasa_speedups  # noqa: E402

VALID = {"events": [{"event": "slot", "name": "kind", "value": "following"}],
         "responses": [{"text": "Noted."}]}
INVALID = {"events": "not a list", "responses": [{"text": "Noted."}]}


def rasa_original(name: str, current: Any) -> Any:
    """Rasa's own function: the current one, or what this module replaced earlier in this process."""
    return rasa_speedups.originals.get(name, current) if rasa_speedups._ours(current) else current


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Rasa's originals back in place and the module not yet applied (all undone afterwards)."""
    validate = rasa_original(rasa_speedups.VALIDATE, RemoteAction.__dict__["_validate_action_result"])
    subclasses = rasa_original(rasa_speedups.ALL_SUBCLASSES, common.all_subclasses)
    applied = rasa_original(rasa_speedups.APPLIED_EVENTS, DialogueStateTracker.applied_events)
    assert applied.__qualname__ == "DialogueStateTracker.applied_events"
    assert validate.__qualname__ == "RemoteAction._validate_action_result"
    assert validate.__module__ == "rasa.core.actions.action"
    assert subclasses.__module__ == "rasa.shared.utils.common"
    monkeypatch.setattr(RemoteAction, "_validate_action_result", validate)
    monkeypatch.setattr(common, "all_subclasses", subclasses)
    monkeypatch.setattr(DialogueStateTracker, "applied_events", applied)
    monkeypatch.setattr(rasa_speedups, "_applied", False)
    monkeypatch.setattr(rasa_speedups, "originals", {})
    return {"validate": validate, "all_subclasses": subclasses, "applied_events": applied}


def verdict(validate: Any, result: dict[str, Any]) -> tuple[bool, str]:
    try:
        return validate(object.__new__(RemoteAction), result), ""
    except ValidationError as error:
        return False, error.message


def test_apply_installs_every_patch_and_keeps_rasas_originals(fresh: dict[str, Any]) -> None:
    rasa_speedups.apply()
    assert RemoteAction._validate_action_result is not fresh["validate"]
    assert RemoteAction._validate_action_result.__module__ == "bot.rasa_speedups"
    assert common.all_subclasses is not fresh["all_subclasses"]
    assert common.all_subclasses.__module__ == "bot.rasa_speedups"
    assert rasa_speedups.originals == {rasa_speedups.VALIDATE: fresh["validate"],
                                       rasa_speedups.ALL_SUBCLASSES: fresh["all_subclasses"],
                                       rasa_speedups.APPLIED_EVENTS: fresh["applied_events"]}
    patched = RemoteAction._validate_action_result
    rasa_speedups.apply()  # a second call changes nothing
    assert RemoteAction._validate_action_result is patched


def test_patched_validator_gives_rasas_verdicts_and_errors(fresh: dict[str, Any]) -> None:
    rasa_speedups.apply()
    patched = RemoteAction._validate_action_result
    assert verdict(patched, VALID) == verdict(fresh["validate"], VALID) == (True, "")
    ours, rasas = verdict(patched, INVALID), verdict(fresh["validate"], INVALID)
    assert ours == rasas
    assert ours[0] is False
    assert "is not of type 'array'" in ours[1]
    assert ours[1].endswith("For more information about the format visit "
                            "https://rasa.com/docs/rasa/custom-actions")


def test_cached_all_subclasses_is_rasas_list(fresh: dict[str, Any]) -> None:
    expected_events = fresh["all_subclasses"](Event)
    expected_slots = fresh["all_subclasses"](Slot)
    rasa_speedups.apply()
    first = common.all_subclasses(Event)
    assert first == expected_events
    assert common.all_subclasses(Event) == expected_events  # from the cache
    assert common.all_subclasses(Slot) == expected_slots
    first.clear()  # a caller changing its list does not change the next answer
    assert common.all_subclasses(Event) == expected_events
    # What Rasa uses it for: reading an event back by its type name
    assert Event.resolve_by_type("user").__name__ == "UserUttered"


def test_apply_fails_loudly_when_the_validator_is_gone(fresh: dict[str, Any],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RemoteAction, "_validate_action_result")
    with pytest.raises(RuntimeError, match=r"RemoteAction\._validate_action_result no longer exists "
                                           r"in Rasa 3\.6\.\d+"):
        rasa_speedups.apply()
    assert common.all_subclasses is fresh["all_subclasses"]  # nothing half-applied
    assert rasa_speedups._applied is False


def test_apply_fails_loudly_when_all_subclasses_is_gone(fresh: dict[str, Any],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(common, "all_subclasses")
    with pytest.raises(RuntimeError, match=r"rasa\.shared\.utils\.common\.all_subclasses no longer exists"):
        rasa_speedups.apply()
    assert RemoteAction._validate_action_result is fresh["validate"]


def test_apply_fails_loudly_on_a_changed_signature(fresh: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def all_subclasses(cls: Any, include_abstract: bool = False) -> list[Any]:
        return []

    monkeypatch.setattr(common, "all_subclasses", all_subclasses)
    with pytest.raises(RuntimeError, match=r"all_subclasses takes \(cls, include_abstract\), not \(cls\)"):
        rasa_speedups.apply()
    assert RemoteAction._validate_action_result is fresh["validate"]


def test_apply_fails_loudly_when_the_response_schema_is_gone(fresh: dict[str, Any],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RemoteAction, "action_response_format_spec")
    with pytest.raises(RuntimeError, match=r"action_response_format_spec no longer exists in Rasa"):
        rasa_speedups.apply()


def test_cached_applied_events_are_rasas_at_every_step(fresh: dict[str, Any]) -> None:
    from rasa.shared.core.events import (
        ActionExecuted,
        ActionReverted,
        ActiveLoop,
        Restarted,
        SlotSet,
        UserUtteranceReverted,
        UserUttered,
    )

    original = fresh["applied_events"]
    rasa_speedups.apply()
    assert rasa_speedups._ours(DialogueStateTracker.applied_events)
    story = [ActionExecuted("action_listen"), UserUttered("hi"), ActionExecuted("utter_greet"),
             ActionExecuted("action_listen"), UserUttered("/note"), ActionExecuted("note_form"),
             ActiveLoop("note_form"), SlotSet("requested_slot", "note_when"), ActionExecuted("action_listen"),
             UserUttered("yesterday"), ActionExecuted("note_form"), SlotSet("note_when", "x"),
             ActionExecuted("action_listen"), UserUttered("oops"), UserUtteranceReverted(),
             ActionExecuted("utter_x"), ActionReverted(), ActionExecuted("note_form"), ActiveLoop(None),
             Restarted(), ActionExecuted("action_listen"), UserUttered("again")]
    tracker = DialogueStateTracker("speedups", [])
    for event in story:
        tracker.update(event)
        got = tracker.applied_events()
        assert got == original(tracker) and tracker.applied_events() == got  # the first read and the kept one
        got.append("changed by a caller")  # a caller's list is its own
        assert tracker.applied_events() == original(tracker)
    copy = tracker.copy()  # another tracker, another deque: its own answer
    assert copy.applied_events() == original(copy)
    tracker.events = tracker._create_events([ActionExecuted("action_listen")])  # replaced
    assert tracker.applied_events() == original(tracker)


def test_freeze_startup_objects_freezes_the_garbage_collector() -> None:
    # In a child process: freezing this test process's collector would outlive the test.
    code = ("import gc; from bot import rasa_speedups; before = gc.get_freeze_count(); "
            "rasa_speedups.freeze_startup_objects(); print(before, gc.get_freeze_count())")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          check=True, cwd=Path(__file__).resolve().parents[1])
    before, after = (int(x) for x in done.stdout.split())
    assert before == 0
    assert after > 1000
