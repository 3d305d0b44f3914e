"""The words of an answer as the feedback reads them: folded, function words set apart, and
whether they evade the question (the participant does not know, has not read the module, or
will answer later). Pure and deterministic; ``coaching/feedback.py`` matches what is left
against the rubrics.

>>> words("Jujur, saya BELUM baca modulnya.")
['jujur', 'saya', 'belum', 'baca', 'modulnya']
>>> is_evasive(words("Jujur, saya belum baca modulnya."))
True
>>> is_evasive(words("Saya tidak tahu apakah semua pihak berkomitmen."))
False
>>> content(words("Saya membangun kepercayaan dengan Bappeda"))
['membangun', 'kepercayaan', 'bappeda']
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import cache

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Words that carry no answer: function words, and what an evasive answer is made of.
_STOP_WORDS = """
    yang dan di ke dari ini itu dengan untuk pada adalah ialah yaitu juga atau dalam akan
    sudah telah saya aku kami kita anda ia dia mereka nya pun lah kah tersebut sebagai oleh
    karena bahwa jadi agar supaya bisa dapat ada para se sangat lebih paling hal
    tidak tak belum bukan tahu tau gak ga nggak enggak ndak tdk gatau entah lupa kurang
    paham mengerti baca membaca modul modulnya materi nanti dulu ya iya ok oke sih deh kok
    kosong lewat skip bingung jawab jawaban pertanyaan maaf
    the a an and or of to in on for with is are was be it this that i we you they my our
    not no dont don t know idea nothing yet read sure unsure idk pass n na none
"""
_STOP = frozenset(_STOP_WORDS.split())


def content(words: Sequence[str]) -> list[str]:
    """The words that carry an answer: no function words, numbers or single letters."""
    return [w for w in words if w not in _STOP and not w.isdecimal() and len(w) > 1]


def words(text: str) -> list[str]:
    """Lower-case words without accents; "teman-teman" is one word, "timbal-balik" two."""
    folded = text.casefold()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WORD.findall(folded)


# What an evasive answer says, in the participant's words (folded as ``words`` folds them).
# Evasive wherever they stand: not having read the module, putting the answer off.
_PUT_OFF = """
    belum baca | belum membaca | belum sempat baca | belum sempat membaca | tidak baca |
    belum sempat | nanti saja | nanti dulu | nanti saya | nanti kalau | nanti jika |
    kalau sempat | kalo sempat | jika sempat | bila sempat | lain kali | pikirkan lagi |
    pikir lagi | pikir dulu | pikirkan nanti | entahlah | gatau | gak tau | ga tau |
    haven't read | have not read | havent read | didn't read | did not read | not read it |
    not read the | think about it later | think about this later | answer later |
    answer it later | do it later | write it later | maybe later | later maybe |
    get back to | come back to this | when i have time | if i have time | no time |
    idk | dunno | no idea | no clue
"""
# Evasive where the participant says it of themselves: at the start of the answer (after
# filler such as "maaf", "jujur") or just after "saya"/"I"; but not before what they are
# unsure of ("saya tidak tahu apakah semua pihak berkomitmen" is an answer).
_DONT_KNOW = """
    tidak tahu | tidak tau | tak tahu | belum tahu | belum tau | nggak tahu | gak tahu |
    ga tahu | enggak tahu | ndak tahu | tdk tahu | kurang tahu | tidak paham | belum paham |
    kurang paham | tidak mengerti | belum mengerti | kurang mengerti | bingung |
    don't know | do not know | dont know | don't understand | do not understand | not sure
"""
_SELF_WORDS = "saya aku sy gue gw kami i we im"
_DOUBT_WORDS = """
    apakah apa siapa bagaimana mengapa kenapa kapan mana berapa seberapa kalau jika bila
    whether if who what how why when where which
"""
_OPENING_WORDS = "maaf jujur sebenarnya terus terang wah aduh hmm hm eh sorry honestly frankly um"
_SELF = frozenset(_SELF_WORDS.split())
_DOUBT_OF = frozenset(_DOUBT_WORDS.split())
_OPENING = frozenset(_OPENING_WORDS.split())


def _phrase_list(raw: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(words(p)) for p in raw.split("|") if words(p))


Phrases = dict[str, tuple[tuple[str, ...], ...]]


@cache
def _evasions() -> tuple[Phrases, Phrases]:
    """The evasive phrases by their first word (an answer's words are looked up, not scanned)."""

    def by_first(raw: str) -> Phrases:
        found: dict[str, list[tuple[str, ...]]] = {}
        for phrase in _phrase_list(raw):
            found.setdefault(phrase[0], []).append(phrase)
        return {first: tuple(phrases) for first, phrases in found.items()}

    return by_first(_PUT_OFF), by_first(_DONT_KNOW)


def is_evasive(words: Sequence[str]) -> bool:
    """Whether an answer's words (``words``) say the participant does not know, has not read
    the module, or will answer later (``_PUT_OFF``, ``_DONT_KNOW``). Deterministic."""
    put_off, dont_know = _evasions()
    opening_end = next(
        (i for i, w in enumerate(words) if w not in _OPENING and w not in _STOP), len(words)
    )
    for i, word in enumerate(words):
        if any(tuple(words[i : i + len(p)]) == p for p in put_off.get(word, ())):
            return True
        for phrase in dont_know.get(word, ()):
            end = i + len(phrase)
            if tuple(words[i:end]) != phrase:
                continue
            of_self = i <= opening_end or any(w in _SELF for w in words[max(0, i - 2) : i])
            if of_self and not (end < len(words) and words[end] in _DOUBT_OF):
                return True
    return False
