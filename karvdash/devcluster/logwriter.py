"""A container process's stdout and stderr into its CRI-format log file (I/O).

What a container runtime's log copier does: one thread per stream reads the process's
pipe and appends records (see ``crilog.py``) to ``<instance>.log``. The file is rotated
when the next write would take it past ``max_bytes``: it becomes ``<instance>.log.1``,
older rotations shift up, and at most ``max_files`` files exist per container instance,
so disk use stays bounded. As a kubelet does, only the current file is read back.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from . import crilog

_INSTANCE = re.compile(r"(\d+)\.log(\.\d+)?$")


@dataclass(frozen=True)
class LogLimits:
    """How big one log file may grow, and how many files one container instance keeps
    (the kubelet's ``--container-log-max-size`` and ``--container-log-max-files``)."""

    max_bytes: int = 10 * 1024 * 1024
    max_files: int = 2


def stale_logs(names: list[str], instance: int) -> list[str]:
    """The files of a container's log folder to remove when ``instance`` starts: those of
    instances before the previous one (the previous one stays for ``--previous``)."""
    stale = []
    for name in names:
        match = _INSTANCE.match(name)
        if match is not None and int(match[1]) < instance - 1:
            stale.append(name)
    return sorted(stale)


def prune(folder: Path, instance: int) -> None:
    """Remove the log files of ``folder`` that :func:`stale_logs` names."""
    with contextlib.suppress(FileNotFoundError):
        for name in stale_logs(os.listdir(folder), instance):
            with contextlib.suppress(FileNotFoundError):
                (folder / name).unlink()


class ContainerLog:
    """The log file of one container instance, shared by its two stream copiers."""

    def __init__(self, path: Path, limits: LogLimits) -> None:
        self.path = path
        self.limits = limits
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: BinaryIO | None = path.open("ab")
        self._size = path.stat().st_size

    def _rotate(self) -> None:
        assert self._file is not None
        self._file.close()
        keep = self.limits.max_files - 1
        if keep < 1:
            self.path.unlink(missing_ok=True)
        else:
            for n in range(keep, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{n}")
                source = self.path if n == 1 else self.path.with_name(f"{self.path.name}.{n - 1}")
                if n == keep:
                    older.unlink(missing_ok=True)
                with contextlib.suppress(FileNotFoundError):
                    source.rename(older)
        self._file = self.path.open("ab")
        self._size = 0

    def write(self, stream: str, pieces: list[tuple[bytes, bool]]) -> None:
        """Append one record per ``(content, partial)`` piece, stamped now."""
        if not pieces:
            return
        stamp = time.time_ns()
        data = b"".join(crilog.format_record(stamp, stream, c, p) for c, p in pieces)
        with self._lock:
            if self._file is None:
                return
            try:
                if self._size and self._size + len(data) > self.limits.max_bytes:
                    self._rotate()
                self._file.write(data)
                self._file.flush()
                self._size += len(data)
            except OSError:
                pass  # the pod's folder is being removed: its output goes nowhere

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


class LogCopier:
    """Copies a process's stdout and stderr pipes into a :class:`ContainerLog`."""

    def __init__(self, log: ContainerLog, streams: dict[str, IO[bytes]]) -> None:
        self.log = log
        self._open = len(streams)
        self._lock = threading.Lock()
        self.threads = [
            threading.Thread(
                target=self._copy, args=(name, pipe), name=f"log {log.path}", daemon=True
            )
            for name, pipe in streams.items()
        ]
        for thread in self.threads:
            thread.start()

    def _copy(self, stream: str, pipe: IO[bytes]) -> None:
        pending = b""
        try:
            while chunk := os.read(pipe.fileno(), 65536):
                pieces, pending = crilog.split_output(pending + chunk)
                self.log.write(stream, pieces)
            if pending:
                self.log.write(stream, [(pending, True)])
        except OSError:
            pass
        finally:
            pipe.close()
            with self._lock:
                self._open -= 1
                last = self._open == 0
            if last:
                self.log.close()

    def join(self, timeout: float) -> None:
        """Wait until the process's output is all in the file (its pipes are closed)."""
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(deadline - time.monotonic(), 0))
