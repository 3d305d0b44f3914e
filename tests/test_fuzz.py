"""Fuzz the engine with random participants' behaviour: nothing crashes, invariants hold.

A hypothesis state machine sends ≥ 10,000 events in all (unicode, very long text, markup,
commands out of order, documents, stickers, stale and forged buttons, typed numbers) and checks
after every one: a known state, replies that are valid Telegram HTML within its limits,
buttons whose data fits 64 bytes, and nothing personal stored before consent.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from bot.callback import CallbackData
from coaching import engine
from coaching.flows import REGISTRY
from coaching.model import Document, Event, EventKind
from tests.support import Conversation, telegram_html_errors

COMMANDS = [
    "/start",
    "/start join_ABC",
    "/menu",
    "/bantuan",
    "/batal",
    "/bahasa",
    "/peta",
    "/analisis",
    "/tambah",
    "/tambah Pak Budi",
    "/hubung Budi - Ani kuat",
    "/urungkan",
    "/pengingat",
    "/nonexistent",
    "/START@jejaring_bot",
    "/",
]
MARKUP = ["<b>", "</code>", "<a href='x'>", "&amp;", "&", "<", ">", "<script>alert(1)</script>"]
texts = st.one_of(
    st.text(max_size=60),
    st.text(min_size=3000, max_size=12_000),
    st.sampled_from(MARKUP),
    st.sampled_from(
        [
            "1",
            "2",
            "3",
            "9",
            "0",
            "-1",
            "Sari Dewi",
            "WIB",
            "Asia/Tokyo",
            "Budi - Ani kuat",
            "Budi -> Dewi",
            "X - X",
            "😀",
            " ",
            "\n\n",
        ]
    ),
)
documents = st.builds(
    lambda name, content: Document(name, "text/csv", len(content), content),
    st.sampled_from(["peta.csv", "x.png", "", "a" * 300]),
    st.one_of(st.binary(max_size=200), st.just(b"source,target\nA,B\nB,C\n")),
)


class Participant(RuleBasedStateMachine):
    @initialize()
    def start(self) -> None:
        self.convo = Conversation()
        self.events = 0

    def _send(self, event: Event | str) -> None:
        self.convo.send(event)
        self.events += 1
        self._store()

    def _store(self) -> None:
        """What storage does on commit: maps that were just created get ids."""
        snap = self.convo.snap
        if not any(m.id is None for m in snap.maps):
            return
        maps = tuple(
            m if m.id is not None else dataclasses.replace(m, id=1000 + i)
            for i, m in enumerate(snap.maps)
        )
        network = snap.network
        if network is not None and network.id is None and network.kind != "example":
            network = next((m for m in maps if m.title == network.title), network)
        self.convo.snap = dataclasses.replace(snap, maps=maps, network=network)

    @rule(text=texts)
    def types(self, text: str) -> None:
        self._send(Event.of_text(text))

    @rule(command=st.sampled_from(COMMANDS))
    def commands(self, command: str) -> None:
        self._send(command)

    @rule(data=st.data())
    def presses_an_offered_button(self, data: st.DataObject) -> None:
        buttons = self.convo.buttons
        if buttons:
            self.convo.press(data.draw(st.sampled_from(buttons)))
            self.events += 1
            self._store()

    @rule(value=st.text(max_size=30), seq=st.integers(min_value=-2, max_value=500))
    def presses_a_stale_or_forged_button(self, value: str, seq: int) -> None:
        before = self.convo.snap
        self._send(Event(EventKind.CHOICE, choice=value, seq=seq))
        offered = value in [o for o in self.convo.buttons]
        if seq != before.seq and seq != 0 and not offered:
            assert self.convo.snap.profile == before.profile  # forged: nothing changes

    @rule(media=st.sampled_from(["sticker", "photo", "voice", "location"]))
    def sends_media(self, media: str) -> None:
        self._send(Event(EventKind.UNSUPPORTED, media=media))

    @rule(document=documents)
    def sends_a_document(self, document: Document) -> None:
        self._send(Event(EventKind.DOCUMENT, document=document))

    @invariant()
    def state_is_known(self) -> None:
        state = self.convo.snap.state
        flow = REGISTRY.for_state(state)
        assert flow is not None and state in {s.value for s in flow.steps}, state

    @invariant()
    def replies_are_valid_telegram_messages(self) -> None:
        for said in self.convo.last:
            errors = telegram_html_errors(said.html)
            if self.convo.outcome is not None and any(
                r.attachment for r in self.convo.outcome.replies
            ):
                errors = [e for e in errors if not e.startswith("visible length")]
            assert errors == [], (said.key, errors, said.html[:300])
            for value, label in said.buttons:
                assert 1 <= len(label) <= 120, label
                CallbackData(self.convo.snap.seq, value).encode()  # ≤ 64 bytes, valid chars

    @invariant()
    def nothing_personal_before_consent(self) -> None:
        profile = self.convo.snap.profile
        if profile.consent_at is None:
            assert profile.name is None and profile.unit is None and not self.convo.snap.maps
            assert not self.convo.snap.answers

    @invariant()
    def the_question_can_always_be_asked_again(self) -> None:
        engine.prompt(self.convo.snap)


Participant.TestCase.settings = settings(
    max_examples=160,
    stateful_step_count=100,  # ≈ 12,000 random events in all (measured), ≥ 10,000
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
TestParticipant = Participant.TestCase
