"""The application layer's seams: flows declare what they need, the engine applies effects once,
one rendering of replies for every sender, storage that decides nothing."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

from coaching import engine, payloads, text
from coaching.model import Event, EventKind, Option, Reply
from coaching.needs import NOTHING, Focus, Needs
from coaching.nudges import PREFIX
from tests.support import Conversation

STORAGE = Path(__file__).resolve().parent.parent / "storage"


def test_flows_declare_what_their_events_need() -> None:
    assert engine.needs(Event.of_text("/start join_AbCdEf1234")) == Needs(
        link=("join", "AbCdEf1234")
    )
    # A coach's /start and /menu open their home: the coach flow asks for their view.
    assert engine.needs(Event.of_text("/start")) == Needs(coach=Focus())
    assert engine.needs(Event.of_text("/menu")) == Needs(coach=Focus())
    assert engine.needs(Event.of_text("/kohort")) == Needs(coach=Focus(only_cohort=True))
    assert engine.needs(Event.of_text("/dasbor")) == Needs(coach=Focus(login=True))
    assert engine.needs(Event.of_text("/bantuan")) == Needs(coach=Focus())
    assert engine.needs(Event(EventKind.CHOICE, choice="ko:p:42")) == Needs(
        coach=Focus(participant_id=42)
    )
    assert engine.needs(Event.of_text("/ekspor")) == Needs(export=True)
    nudge = Event(EventKind.CHOICE, choice=f"{PREFIX}:7:later", seq=0)
    assert engine.needs(nudge) == Needs(nudges=True)
    # The same value on a step's button (seq > 0) is no nudge's.
    assert engine.needs(dataclasses.replace(nudge, seq=3)) == NOTHING
    assert engine.needs(Event.of_text("Sari Dewi")) == NOTHING


def test_no_storage_code_reads_a_command_or_a_button() -> None:
    """What to load is the flows' knowledge (``needs``): storage never looks at an event's
    command or choice, nor imports a flow."""
    for path in sorted(STORAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("command", "choice")
                and ast.unparse(node.value) != "secrets"  # secrets.choice: a random pick
            ):
                raise AssertionError(f"{path.name}:{node.lineno} reads event.{node.attr}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "coaching.flows"
            ):
                raise AssertionError(f"{path.name}:{node.lineno} imports {node.module}")


def test_the_engine_hands_back_the_snapshot_it_applied_once() -> None:
    talk = Conversation()
    for step in ("/start", "agree", "lang:id", "Sari Dewi", "Bappeda", "WIB", "daily", "/peta"):
        before = talk.snap
        if step in ("agree", "lang:id", "WIB", "daily"):
            event = Event(EventKind.CHOICE, choice=step, seq=before.seq)
        else:
            event = Event.of_text(step)
        outcome = engine.handle(before, event)
        assert outcome.after is not None
        assert outcome.after == engine.apply(before, outcome), step
        talk.send(event)
    assert talk.snap.state.startswith("network.")


def test_a_nudges_buttons_are_rendered_like_every_other_button() -> None:
    long = "Sari " * 40
    option = Option("r:1:later", "coach.btn_nudge_one", {"name": long})
    reply = Reply("reminders.btn_snooze_1h", {}, ((option,),))
    nudge = payloads.nudge("id", reply, 5)
    (label,) = [b["label"] for row in nudge["buttons"] for b in row]
    assert label == text.button_label("id", "coach.btn_nudge_one", name=long)
    assert len(label) <= text.BUTTON_LABEL_MAX
    assert nudge["seq"] == 0 and nudge["reminder_id"] == 5
    assert payloads.payloads("id", [reply])[0]["buttons"] == nudge["buttons"]
