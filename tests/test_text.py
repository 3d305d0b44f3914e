"""Message length rules and the callback-data encoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.callback import MAX_BYTES, CallbackData
from coaching.text import (
    TELEGRAM_TEXT_MAX,
    html_to_plain,
    progress_bar,
    split_message,
    visible_length,
)


def test_visible_length_counts_after_entities_in_utf16() -> None:
    assert visible_length("<b>ab</b> &amp;") == 4
    assert visible_length("😀") == 2  # one emoji is two UTF-16 units, as Telegram counts


@given(st.lists(st.text(min_size=0, max_size=300), min_size=1, max_size=60))
def test_split_never_exceeds_the_limit_and_keeps_every_line(lines: list[str]) -> None:
    import html

    body = "\n".join(f"<b>{html.escape(line, quote=False)}</b>" for line in lines)
    parts = split_message(body, limit=500)
    assert all(visible_length(part) <= 500 for part in parts)
    assert html_to_plain("\n".join(parts)).replace("\n", "") == html_to_plain(body).replace(
        "\n", ""
    )


def test_split_cuts_one_huge_line_as_escaped_text() -> None:
    huge = "a < b & " * 2000
    parts = split_message(huge.replace("<", "&lt;").replace("& ", "&amp; "))
    assert len(parts) >= 4
    assert all(visible_length(p) <= TELEGRAM_TEXT_MAX for p in parts)
    assert all("<" not in p for p in parts)


def test_progress_bar() -> None:
    assert progress_bar(0, 18) == "░░░░░░░░░░ 0/18"
    assert progress_bar(9, 18) == "▓▓▓▓▓░░░░░ 9/18"
    assert progress_bar(18, 18) == "▓▓▓▓▓▓▓▓▓▓ 18/18"
    assert progress_bar(0, 0).endswith("0/0")


@given(
    st.integers(min_value=0, max_value=10**12),
    st.from_regex(r"[A-Za-z0-9_.:\-]{1,40}", fullmatch=True),
)
def test_callback_round_trip_fits_64_bytes(seq: int, value: str) -> None:
    data = CallbackData(seq, value).encode()
    assert len(data.encode()) <= MAX_BYTES
    assert CallbackData.decode(data) == CallbackData(seq, value)


@given(st.text(max_size=80))
def test_callback_decode_never_raises(garbage: str) -> None:
    decoded = CallbackData.decode(garbage)
    assert decoded is None or decoded.encode() == garbage


def test_forged_callbacks_are_refused() -> None:
    assert CallbackData.decode("j1:5:x:bab2.latihan1") == CallbackData(5, "x:bab2.latihan1")
    for forged in [
        "j2:5:agree",
        "j1:-1:agree",
        "j1:5:<b>",
        "j1:five:agree",
        "",
        "j1:5:" + "a" * 70,
    ]:
        assert CallbackData.decode(forged) is None
