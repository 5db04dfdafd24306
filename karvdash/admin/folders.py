"""How much a user's data folders hold, as far as this process can see them.

:func:`folder_usage` walks one folder like ``du`` (disk blocks, every file once, symbolic
links never followed, other file systems entered like any folder) until a deadline, and
says whether it finished. :class:`FolderSizes` keeps the answers for a while and counts
in threads, so that a page asking for many folders waits at most its budget: what is not
counted by then is shown as "counting" and is ready at the next visit.

Karvdash never writes, moves or deletes anything in a data folder; this module only reads
directory entries.
"""

from __future__ import annotations

import asyncio
import functools
import os
import stat
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class FolderUsage:
    """What one folder holds."""

    path: str
    exists: bool
    bytes: int = 0
    """Disk space used (512-byte blocks, like ``du``)."""
    files: int = 0
    complete: bool = True
    """False when counting stopped at the deadline: the figures are a lower bound."""
    error: str = ""
    """Why the folder could not be read (it exists but is not readable here)."""


_OPEN_FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def folder_usage(
    path: str, *, seconds: float = 2.0, clock: Callable[[], float] = time.monotonic
) -> FolderUsage:
    """Walk ``path`` for at most ``seconds``; what it holds (a lower bound if cut short)."""
    try:
        top = os.lstat(path)
    except FileNotFoundError:
        return FolderUsage(path, exists=False)
    except OSError as exc:
        return FolderUsage(path, exists=True, error=exc.strerror or str(exc))
    if not stat.S_ISDIR(top.st_mode):
        return FolderUsage(path, exists=True, error="not a folder")
    deadline = clock() + seconds
    used, files = top.st_blocks * 512, 0
    seen: set[tuple[int, int]] = set()
    try:
        root = os.open(path, _OPEN_FOLDER)
    except OSError as exc:  # swapped for a link or a file since the lstat
        return FolderUsage(path, exists=True, error=exc.strerror or str(exc))
    # Folders are opened by descriptor, relative to their parent's descriptor and never
    # through a symbolic link, so a user who swaps a sub-folder for a link (to /, say)
    # while it waits in line makes it unreadable, not a way out of their folder.
    pending = [root]
    try:
        while pending:
            if clock() > deadline:
                return FolderUsage(path, True, used, files, complete=False)
            folder = pending.pop()
            try:
                with os.scandir(folder) as entries:
                    for entry in entries:
                        try:
                            info = entry.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        if info.st_nlink > 1 and not stat.S_ISDIR(info.st_mode):
                            key = (info.st_dev, info.st_ino)
                            if key in seen:
                                continue
                            seen.add(key)
                        used += info.st_blocks * 512
                        if stat.S_ISDIR(info.st_mode):
                            try:
                                pending.append(os.open(entry.name, _OPEN_FOLDER, dir_fd=folder))
                            except OSError:
                                continue  # unreadable, or no longer a folder: empty
                        else:
                            files += 1
            except OSError:
                continue  # an unreadable sub-folder: counted as empty
            finally:
                os.close(folder)
    finally:
        for fd in pending:
            os.close(fd)
    return FolderUsage(path, True, used, files)


_COUNTERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="karvdash-folders")
"""The threads that count folders: their own, so that counting many folders never keeps
the event loop's default pool (DNS lookups of every HTTP client in the process) busy."""


class FolderSizes:
    """:func:`folder_usage` answers kept for ``max_age`` seconds, counted in threads."""

    def __init__(self, *, max_age: float = 300.0, seconds_per_folder: float = 5.0) -> None:
        self.max_age = max_age
        self.seconds_per_folder = seconds_per_folder
        self._known: dict[str, tuple[float, FolderUsage]] = {}
        self._counting: dict[str, asyncio.Task[FolderUsage]] = {}

    def _count(self, path: str) -> asyncio.Task[FolderUsage]:
        task = self._counting.get(path)
        if task is None:

            async def count() -> FolderUsage:
                try:
                    usage = await asyncio.get_running_loop().run_in_executor(
                        _COUNTERS,
                        functools.partial(folder_usage, path, seconds=self.seconds_per_folder),
                    )
                    self._known[path] = (time.monotonic(), usage)
                    return usage
                finally:
                    self._counting.pop(path, None)

            task = asyncio.ensure_future(count())
            self._counting[path] = task
        return task

    async def get_many(
        self, paths: Iterable[str], *, budget: float = 3.0
    ) -> dict[str, FolderUsage | None]:
        """Usage of each of ``paths``; ``None`` for those still being counted after ``budget``."""
        now = time.monotonic()
        found: dict[str, FolderUsage | None] = {}
        waiting: dict[str, asyncio.Task[FolderUsage]] = {}
        for path in dict.fromkeys(paths):
            known = self._known.get(path)
            if known and now - known[0] < self.max_age:
                found[path] = known[1]
            else:
                waiting[path] = self._count(path)
        if waiting:
            await asyncio.wait(list(waiting.values()), timeout=budget)
        for path, task in waiting.items():
            found[path] = task.result() if task.done() and not task.cancelled() else None
        return found

    def forget(self, paths: Iterable[str]) -> None:
        """Count these again at the next visit."""
        for path in paths:
            self._known.pop(path, None)


def human_bytes(count: int) -> str:
    """``1536`` -> ``1.5 KiB`` (binary units, one decimal)."""
    size = float(count)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{int(size)} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")
