"""Upload an image archive to the registry as it streams in.

A tar is read in order and cannot be rewound, and ``manifest.json``/``index.json`` may
come after the blobs they describe. So each file is handled as it goes by:

* layers (and any other non-JSON file) are pushed to the registry at once, in one
  streamed request, their digest computed on the way (and checked against the name of an
  OCI blob before the blob is committed);
* small JSON files (configurations, manifests, ``manifest.json``...) are kept in memory;
* links are remembered, ``..``/absolute names and links leaving the archive refused.

At the end of the archive :func:`~.archive.plan` checks every digest and size against the
manifests and makes the manifest of a Docker archive; then the configurations, the
manifests of an index's children and, last, the manifest under the tag are pushed. So the
tag appears only once everything it needs is in the registry; when anything fails, no tag
is created or changed (blobs already pushed stay unreferenced until garbage collection).
"""

from __future__ import annotations

import hashlib
import time
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from karvdash.errors import KarvdashError

from .archive import (
    MAX_JSON_BLOB,
    MAX_METADATA,
    METADATA,
    ArchiveContents,
    Blob,
    claimed_digest,
    plan,
    skipped,
    sniff,
)
from .client import RegistryClient, RegistryResponseError
from .errors import ArchiveError, TagExists
from .names import check_repository, check_tag
from .stream import BytePipe
from .tarstream import Member, members

REPORT_EVERY = 4 * 1024 * 1024
MAX_INFLATION = 200
"""A gzip layer of a Docker archive may inflate to this many times its size (bombs)."""


@dataclass
class UploadProgress:
    """Where an upload stands; updated in place as it goes."""

    repository: str
    tag: str
    state: str = "waiting"
    """``waiting`` (no data yet), ``receiving``, ``finishing`` (pushing manifests),
    ``done`` or ``failed``."""
    received: int = 0
    """Bytes of the archive read and handled so far."""
    total: int | None = None
    """The archive's size, when the client said (``Content-Length``)."""
    blobs: int = 0
    """Blobs pushed to the registry so far."""
    current: str = ""
    """The archive member being pushed."""
    message: str = ""
    """Why it failed."""
    digest: str = ""
    """The manifest digest under the tag, once done."""
    layout: str = ""
    """``docker`` or ``oci``, once known."""
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


Report = Callable[[UploadProgress], None]


class _Tracker:
    def __init__(self, progress: UploadProgress, pipe: BytePipe, report: Report | None) -> None:
        self.progress = progress
        self.pipe = pipe
        self.report = report
        self._last = 0

    def update(self, force: bool = False) -> None:
        self.progress.received = self.pipe.consumed
        if self.report and (force or self.pipe.consumed - self._last >= REPORT_EVERY):
            self._last = self.pipe.consumed
            self.report(self.progress)


async def _head(member: Member, wanted: int = 1024) -> bytes:
    """The first ``wanted`` bytes of a member (all of it if shorter)."""
    parts: list[bytes] = []
    have = 0
    while have < wanted and (part := await member.read(wanted - have)):
        parts.append(part)
        have += len(part)
    return b"".join(parts)


def _check_claim(member: str, digest: str, claimed: str | None) -> None:
    if claimed and digest != claimed:
        raise ArchiveError(f"digest mismatch: {member} holds data with digest {digest}")


class _DiffId:
    """sha256 of a gzip stream's content (a Docker archive layer's ``diff_id``)."""

    def __init__(self) -> None:
        self._inflate = zlib.decompressobj(31)
        self._hash = hashlib.sha256()
        self._in = 0
        self._out = 0
        self.failed = False

    def update(self, data: bytes) -> None:
        if self.failed:
            return
        self._in += len(data)
        try:
            out = self._inflate.decompress(data, 1 << 20)
            while True:
                self._out += len(out)
                self._hash.update(out)
                if self._out > MAX_INFLATION * self._in + (64 << 20):
                    self.failed = True
                    return
                if not self._inflate.unconsumed_tail:
                    break
                out = self._inflate.decompress(self._inflate.unconsumed_tail, 1 << 20)
        except zlib.error:
            self.failed = True

    def digest(self) -> str | None:
        if self.failed or not self._inflate.eof:
            return None
        return "sha256:" + self._hash.hexdigest()


async def _push_member(
    client: RegistryClient, repo: str, member: Member, head: bytes, kind: str, track: _Tracker
) -> Blob:
    claimed = claimed_digest(member.name)
    algorithm = claimed.split(":")[0] if claimed else "sha256"
    hasher = hashlib.new(algorithm)
    diff = _DiffId() if kind == "gzip" and not claimed else None

    async def chunks() -> AsyncIterator[bytes]:
        hasher.update(head)
        if diff:
            diff.update(head)
        yield head
        async for piece in member.chunks():
            hasher.update(piece)
            if diff:
                diff.update(piece)
            track.update()
            yield piece

    def finish() -> str:
        digest = f"{algorithm}:{hasher.hexdigest()}"
        _check_claim(member.name, digest, claimed)
        return digest

    track.progress.current = member.name
    track.update(force=True)
    digest = await client.push_stream(repo, chunks(), finish)
    track.progress.blobs += 1
    diff_id = digest if kind == "tar" and algorithm == "sha256" else None
    if diff is not None:
        diff_id = diff.digest()
    return Blob(member.name, digest, member.size, kind, diff_id, pushed=True)


async def read_archive(
    client: RegistryClient, repo: str, pipe: BytePipe, track: _Tracker
) -> ArchiveContents:
    """One pass over the archive: blobs pushed, JSON and links kept (module docstring)."""
    contents = ArchiveContents()
    async for member in members(pipe):
        if member.is_dir or skipped(member.name):
            continue
        if member.name in contents.blobs or member.name in contents.links:
            raise ArchiveError(f"archive member {member.name!r} appears twice")
        if member.is_link:
            contents.links[member.name] = member.linkname
            continue
        if member.name in METADATA:
            contents.metadata[member.name] = await member.read_all(MAX_METADATA)
            continue
        head = await _head(member)
        kind = sniff(head)
        if kind == "json" and member.size <= MAX_JSON_BLOB:
            data = head + await member.read_all(MAX_JSON_BLOB)
            claimed = claimed_digest(member.name)
            algorithm = claimed.split(":")[0] if claimed else "sha256"
            digest = f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"
            _check_claim(member.name, digest, claimed)
            contents.blobs[member.name] = Blob(member.name, digest, len(data), kind, data=data)
        else:
            blob = await _push_member(client, repo, member, head, kind, track)
            contents.blobs[member.name] = blob
        track.update()
    return contents


async def _finish(
    client: RegistryClient, repo: str, tag: str, contents: ArchiveContents, replace: bool,
    track: _Tracker,
) -> None:  # fmt: skip
    progress = track.progress
    todo = plan(contents, tag)
    progress.layout = todo.layout
    for blob in todo.blobs:
        assert blob.data is not None
        progress.current = blob.path
        await client.push_blob(repo, blob.data, blob.digest)
        progress.blobs += 1
    progress.current = ""
    final = todo.manifests[-1]
    for manifest in todo.manifests[:-1]:
        await client.put_manifest(repo, manifest.digest, manifest.media_type, manifest.body)
    existing = await client.manifest_digest(repo, tag)
    if existing and existing != final.digest and not replace:
        raise TagExists(f"{repo}:{tag} already names another image ({existing})")
    try:
        await client.put_manifest(repo, tag, final.media_type, final.body)
    except RegistryResponseError as exc:
        if exc.http_status == 400:
            raise ArchiveError(f"the registry refused the image: {exc.message}") from exc
        raise
    progress.digest = final.digest


async def upload_archive(
    client: RegistryClient,
    pipe: BytePipe,
    repository: str,
    tag: str,
    *,
    replace: bool = False,
    progress: UploadProgress | None = None,
    report: Report | None = None,
) -> UploadProgress:
    """Push the image archive arriving in ``pipe`` as ``repository:tag``.

    ``replace=False`` refuses (:class:`~.errors.TagExists`) to move a tag that names a
    different image. ``progress`` is updated in place and ``report`` called with it on
    every state change and every few MiB. Raises a :class:`~karvdash.errors.KarvdashError`
    (an :class:`~.errors.ArchiveError` for a bad archive); the pipe is then aborted.
    """
    check_repository(repository)
    check_tag(tag)
    progress = progress or UploadProgress(repository, tag)
    track = _Tracker(progress, pipe, report)
    try:
        progress.state = "receiving"
        track.update(force=True)
        contents = await read_archive(client, repository, pipe, track)
        progress.state = "finishing"
        track.update(force=True)
        await _finish(client, repository, tag, contents, replace, track)
        progress.state = "done"
    except BaseException as exc:
        progress.state = "failed"
        progress.message = (
            exc.message if isinstance(exc, KarvdashError) else "the upload was interrupted"
        )
        pipe.abort(exc if isinstance(exc, KarvdashError) else ArchiveError(progress.message))
        raise
    finally:
        progress.finished = time.time()
        track.update(force=True)
    return progress
