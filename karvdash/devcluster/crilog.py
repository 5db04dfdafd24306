"""Container log files in the CRI format, and what the kubelet makes of them (pure).

A container runtime writes each container's stdout and stderr to one file, one record
per line of output::

    2016-10-06T00:17:09.669794202Z stdout F log content 1
    2016-10-06T00:17:09.669794203Z stderr P the first part of a long line

``F`` marks a full line, ``P`` a part of a line (lines longer than :data:`MAX_LINE`,
or output that ended without a newline). The kubelet reads these files for
``/containerLogs``: ``tailLines`` counts records from the end of the file, ``since``
drops older records, ``timestamps`` prefixes each record with its time in the fixed
RFC3339Nano form (nine digits), and ``limitBytes`` cuts the output at that many bytes.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Iterable
from typing import NamedTuple

MAX_LINE = 16 * 1024
"""Output longer than this without a newline is written as partial records."""

STREAMS = ("stdout", "stderr")
_TIMESTAMP = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d{1,9}))?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})$"
)


class Record(NamedTuple):
    """One record of a log file: when, which stream, whether partial, and the text."""

    timestamp: int  # nanoseconds since the epoch
    stream: str
    partial: bool
    content: bytes  # with its newline when the record is a full line


def format_timestamp(ns: int) -> str:
    """``2021-01-02T03:04:05.000000006Z``: RFC3339 with nine fraction digits, in UTC
    (the kubelet's ``RFC3339NanoFixed``)."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
    return f"{base}.{fraction:09d}Z"


def parse_timestamp(text: str) -> int:
    """Nanoseconds since the epoch of an RFC3339 time, with or without a fraction.

    Raises ValueError for anything else.
    """
    match = _TIMESTAMP.match(text)
    if match is None:
        raise ValueError(f"not an RFC3339 time: {text!r}")
    zone = match["zone"].replace("Z", "+00:00")
    moment = datetime.datetime.fromisoformat(match["base"] + zone)
    fraction = int((match["frac"] or "0").ljust(9, "0"))
    return int(moment.timestamp()) * 1_000_000_000 + fraction


def format_record(ns: int, stream: str, content: bytes, partial: bool) -> bytes:
    """One line of a CRI log file. ``content`` of a full line ends with its newline."""
    if partial:
        content = content + b"\n"
    return f"{format_timestamp(ns)} {stream} {'P' if partial else 'F'} ".encode() + content


def split_output(buffer: bytes, max_line: int = MAX_LINE) -> tuple[list[tuple[bytes, bool]], bytes]:
    """Cut a stream's pending output into records: ``([(content, partial), ...], rest)``.

    Full lines keep their newline; a line longer than ``max_line`` is cut into partial
    records; what is left (an unfinished short line) waits for more output.
    """
    pieces: list[tuple[bytes, bool]] = []
    while True:
        end = buffer.find(b"\n", 0, max_line)
        if end >= 0:
            pieces.append((buffer[: end + 1], False))
            buffer = buffer[end + 1 :]
        elif len(buffer) >= max_line:
            pieces.append((buffer[:max_line], True))
            buffer = buffer[max_line:]
        else:
            return pieces, buffer


def parse_record(line: bytes) -> Record | None:
    """A record from one line of a log file, or None when the line is malformed."""
    parts = line.split(b" ", 3)
    if len(parts) < 4:
        return None
    stamp, stream, tag, content = parts
    try:
        ns = parse_timestamp(stamp.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
    if stream.decode("ascii", "replace") not in STREAMS:
        return None
    partial = tag.split(b":", 1)[0] == b"P"
    if partial and content.endswith(b"\n"):
        content = content[:-1]
    return Record(ns, stream.decode("ascii"), partial, content)


def parse_records(data: bytes) -> list[Record]:
    """The records of (a part of) a log file; malformed lines are skipped, as the kubelet
    does."""
    records = []
    for line in data.splitlines(keepends=True):
        record = parse_record(line)
        if record is not None:
            records.append(record)
    return records


def tail_start(data: bytes, lines: int | None) -> int:
    """Offset in ``data`` where its last ``lines`` lines begin (all of it for None)."""
    if lines is None:
        return 0
    if lines <= 0:
        return len(data)
    end = len(data) - 1 if data.endswith(b"\n") else len(data)
    for _ in range(lines):
        end = data.rfind(b"\n", 0, end)
        if end < 0:
            return 0
    return end + 1


class LogRenderer:
    """What the kubelet sends for a sequence of records, under ``since``, ``timestamps``
    and ``limitBytes``; keeps the byte budget across calls (for ``follow``)."""

    def __init__(
        self, *, since: int | None = None, timestamps: bool = False, limit: int | None = None
    ) -> None:
        self.since = since
        self.timestamps = timestamps
        self.remaining = limit

    @property
    def done(self) -> bool:
        """The byte limit is used up: nothing more is sent."""
        return self.remaining is not None and self.remaining <= 0

    def render(self, records: Iterable[Record]) -> bytes:
        out = bytearray()
        for record in records:
            if self.done:
                break
            if self.since is not None and record.timestamp < self.since:
                continue
            line = record.content
            if self.timestamps:
                line = format_timestamp(record.timestamp).encode() + b" " + line
            if self.remaining is not None:
                line = line[: self.remaining]
                self.remaining -= len(line)
            out += line
        return bytes(out)
