"""Run the async core from synchronous code.

The CLI owns its thread and uses :func:`asyncio.run`. IPython kernels already run an
event loop in the main thread, where ``asyncio.run`` is refused and nesting loops is
unsafe, so the magics run each coroutine to completion on a private loop in a worker
thread (:func:`run_in_thread`), which works the same with or without a running loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_in_thread(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` on a new event loop in a worker thread; return or raise its outcome."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="karvdash") as pool:
        return pool.submit(asyncio.run, coro).result()
