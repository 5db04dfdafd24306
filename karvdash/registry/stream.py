"""A bounded byte pipe between a producer (an HTTP request body) and a reader.

The producer ``await``s :meth:`BytePipe.feed`, which returns only once the pipe holds
less than ``limit`` bytes: a Tornado handler that awaits it in ``data_received`` stops
reading its socket, so a fast client waits for a slow registry and memory stays flat.
"""

from __future__ import annotations

import asyncio
from collections import deque

from .errors import ArchiveError

DEFAULT_LIMIT = 4 * 1024 * 1024


class Truncated(ArchiveError):
    """The stream ended before the data the archive announced."""


class BytePipe:
    """Chunks in (``feed``, ``finish``, ``abort``), bytes out (``read``, ``readexactly``)."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._eof = False
        self._error: BaseException | None = None
        self._readable = asyncio.Event()
        self._writable = asyncio.Event()
        self._writable.set()
        self.received = 0
        """Bytes fed so far."""
        self.consumed = 0
        """Bytes read so far (the offset of the next byte in the stream)."""

    async def feed(self, chunk: bytes) -> None:
        """Add a chunk; wait while the pipe is full. Raises the reader's error if any."""
        if self._error is not None:
            raise self._error
        if self._eof:
            raise RuntimeError("feed() after finish()")
        if chunk:
            self._chunks.append(bytes(chunk))
            self._size += len(chunk)
            self.received += len(chunk)
            self._readable.set()
        while self._size >= self.limit and self._error is None:
            self._writable.clear()
            await self._writable.wait()
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        """No more data: readers get what is left, then EOF."""
        self._eof = True
        self._readable.set()

    def abort(self, error: BaseException) -> None:
        """Fail the reader (and a waiting producer) with ``error``."""
        if self._error is None:
            self._error = error
        self._chunks.clear()
        self._size = 0
        self._readable.set()
        self._writable.set()

    @property
    def at_eof(self) -> bool:
        return self._eof and not self._chunks

    async def _wait_data(self) -> None:
        while not self._chunks and not self._eof and self._error is None:
            self._readable.clear()
            await self._readable.wait()
        if self._error is not None:
            raise self._error

    async def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (at least one), or ``b""`` at the end of the stream."""
        await self._wait_data()
        if not self._chunks:
            return b""
        head = self._chunks[0]
        if len(head) <= n:
            self._chunks.popleft()
            out = head
        else:
            out, self._chunks[0] = head[:n], head[n:]
        self._size -= len(out)
        self.consumed += len(out)
        if self._size < self.limit:
            self._writable.set()
        return out

    async def readexactly(self, n: int, what: str = "data") -> bytes:
        """Exactly ``n`` bytes; :class:`Truncated` if the stream ends first."""
        parts: list[bytes] = []
        missing = n
        while missing:
            part = await self.read(missing)
            if not part:
                raise Truncated(
                    f"the archive is truncated: it ends at byte {self.consumed} inside {what}"
                )
            parts.append(part)
            missing -= len(part)
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def drain(self) -> None:
        """Read and drop everything up to the end of the stream."""
        while await self.read(1 << 20):
            pass
