"""PTB's HTTP client on aiohttp: the bot reaches Telegram only through PTB, over this transport.

PTB lets an application bring its own networking backend (``telegram.request.BaseRequest``;
only PTB's public API is used here); it ships one on httpx. ``python -m bench.transport``
compares the two at Telegram's pace (ARCHITECTURE.md has the figures and why this one stays):
httpx spends several times aiohttp's CPU per request. PTB builds the requests, parses the
answers and raises its errors as before; only the bytes travel differently.

At most ``connections`` requests are in flight; the rest wait their turn on a semaphore (no
timeout: a reply waits for a free connection rather than failing). Telegram takes about 30
messages a second from one bot, which a few keep-alive connections carry.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass_environment  # type: ignore[attr-defined]

import aiohttp
import certifi
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECTIONS = 8
# PTB marks a timeout the caller did not give with ``BaseRequest.DEFAULT_NONE`` (and its like);
# their class lives in a private module, so it is taken from the public constant.
_NOT_GIVEN = type(BaseRequest.DEFAULT_NONE)


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` over one ``aiohttp.ClientSession`` (created in the running loop)."""

    def __init__(
        self,
        connections: int = CONNECTIONS,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._media_write_timeout = media_write_timeout
        self._slots = asyncio.Semaphore(connections)
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connections, enable_cleanup_closed=True, ssl=_trusted()
            )
            # Not trust_env: aiohttp then reads ~/.netrc and the proxy variables on a thread for
            # every request (a quarter of the transport's CPU); ``_proxy`` looks once per host.
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        await self.initialize()
        assert self._session is not None
        files = request_data.multipart_data if request_data else None
        read = _given(read_timeout, self._read_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        total = None
        if files:  # aiohttp has no write timeout: bound the whole upload instead
            write = _given(write_timeout, self._media_write_timeout)
            parts = (connect, write, read)
            total = None if None in parts else sum(p or 0.0 for p in parts)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        body, headers = _body(request_data)
        async with self._slots:
            try:
                async with self._session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=timeout,
                    proxy=self._proxy(url),
                ) as r:
                    return r.status, await r.read()
            except TimeoutError as exc:
                raise TimedOut from exc
            except aiohttp.ClientError as exc:
                # The class name says what happened when the message is empty.
                raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _proxy(self, url: str) -> str | None:
        """HTTPS_PROXY / HTTP_PROXY unless NO_PROXY exempts the host, as PTB's httpx honours."""
        origin = url[: url.find("/", url.find("//") + 2)]  # scheme://host:port
        if origin not in self._proxies:
            parts = urlsplit(url)
            bypass = parts.hostname is not None and proxy_bypass_environment(parts.hostname)
            proxy = None if bypass else getproxies_environment().get(parts.scheme)
            self._proxies[origin] = proxy
        return self._proxies[origin]


def _trusted() -> ssl.SSLContext:
    """Certificates checked against certifi's authorities, as PTB's httpx client does: a slim
    container image may have no system CA store at all."""
    return ssl.create_default_context(cafile=certifi.where())


def _given(value: object, default: float | None) -> float | None:
    """A timeout PTB passed on: the caller's seconds (None: no limit), else ``default``."""
    if isinstance(value, _NOT_GIVEN):
        return default
    assert value is None or isinstance(value, int | float), value
    return value


_JSON = {"Content-Type": "application/json"}


def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
    """The request's body: PTB's parameters as JSON, or multipart with files.

    The Bot API takes a JSON body as it takes a form (each value a string, an object as its
    JSON), and PTB's ``RequestData.json_payload`` is that body ready made: where PTB's httpx
    client url-encodes the same values, which cost about four times the CPU for a typical
    ``sendMessage`` (48 against 182 µs, ARCHITECTURE.md, "Measured speedups on the hot path").
    """
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        return request_data.json_payload, _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
