"""Telegram Bot API emulator for end-to-end tests and benchmarks (see `server`)."""

from tools.botapi_emulator.entities import parse_html
from tools.botapi_emulator.errors import ApiError
from tools.botapi_emulator.server import BotApiEmulator
from tools.botapi_emulator.state import ApiCall, TokenBucket

__all__ = ["ApiCall", "ApiError", "BotApiEmulator", "TokenBucket", "parse_html"]
