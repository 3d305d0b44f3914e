"""Runs the emulator standalone: ``python -m tools.botapi_emulator --port 8081 --token 123:ABC``.

Besides the Bot API it serves a small control API for driving a bot by hand:
``POST /_emu/text {"chat_id", "text"}``, ``POST /_emu/press {"chat_id", "message_id", "data"}``
and ``GET /_emu/sent/<chat_id>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from tools.botapi_emulator.server import BotApiEmulator


async def _serve(args: argparse.Namespace) -> None:
    emu = BotApiEmulator(
        token=args.token,
        username=args.username,
        host=args.host,
        port=args.port,
        per_chat_burst=args.per_chat_burst,
        per_chat_rate=args.per_chat_rate,
        global_rate=args.global_rate,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows has no signal handlers
            loop.add_signal_handler(sig, stop.set)
    async with emu:
        print(f"base_url={emu.base_url}", flush=True)
        print(f"base_file_url={emu.base_file_url}", flush=True)
        print(f"control: {emu.root_url}/_emu/", flush=True)
        await stop.wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.botapi_emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081, help="0 picks a free port")
    parser.add_argument("--token", default="123:ABC")
    parser.add_argument("--username", default="jejaring_test_bot")
    parser.add_argument("--per-chat-burst", type=float, default=3)
    parser.add_argument("--per-chat-rate", type=float, default=1.0)
    parser.add_argument("--global-rate", type=float, default=30.0)
    asyncio.run(_serve(parser.parse_args()))


if __name__ == "__main__":
    main()
