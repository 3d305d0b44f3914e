"""Message length rules and the callback-data encoding."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.callback import MAX_BYTES, CallbackData
from coaching.text import (
    BUTTON_LABEL_MAX,
    TELEGRAM_TEXT_MAX,
    button_label,
    html_to_plain,
    progress_bar,
    shorten,
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


# --- a button's label shortened at a word's end -----------------------------------------------


LONG_TITLE = "Refleksi pengalaman membangun kepercayaan pemangku kepentingan daerah"


def test_a_reply_buttons_long_title_is_cut_at_a_word_boundary_with_an_ellipsis() -> None:
    full = f"↩️ Balas #1234 · {LONG_TITLE}"
    label = shorten(full)
    assert len(label) <= BUTTON_LABEL_MAX and label.endswith("…")
    kept = label.removesuffix("…")
    assert full.startswith(kept) and full[len(kept)] == " "  # whole words only
    assert kept == "↩️ Balas #1234 · Refleksi pengalaman membangun kepercayaan"


def test_a_cut_label_leaves_no_dangling_separator() -> None:
    label = shorten("↩️ Balas #1234567890123456789012345678901234567 · Bab II · Latihan 1")
    assert label.endswith("…") and not label.removesuffix("…").endswith(("·", " "))


def test_one_long_word_is_still_cut_within_the_cap() -> None:
    label = shorten("↩️ " + "x" * 100)
    assert len(label) == BUTTON_LABEL_MAX and label.endswith("x…")


@given(st.text(alphabet=st.sampled_from("ab ·-,"), min_size=0, max_size=120))
def test_every_shortened_label_fits_and_is_a_prefix(label: str) -> None:
    short = shorten(label)
    assert len(short) <= BUTTON_LABEL_MAX
    assert short == label or label.startswith(short.removesuffix("…"))


def test_button_label_shortens_rendered_labels_in_both_locales() -> None:
    words = "Sari Dewi Kusumawardhani dari Dinas Pertanian Kabupaten Karawang"
    for locale in ("id", "en"):
        label = button_label(locale, "coach.btn_nudge_one", name=words)
        assert len(label) <= BUTTON_LABEL_MAX and label.endswith("…")
        assert label.removesuffix("…").split()[-1] in words.split()  # a whole word last
    reply = button_label("id", "replies.btn_reply", answer=12, key="bab2.latihan1")
    assert not reply.endswith("…") and reply.startswith("↩️ Balas #12 · ")
