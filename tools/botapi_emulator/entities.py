"""Telegram's HTML parse mode: text and entities (offsets in UTF-16 units), with Telegram's errors
for bad markup."""

from __future__ import annotations

import re
from dataclasses import dataclass

from tools.botapi_emulator.errors import JSON, ApiError, _bad

# --------------------------------------------------------------------------- entity parsing


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_HTML_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
_NAME_TOKEN_RE = re.compile(r"[A-Za-z0-9.\-]*")
_END_NAME_RE = re.compile(r"[A-Za-z0-9\-]*")


def _decode_entity(match: re.Match[str]) -> str | None:
    dec, hexa, name = match.groups()
    if name:
        return _NAMED[name]
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code)


def _entity_error(message: str) -> ApiError:
    return _bad(f"can't parse entities: {message}")


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode())


def _at(text: str, index: int) -> str:
    return f"at byte offset {_byte_offset(text, index)}"


@dataclass
class _OpenTag:
    name: str
    offset: int
    attrs: dict[str, str]


def _parse_attrs(text: str, j: int, tag: str, begin: int) -> tuple[dict[str, str], int]:
    """Parses attributes up to the closing '>' the way tdlib does; returns them and the index
    just past the tag."""
    n = len(text)
    attrs: dict[str, str] = {}
    unclosed = _entity_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    while True:
        while j < n and text[j].isspace():
            j += 1
        if j >= n:
            raise unclosed
        if text[j] == ">":
            return attrs, j + 1
        k = j
        while k < n and not text[k].isspace() and text[k] not in "=>":
            k += 1
        name = text[j:k].lower()
        if not name:
            raise _entity_error(
                f'Empty attribute name in the tag "{tag}" at byte offset '
                f"{_byte_offset(text, begin)}",
            )
        while k < n and text[k].isspace():
            k += 1
        if k >= n:
            raise unclosed
        if text[k] != "=":
            if tag == "blockquote" and name == "expandable":
                attrs[name] = ""
                j = k
                continue
            raise _entity_error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" at byte '
                f"offset {_byte_offset(text, begin)}",
            )
        k += 1
        while k < n and text[k].isspace():
            k += 1
        if k >= n:
            raise unclosed
        if text[k] in "\"'":
            end = text.find(text[k], k + 1)
            if end < 0:
                raise unclosed
            raw = text[k + 1 : end]
            value = _HTML_ENTITY_RE.sub(lambda m: _decode_entity(m) or m.group(), raw)
            j = end + 1
        else:
            match = _NAME_TOKEN_RE.match(text, k)
            assert match is not None  # the pattern accepts the empty string
            value, j = match.group().lower(), match.end()
            if j < n and not (text[j].isspace() or text[j] == ">"):
                raise _entity_error(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, k)}"
                )
        attrs[name] = value


def _close_entity(top: _OpenTag, end: int, parent: _OpenTag | None) -> JSON | None:
    length = end - top.offset
    kind = _TAG_TYPES[top.name]
    if top.name == "code" and parent is not None and parent.name == "pre":
        language = top.attrs.get("class", "")
        if language.startswith("language-"):
            # Telegram folds <pre><code class="language-x"> into one pre entity with a language.
            parent.attrs["language"] = language.removeprefix("language-")
            return None
    if length <= 0:
        return None
    entity: JSON = {"type": kind, "offset": top.offset, "length": length}
    if kind == "text_link":
        url = top.attrs.get("href", "")
        if not url:
            return None
        entity["url"] = url
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = top.attrs["emoji-id"]
    elif kind == "pre" and top.attrs.get("language"):
        entity["language"] = top.attrs["language"]
    elif kind == "blockquote" and "expandable" in top.attrs:
        entity["type"] = "expandable_blockquote"
    return entity


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Telegram-HTML to (visible text, entities). Raises ApiError with Telegram's wording."""
    out: list[str] = []
    pos16 = 0
    stack: list[_OpenTag] = []
    entities: list[JSON] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "&":
            match = _HTML_ENTITY_RE.match(text, i)
            decoded = _decode_entity(match) if match else None
            if match is None or decoded is None:
                raise _entity_error(
                    f'Character "&" at byte offset {_byte_offset(text, i)} must be escaped '
                    'as "&amp;"',
                )
            out.append(decoded)
            pos16 += utf16_len(decoded)
            i = match.end()
            continue
        if c != "<":
            out.append(c)
            pos16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        if i + 1 < n and text[i + 1] == "/":
            if not stack:
                raise _entity_error(f"Unexpected end tag {_at(text, begin)}")
            match = _END_NAME_RE.match(text, i + 2)
            assert match is not None
            end_name, j = match.group().lower(), match.end()
            while j < n and text[j].isspace():
                j += 1
            if j >= n or text[j] != ">":
                raise _entity_error(f"Unclosed end tag {_at(text, begin)}")
            top = stack.pop()
            if end_name and end_name != top.name:
                raise _entity_error(
                    f'Unmatched end tag {_at(text, begin)}, expected "</{top.name}>", '
                    f'found "</{end_name}>"',
                )
            entity = _close_entity(top, pos16, stack[-1] if stack else None)
            if entity is not None:
                entities.append(entity)
            i = j + 1
            continue
        j = i + 1
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        if j >= n:
            raise _entity_error(f"Unclosed start tag {_at(text, begin)}")
        name = text[i + 1 : j].lower()
        if name not in _TAG_TYPES:
            raise _entity_error(f'Unsupported start tag "{name}" {_at(text, begin)}')
        attrs, i = _parse_attrs(text, j, name, begin)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _entity_error(f'Tag "span" must have class "tg-spoiler" {_at(text, begin)}')
        if name == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise _entity_error(f"Expected custom emoji identifier {_at(text, begin)}")
        stack.append(_OpenTag(name, pos16, attrs))
    if stack:
        raise _entity_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _strip_text(plain: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Telegram trims surrounding whitespace and shifts the entities accordingly."""
    stripped = plain.strip()
    if stripped == plain:
        return plain, entities
    lead = utf16_len(plain[: len(plain) - len(plain.lstrip())])
    size = utf16_len(stripped)
    kept: list[JSON] = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(size, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept
