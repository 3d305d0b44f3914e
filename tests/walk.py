"""One participant through the whole module, as a script any transport can replay.

``walk(client)`` drives a client with ``send(text)``, ``press(value)``, ``state()`` and
``buttons()``; the pure engine, a real PTB Application and ``jejaring chat`` all implement it.
"""

from __future__ import annotations

from typing import Protocol

from coaching.curriculum import EXERCISES

ANSWER = "Refleksi saya: jejaring kerja dibangun bersama para pemangku kepentingan."
FORWARD = ("next", "go", "keep", "done", "s:4", "continue", "now:2")


class Client(Protocol):
    async def send(self, text: str) -> None: ...
    async def press(self, value: str) -> None: ...
    async def state(self) -> str: ...
    async def buttons(self) -> list[str]: ...


async def walk(client: Client) -> None:
    await onboarding(client)
    await network(client)
    await kltb(client)
    await lesson(client, "bab2", "bab2.done")
    await lesson(client, "bab3", "bab3.done")
    await mapping(client)
    await lesson(client, "bab5", "bab5.done")
    await remaining_exercises(client)


async def onboarding(client: Client) -> None:
    await client.send("/start")
    for value in ("agree", "lang:id"):
        await client.press(value)
    await client.send("Sari Dewi")
    await client.send("Bappeda Kabupaten Karawang")
    await client.press("WITA")
    await client.press("weekly")
    assert await client.state() == "menu.main"


async def network(client: Client) -> None:
    await client.press("net")
    await client.send("Pak Budi - Bu Ani kuat\nPak Budi -> Dinas Pertanian\nBu Ani - KUD lemah")
    await client.send("/analisis")
    assert await client.state() == "network.home"


async def kltb(client: Client) -> None:
    await client.send("/menu")
    await client.press("kltb")
    buttons = await client.buttons()
    await client.press(next(b for b in buttons if b.startswith("pick:")))
    for step in ("know", "like", "trust", "buy"):
        await client.press(f"step:{step}")
        await client.send(f"Catatan tahap {step}: bertemu dan berdiskusi tentang gabah.")
        assert await client.state() == "kltb.actor"


async def lesson(client: Client, module: str, done: str) -> None:
    await client.send("/menu")
    await client.press(f"m:{module}")
    await client.press("go")
    for _ in range(300):
        state = await client.state()
        if state == done:
            return
        buttons = await client.buttons()
        forward = next((b for b in FORWARD if b in buttons), None)
        if forward is not None and not state.endswith(("latihan", "reflect", "case")):
            await client.press(forward)
        else:
            await client.send(ANSWER)
    raise AssertionError(f"{module}: not done, stuck at {await client.state()}")


async def mapping(client: Client) -> None:
    await client.send("/menu")
    await client.press("m:bab4")
    await client.press("new")
    await client.send("Posisi tawar kelompok tani")
    await client.send("Petani menjual gabah ke KUD dengan harga yang adil")
    for name in ("Kelompok Tani", "KUD", "BRI"):
        await client.send(name)
        for value in ("detail", "organisation", "skip", "out", "done", "skip", "strategic"):
            await client.press(value)
        if await client.state() == "network.peers":  # the first has nobody to be tied to
            buttons = await client.buttons()
            toggles = [b for b in buttons if b.startswith("toggle:")]
            if toggles:
                await client.press(toggles[0])
            await client.press("done")
        if await client.state() == "network.strong":
            await client.press("done")
    await client.press("done")
    await client.press("next")
    assert await client.state() == "bab4.analysis"
    await client.press("own")
    await client.send("KUD - BRI")
    await client.press("due14")
    await client.press("reflect")
    await client.send(ANSWER)
    assert await client.state() == "exercises.list"


async def remaining_exercises(client: Client) -> None:
    for _ in sorted(EXERCISES):
        await client.send("/menu")
        buttons = await client.buttons()
        if "next" not in buttons:
            break
        await client.press("next")
        assert await client.state() == "exercises.answer"  # every lesson was taken above
        await client.send(ANSWER)
