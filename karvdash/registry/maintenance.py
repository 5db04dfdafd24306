"""The gateway's write gate: uploads and deletions share it, garbage collection holds it alone.

Only the hub service holds the registry's credentials, so it is the only writer; while
:meth:`WriteGate.exclusive` is held, :meth:`WriteGate.writing` refuses at once
(:class:`~.errors.UnderMaintenance`), so the registry is read-only for as long as its
stop-the-world collector runs. A collection waits up to ``wait`` seconds for running
uploads to end and is refused (:class:`~karvdash.errors.Conflict`) if they do not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from karvdash.errors import Conflict

from .errors import UnderMaintenance


class WriteGate:
    def __init__(self) -> None:
        self.writers = 0
        self.collecting = False
        self._idle = asyncio.Event()
        self._idle.set()

    def check_open(self) -> None:
        """Raise :class:`~.errors.UnderMaintenance` while garbage collection runs."""
        if self.collecting:
            raise UnderMaintenance(
                "the registry is read-only while garbage collection runs; try again in a minute"
            )

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        """Held by each upload and deletion."""
        self.check_open()
        self.writers += 1
        self._idle.clear()
        try:
            yield
        finally:
            self.writers -= 1
            if not self.writers:
                self._idle.set()

    @contextlib.asynccontextmanager
    async def exclusive(self, wait: float = 30.0) -> AsyncIterator[None]:
        """Held by garbage collection: new writes refused, running ones awaited."""
        if self.collecting:
            raise Conflict("garbage collection is already running")
        self.collecting = True
        try:
            try:
                await asyncio.wait_for(self._idle.wait(), wait)
            except asyncio.TimeoutError:
                raise Conflict(
                    f"{self.writers} upload(s) or deletion(s) still running after {wait:g} s; "
                    "try again when they finish"
                ) from None
            yield
        finally:
            self.collecting = False
