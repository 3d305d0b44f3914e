"""Issue 14, item 6: a forgiving import, through the real Application (a document sent to the
chat, downloaded through the Bot API)."""

from __future__ import annotations

from tests.test_handlers import Harness, bot  # noqa: F401  (the fixture)


async def onboarded_at_the_map(bot: Harness) -> None:  # noqa: F811
    await bot.feed(bot.sari.text("/start"))
    await bot.feed(bot.sari.press("j1:1:agree"))
    await bot.feed(bot.sari.press("j1:2:lang:id"))
    for line in ("Sari Dewi", "Bappeda", "WIB", "Seminggu sekali", "/tambah Pak Budi"):
        await bot.feed(bot.sari.text(line))
    assert (await bot.participant()).state == "network.home"


async def test_indonesian_headers_and_a_repeated_pair_are_previewed(
    bot: Harness,  # noqa: F811
) -> None:
    await onboarded_at_the_map(bot)
    bot.request.file_content = (
        b"dari;ke;kekuatan\nBu Ani;Pak Budi;kuat\nPak Budi;KUD;lemah\nPak Budi;Bu Ani;kuat\n"
    )
    sent = await bot.feed(bot.sari.document("jejaring.csv"))
    shown = sent[-1]["text"]
    assert "3 aktor, 2 hubungan" in shown
    assert "baris 4 (Pak Budi–Bu Ani, seperti baris 2)" in shown
    assert any(b.endswith(":yes") for b in bot.buttons(sent[-1]))


async def test_every_bad_row_is_named(bot: Harness) -> None:  # noqa: F811
    await onboarded_at_the_map(bot)
    bot.request.file_content = b"dari,ke\n=A,B\nC,C\nD,\n"
    sent = await bot.feed(bot.sari.document("jejaring.csv"))
    shown = sent[-1]["text"]
    for row in ("baris 2", "baris 3", "baris 4"):
        assert row in shown, shown
    assert (await bot.participant()).state == "network.home"


async def test_a_failed_download_is_reported_as_one(bot: Harness) -> None:  # noqa: F811
    await onboarded_at_the_map(bot)
    bot.request.fail["getFile"] = (500, {"ok": False, "error_code": 500, "description": "boom"})
    sent = await bot.feed(bot.sari.document("jejaring.csv"))
    assert "gagal saya unduh" in sent[-1]["text"]
    assert "tidak bisa saya baca" not in sent[-1]["text"]
