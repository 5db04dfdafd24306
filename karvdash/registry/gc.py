"""Garbage collection: run the registry's collector and report what it freed.

The collector (``registry garbage-collect --delete-untagged config.yml``) marks every
blob that a tagged manifest references and deletes the rest, together with untagged
manifests. It is stop-the-world: anything pushed while it runs may lose blobs. Callers
make the registry read-only first (the gateway refuses every write while it runs, see
:mod:`.maintenance`; the dev registry is stopped, see
:meth:`karvdash.devcluster.registry.DevRegistry.garbage_collect`).
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import RegistryUnavailable

_SUMMARY = re.compile(r"(\d+) blobs marked, (\d+) blobs and (\d+) manifests eligible for deletion")
_EMPTY = re.compile(r"Path not found: /docker/registry/v2/repositories\b")
_BLOB = re.compile(r"blob eligible for deletion: (sha\d+:[a-f0-9]+)")
GC_TIMEOUT = 3600.0


@dataclass
class GcReport:
    """What one collection did."""

    blobs_marked: int = 0
    """Blobs still referenced (kept)."""
    blobs_deleted: list[str] = field(default_factory=list)
    manifests_deleted: int = 0
    bytes_before: int | None = None
    bytes_after: int | None = None
    seconds: float = 0.0

    @property
    def freed_bytes(self) -> int | None:
        """Bytes freed, when the registry's storage folder could be measured."""
        if self.bytes_before is None or self.bytes_after is None:
            return None
        return self.bytes_before - self.bytes_after

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["freed_bytes"] = self.freed_bytes
        return data


def is_empty_registry(output: str) -> bool:
    """The collector's complaint about a registry to which nothing was ever pushed."""
    return bool(_EMPTY.search(output))


def parse_output(text: str, report: GcReport | None = None) -> GcReport:
    """Fill a report from the collector's output."""
    report = report or GcReport()
    if is_empty_registry(text):
        return report  # nothing was ever pushed: nothing to collect
    summary = _SUMMARY.search(text)
    if summary is None:
        raise RegistryUnavailable(
            "the garbage collector did not report what it did; its output ends: "
            + text.strip()[-300:]
        )
    report.blobs_marked = int(summary.group(1))
    report.manifests_deleted = int(summary.group(3))
    report.blobs_deleted = list(dict.fromkeys(_BLOB.findall(text)))
    return report


def storage_usage(root: str | os.PathLike[str]) -> int | None:
    """Bytes of all files under the registry's storage folder (None if it is not one)."""
    if not os.path.isdir(root):
        return None
    total = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except FileNotFoundError:
                continue
    return total


async def collect(
    argv: Sequence[str], storage_dir: str = "", timeout: float = GC_TIMEOUT
) -> GcReport:
    """Run the collector command ``argv``; measure ``storage_dir`` before and after.

    The caller must have made the registry read-only (see the module docstring).
    """
    if not argv:
        raise RegistryUnavailable("no garbage collector is configured (registry_gc_command)")
    report = GcReport()
    started = time.monotonic()
    if storage_dir:
        report.bytes_before = await asyncio.to_thread(storage_usage, storage_dir)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            stdin=asyncio.subprocess.DEVNULL,
        )
    except OSError as exc:
        raise RegistryUnavailable(f"cannot run the garbage collector {argv[0]!r}: {exc}") from exc
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError as exc:
        proc.kill()
        await proc.wait()
        raise RegistryUnavailable(f"the garbage collector ran longer than {timeout} s") from exc
    text = out.decode("utf-8", "replace")
    if proc.returncode != 0 and not is_empty_registry(text):
        raise RegistryUnavailable(
            f"the garbage collector failed (exit {proc.returncode}): {text.strip()[-300:]}"
        )
    parse_output(text, report)
    if report.bytes_before is not None:
        report.bytes_after = await asyncio.to_thread(storage_usage, storage_dir)
    report.seconds = round(time.monotonic() - started, 3)
    return report
