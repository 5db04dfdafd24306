"""Reads a tar archive member by member as it streams in, with no seeking.

:func:`members` yields each :class:`Member` once its header has arrived; the consumer
reads its data with :meth:`Member.chunks` (or not at all) before asking for the next.
Handled: ustar, GNU long names and pax extended headers (what Docker, skopeo, Go and
Python write). Refused with :class:`~.errors.ArchiveError`: a header that is not a tar
header, member names that are absolute or climb with ``..``, links whose target leaves
the archive, sparse files and devices, and a stream that ends before the end-of-archive
marker (a truncated upload).
"""

from __future__ import annotations

import posixpath
import tarfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from .errors import ArchiveError
from .stream import BytePipe

BLOCK = 512
ZERO_BLOCK = bytes(BLOCK)
MAX_META = 1024 * 1024
"""Largest pax header or GNU long name accepted."""

CHUNK = 1024 * 1024

REGULAR = frozenset({tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.CONTTYPE})
LINKS = frozenset({tarfile.SYMTYPE, tarfile.LNKTYPE})


def safe_name(name: str) -> str:
    """The member name, normalised (``./a//b/`` -> ``a/b``); refuses escapes."""
    if name.startswith("/") or "\\" in name or "\x00" in name:
        raise ArchiveError(f"archive member {name!r} has an absolute or unsafe name")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"archive member {name!r} tries to leave the archive ('..')")
    return "/".join(parts)


def link_target(member: str, link: str, hard: bool) -> str:
    """Where a link points, as an archive path; refuses targets outside the archive.

    Hard links name an archive path; symbolic links are relative to the member's folder.
    """
    if link.startswith("/"):
        raise ArchiveError(f"archive member {member!r} links outside the archive ({link!r})")
    base = "" if hard else posixpath.dirname(member)
    joined = posixpath.normpath(posixpath.join(base, link)) if link else ""
    if joined in ("", ".") or joined == ".." or joined.startswith("../"):
        raise ArchiveError(f"archive member {member!r} links outside the archive ({link!r})")
    return joined


@dataclass
class Member:
    """One archive member; ``size`` bytes of data follow its header."""

    name: str
    type: bytes
    size: int
    linkname: str = ""
    offset: int = 0
    _pipe: BytePipe | None = field(default=None, repr=False)
    _left: int = 0

    @property
    def is_file(self) -> bool:
        return self.type in REGULAR

    @property
    def is_dir(self) -> bool:
        return self.type == tarfile.DIRTYPE

    @property
    def is_link(self) -> bool:
        return self.type in LINKS

    async def read(self, size: int = CHUNK) -> bytes:
        """Up to ``size`` bytes of the member's data; ``b""`` once it is all read."""
        assert self._pipe is not None
        if not self._left:
            return b""
        part = await self._pipe.read(min(size, self._left))
        if not part:
            raise ArchiveError(
                f"the archive is truncated: member {self.name!r} ends after "
                f"{self.size - self._left} of its {self.size} bytes"
            )
        self._left -= len(part)
        return part

    async def chunks(self, size: int = CHUNK) -> AsyncIterator[bytes]:
        """The rest of the member's data, in pieces of at most ``size`` bytes."""
        while part := await self.read(size):
            yield part

    async def read_all(self, limit: int) -> bytes:
        if self.size > limit:
            raise ArchiveError(f"archive member {self.name!r} is larger than {limit} bytes")
        return b"".join([c async for c in self.chunks()])

    async def _skip(self) -> None:
        async for _ in self.chunks():
            pass
        assert self._pipe is not None
        pad = -self.size % BLOCK
        if pad:
            await self._pipe.readexactly(pad, f"the padding of {self.name!r}")


def parse_pax(data: bytes, where: int) -> dict[str, str]:
    """The records ``"<len> <key>=<value>\\n"`` of a pax extended header."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        if data[pos:].strip(b"\x00") == b"":
            break
        space = data.find(b" ", pos)
        try:
            length = int(data[pos:space])
        except ValueError as exc:
            raise ArchiveError(f"corrupt pax header at byte {where}") from exc
        record = data[space + 1 : pos + length]
        if length <= 0 or not record.endswith(b"\n") or b"=" not in record:
            raise ArchiveError(f"corrupt pax header at byte {where}")
        key, _, value = record[:-1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records


async def _header(pipe: BytePipe) -> bytes | None:
    """The next 512-byte header, or None at the end-of-archive marker."""
    first = await pipe.read(BLOCK)
    if not first:
        raise ArchiveError(
            "the archive is truncated: it ends without the end-of-archive marker"
            if pipe.consumed
            else "the upload is empty: expected a tar archive"
        )
    rest = (
        await pipe.readexactly(BLOCK - len(first), "a member header") if len(first) < BLOCK else b""
    )
    block = first + rest if rest else first
    if block == ZERO_BLOCK:
        return None
    return block


async def members(pipe: BytePipe) -> AsyncIterator[Member]:
    """Each member of the archive in ``pipe``, in order (see the module's docstring)."""
    long_name: str | None = None
    long_link: str | None = None
    pax: dict[str, str] = {}
    pax_global: dict[str, str] = {}
    while True:
        offset = pipe.consumed
        block = await _header(pipe)
        if block is None:
            await pipe.drain()  # the second zero block and the record padding
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "utf-8", "surrogateescape")
        except tarfile.HeaderError as exc:
            what = "not a tar archive" if offset == 0 else f"corrupt tar header at byte {offset}"
            raise ArchiveError(f"the upload is {what} ({exc})") from exc
        kind = info.type
        if kind in (
            tarfile.GNUTYPE_LONGNAME,
            tarfile.GNUTYPE_LONGLINK,
            tarfile.XHDTYPE,
            tarfile.XGLTYPE,
            tarfile.SOLARIS_XHDTYPE,
        ):
            meta = Member("<header>", kind, info.size, offset=offset, _pipe=pipe, _left=info.size)
            data = await meta.read_all(MAX_META)
            await meta._skip()
            if kind == tarfile.GNUTYPE_LONGNAME:
                long_name = data.rstrip(b"\x00").decode("utf-8", "surrogateescape")
            elif kind == tarfile.GNUTYPE_LONGLINK:
                long_link = data.rstrip(b"\x00").decode("utf-8", "surrogateescape")
            elif kind == tarfile.XGLTYPE:
                pax_global.update(parse_pax(data, offset))
            else:
                pax.update(parse_pax(data, offset))
            continue
        fields = {**pax_global, **pax}
        raw_name = fields.get("path", long_name or info.name)
        link = fields.get("linkpath", long_link or info.linkname)
        size = info.size
        if "size" in fields:
            try:
                size = int(fields["size"])
            except ValueError as exc:
                raise ArchiveError(f"corrupt pax size at byte {offset}") from exc
        long_name = long_link = None
        pax = {}
        if kind not in REGULAR and kind not in LINKS and kind != tarfile.DIRTYPE:
            raise ArchiveError(
                f"archive member {raw_name!r} has unsupported type {kind!r} "
                "(an image archive holds files, folders and links)"
            )
        name = safe_name(raw_name)
        if kind in LINKS:
            link = link_target(name, link, hard=kind == tarfile.LNKTYPE)
            size = 0
        elif kind == tarfile.DIRTYPE:
            size = 0
        member = Member(name, kind, size, link, offset, pipe, size)
        yield member
        await member._skip()
