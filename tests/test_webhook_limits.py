"""The webhook answers 400 to anything that is not a Telegram update object and refuses an
oversized body without reading it (413) — a real PTB Application behind a real Starlette app."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette

from bot.webhook import BODY_MAX, SECRET_HEADER, webhook_app
from storage.db import Database
from storage.models import Participant
from tests.support import transaction
from tests.test_handlers import Harness

SECRET = "s3cret"


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[Harness]:
    harness = Harness(db)
    async with harness.app:
        yield harness


async def post(
    web: Starlette, chunks: list[bytes], *, length: int | None = None
) -> tuple[int, int]:
    """POST ``chunks`` as a body (Content-Length ``length`` if given, else none: chunked), as
    an ASGI server would; the response's status and how many times the body was read."""
    headers = [(SECRET_HEADER.lower().encode(), SECRET.encode())]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/telegram",
        "raw_path": b"/telegram",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("bot", 80),
    }
    pending, reads, status = list(chunks), 0, 0

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        if pending:
            body = pending.pop(0)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await web(scope, receive, send)
    return status, reads


def update(update_id: Any) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_764_000_000,
            "chat": {"id": 1001, "type": "private"},
            "from": {"id": 1001, "is_bot": False, "first_name": "Sari"},
            "text": "/start",
        },
    }


async def send_json(web: Starlette, data: Any) -> int:
    body = json.dumps(data).encode()
    return (await post(web, [body], length=len(body)))[0]


@pytest.mark.parametrize("body", [[], [update(1)], "update", 7, None, True])
async def test_json_that_is_not_an_object_is_400(bot: Harness, body: Any) -> None:
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret=SECRET)
    assert await send_json(web, body) == 400


@pytest.mark.parametrize("update_id", [2**63, 2**64, 10**30, -1, "5", 1.5, True, None])
async def test_an_update_id_telegram_could_not_have_sent_is_400(
    bot: Harness, db: Database, update_id: Any
) -> None:
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret=SECRET)
    assert await send_json(web, update(update_id)) == 400
    with transaction(db) as session:
        assert session.scalar(select(func.count()).select_from(Participant)) == 0


async def test_a_real_update_still_goes_through(bot: Harness) -> None:
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret=SECRET)
    assert await send_json(web, update(2**63 - 1)) == 200
    await bot.deliverer.idle()
    assert "Persetujuan" in bot.request.sent()[0]["text"]
    assert await send_json(web, {"update_id": 5}) == 200  # an update of a kind we ignore


async def test_malformed_fields_are_400_not_500(bot: Harness) -> None:
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret=SECRET)
    assert await send_json(web, {"update_id": 3, "message": "hello"}) == 400
    assert (await post(web, [b"{not json"], length=9))[0] == 400


async def test_an_oversized_body_is_refused_from_its_length_without_reading_it(
    bot: Harness,
) -> None:
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret=SECRET)
    status, reads = await post(web, [b"x" * 1000], length=BODY_MAX + 1)
    assert (status, reads) == (413, 0)
    assert (await post(web, [b"{}"], length=-1))[0] == 400


async def test_a_body_without_a_length_is_read_only_up_to_the_limit(bot: Harness) -> None:
    web = webhook_app(bot.app, bot.pipeline, path="/telegram", secret=SECRET)
    chunks = [b"x" * 65_536 for _ in range(100)]  # 6.5 MB, chunked
    status, reads = await post(web, chunks)
    assert status == 413
    assert reads <= BODY_MAX // 65_536 + 2  # stopped reading at the limit
