"""A ``Reply`` as a transport-neutral payload: HTML parts, labelled buttons, an attachment.

The one rendering every sender shares: a participant's replies (``payloads``) and a reminder's
nudge (``nudge``) are both turned into the dicts the outbox stores and ``bot/sender.py`` or the
terminal sends. Pure: templates in, dicts out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from coaching import text
from coaching.model import Option, Reply

Payload = dict[str, Any]


def buttons(
    locale: str, options: Sequence[Sequence[Option]], *, you: str | None = None
) -> list[list[dict[str, str]]]:
    """Rows of ``{"label", "value"}`` (and ``web_app``, a Mini App's address, when it has one):
    each label plain, one line and capped (``button_label``)."""
    return [
        [
            {
                "label": text.button_label(locale, o.label, you=you, **o.context),
                "value": o.value,
                **({"web_app": o.web_app} if o.web_app else {}),
            }
            for o in row
        ]
        for row in options
    ]


def payloads(locale: str, replies: Sequence[Reply], *, you: str | None = None) -> list[Payload]:
    """Replies as payloads, in order, for a reader who reads ``locale`` and chose the form of
    address ``you`` (``address.form``; None for a coach or someone not yet asked): what
    ``{{ Anda }}`` says in every text and button.

    A reply without buttons is merged into the next one ("Saved." + the next question), so a
    participant gets one message per step and the chat stays within Telegram's pace.
    """
    out: list[Payload] = []
    summaries: list[Payload] = []
    pending = ""
    for index, reply in enumerate(replies):
        html = text.render(locale, reply.key, you=you, **reply.context)
        if not html.strip() and reply.attachment is None and not reply.options:
            continue  # a message with nothing to say (e.g. "0 ties saved") is not sent
        if reply.attachment is not None and pending:  # a picture stands on its own
            out.extend({"text": part, "buttons": []} for part in text.split_message(pending))
            pending = ""
        if reply.edit and not reply.options and reply.attachment is None:
            # A finished step's message, edited to its summary: never merged with another,
            # and sent after the new question (which must not wait behind it for the pace).
            summaries.append({"text": html, "buttons": [], "edit": True, "summary": True})
            continue
        html = f"{pending}\n\n{html}" if pending else html
        if not reply.options and reply.attachment is None and index < len(replies) - 1:
            pending = html
            continue
        pending = ""
        rows = buttons(locale, reply.options, you=you)
        if reply.attachment is not None:  # a picture: the text is its caption
            caption = text.split_message(html, limit=text.CAPTION_MAX)
            out.append({"text": caption[0], "buttons": rows, "attachment": dict(reply.attachment)})
            continue
        parts = text.split_message(html)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)
            payload: Payload = {"text": part, "buttons": rows if last else []}
            if reply.edit and len(parts) == 1:
                payload["edit"] = True
            if reply.stable and last:
                payload["stable"] = True  # its buttons go out with seq 0 (a flow's own prefix)
            out.append(payload)
    return out + summaries


def nudge(locale: str, reply: Reply, reminder_id: int, *, you: str | None = None) -> Payload:
    """A reminder's nudge: one message, stable buttons (seq 0), its reminder's id; ``you`` as
    for :func:`payloads`."""
    html = text.render(locale, reply.key, you=you, **reply.context)
    # Short by construction (names ≤ 80, notes cut to 120): one message carries the buttons.
    return {
        "text": text.split_message(html)[0],
        "buttons": buttons(locale, reply.options, you=you),
        "seq": 0,
        "reminder_id": reminder_id,
    }
