"""A tiny HTTP/1.1 server that receives webhook deliveries in the test (or bench) process: it records each
request and answers with whatever status its `answer` gives (which may also wait, to play a hung endpoint)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec


class Received(msgspec.Struct, frozen=True):
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    at: float  # time.time() when it arrived

    def json(self) -> Any:
        return msgspec.json.decode(self.body)


Answer = Callable[[Received], Awaitable[int]]


async def accept(_: Received) -> int:
    return 200


class Receiver:
    """Listens on 127.0.0.1 on a free port; `url` once started."""

    def __init__(self, answer: Answer = accept) -> None:
        self.answer = answer
        self.received: list[Received] = []
        self.answered: list[int] = []
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.Task[Any]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._clients:
            task.cancel()
        await asyncio.gather(*self._clients, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._clients.add(task)
        try:
            while request := await self._read(reader):
                status = await self.answer(request)
                self.received.append(request)
                self.answered.append(status)
                writer.write(f"HTTP/1.1 {status} X\r\ncontent-length: 2\r\n\r\nok".encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # closed by __aexit__: end quietly (the server's callback would report a cancelled task)
        finally:
            self._clients.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> Received | None:
        line = await reader.readline()
        if not line:
            return None
        _, path, _ = line.decode().split(" ", 2)
        headers: dict[str, str] = {}
        while (header := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = header.decode().partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Received(path, headers, body, time.time())
