"""Telegram Bot API emulator for end-to-end tests (see `server`)."""

from tests.emulator.server import ApiCall, ApiError, BotApiEmulator, TokenBucket, parse_html

__all__ = ["ApiCall", "ApiError", "BotApiEmulator", "TokenBucket", "parse_html"]
