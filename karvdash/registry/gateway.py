"""The registry gateway: everything the hub service, the CLI or a test does with the registry.

:class:`RegistryGateway` holds one :class:`~.client.RegistryClient`, the write gate and
the garbage-collection settings; the hub service's handlers are thin wrappers of it.
Who may do what is the caller's business (the hub service checks JupyterHub scopes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from karvdash.errors import Conflict
from karvdash.settings import Karvdash

from .client import RegistryClient, RegistryResponseError
from .details import tag_details
from .errors import RegistryNotFound, RegistryUnavailable
from .gc import GcReport, collect
from .maintenance import WriteGate
from .names import check_digest, check_repository, check_tag
from .stream import BytePipe
from .upload import Report, UploadProgress, upload_archive
from .usage import RepositoryUsage, repository_usage

MAX_PAGE = 1000
DEFAULT_PAGE = 100


def page_size(n: int | None) -> int:
    if n is None:
        return DEFAULT_PAGE
    if n < 1:
        raise ValueError("n must be at least 1")
    return min(n, MAX_PAGE)


class RegistryGateway:
    def __init__(
        self,
        client: RegistryClient,
        *,
        gc_command: Sequence[str] = (),
        storage_dir: str = "",
        gc_wait: float = 30.0,
    ) -> None:
        self.client = client
        self.gate = WriteGate()
        self.gc_command = list(gc_command)
        self.storage_dir = storage_dir
        self.gc_wait = gc_wait

    @classmethod
    def from_settings(cls, settings: Karvdash) -> RegistryGateway:
        client = RegistryClient(
            settings.registry_url,
            username=settings.registry_username,
            password=settings.registry_password,
            ca_file=settings.registry_ca_file,
        )
        return cls(
            client,
            gc_command=settings.registry_gc_command,
            storage_dir=settings.registry_storage_dir,
        )

    async def close(self) -> None:
        await self.client.close()

    def info(self) -> dict[str, Any]:
        """The registry as image references name it (``$REGISTRY``) and what is configured."""
        return {"registry": self.client.host, "gc": bool(self.gc_command)}

    async def repositories(self, n: int | None = None, last: str | None = None) -> dict[str, Any]:
        page = await self.client.repositories(page_size(n), last or None)
        return {"repositories": page.items, "next": page.next}

    async def tags(
        self, repo: str, n: int | None = None, last: str | None = None
    ) -> dict[str, Any]:
        """One page of tags, in lexical order.

        Paged here: Distribution 2.x ignores ``n``/``last`` on tags and answers them all,
        unordered (a repository has far fewer tags than a registry has repositories).
        """
        check_repository(repo)
        size = page_size(n)
        tags = sorted(await self.all_tags(repo))
        if last:
            tags = [t for t in tags if t > last]
        more = len(tags) > size
        tags = tags[:size]
        return {"repository": repo, "tags": tags, "next": tags[-1] if more else None}

    async def all_tags(self, repo: str) -> list[str]:
        tags: list[str] = []
        last: str | None = None
        while True:
            page = await self.client.tags(repo, None, last)
            tags.extend(page.items)
            if not page.next or not page.items or page.next == last:
                return tags
            last = page.next

    async def details(self, repo: str, tag: str) -> dict[str, Any]:
        check_repository(repo)
        check_tag(tag)
        return await tag_details(self.client, repo, tag)

    async def exists(self, repo: str, tag: str) -> str | None:
        """The digest ``repo:tag`` names, or None."""
        check_repository(repo)
        check_tag(tag)
        return await self.client.manifest_digest(repo, tag)

    async def upload(
        self,
        pipe: BytePipe,
        repo: str,
        tag: str,
        *,
        replace: bool = False,
        progress: UploadProgress | None = None,
        report: Report | None = None,
    ) -> UploadProgress:
        async with self.gate.writing():
            return await upload_archive(
                self.client, pipe, repo, tag, replace=replace, progress=progress, report=report
            )

    async def delete(self, repo: str, tag: str, digest: str | None = None) -> dict[str, Any]:
        """Delete the image ``repo:tag`` names (by digest: every tag on it goes too)."""
        check_repository(repo)
        check_tag(tag)
        if digest:
            check_digest(digest)
        async with self.gate.writing():
            current = await self.client.manifest_digest(repo, tag)
            if current is None:
                raise RegistryNotFound(f"no image {repo}:{tag} in the registry")
            if digest and digest != current:
                raise Conflict(f"{repo}:{tag} now names {current}, not {digest}; nothing deleted")
            others = [t for t in await self.all_tags(repo) if t != tag]
            sem = asyncio.Semaphore(8)

            async def same(other: str) -> bool:
                async with sem:
                    return await self.client.manifest_digest(repo, other) == current

            hits = await asyncio.gather(*map(same, others))
            shared = [t for t, hit in zip(others, hits, strict=True) if hit]
            await self._delete_manifest(repo, current)
        return {"repository": repo, "tag": tag, "digest": current, "removed_tags": [tag, *shared]}

    async def _delete_manifest(self, repo: str, digest: str) -> None:
        try:
            await self.client.delete_manifest(repo, digest)
        except RegistryResponseError as exc:
            if exc.http_status == 405:
                raise RegistryUnavailable(
                    "the registry does not allow deletion (set storage.delete.enabled)"
                ) from exc
            raise

    async def usage(self, repo: str) -> RepositoryUsage:
        """Tags, images and distinct blob bytes of ``repo`` (see :mod:`.usage`)."""
        check_repository(repo)
        return await repository_usage(self.client, repo, await self.all_tags(repo))

    async def delete_repository(self, repo: str) -> dict[str, Any]:
        """Delete every image of ``repo`` (each distinct manifest its tags name).

        The registry keeps listing the repository, with no tags; garbage collection frees
        its blobs. Returns the digests deleted and the tags they took with them.
        """
        check_repository(repo)
        async with self.gate.writing():
            tags = await self.all_tags(repo)
            sem = asyncio.Semaphore(8)

            async def digest_of(tag: str) -> str | None:
                async with sem:
                    return await self.client.manifest_digest(repo, tag)

            digests = await asyncio.gather(*map(digest_of, tags))
            by_digest: dict[str, list[str]] = {}
            for tag, digest in zip(tags, digests, strict=True):
                if digest:
                    by_digest.setdefault(digest, []).append(tag)
            for digest in by_digest:
                with contextlib.suppress(RegistryNotFound):  # deleted meanwhile
                    await self._delete_manifest(repo, digest)
        return {
            "repository": repo,
            "deleted": [{"digest": d, "tags": t} for d, t in sorted(by_digest.items())],
        }

    async def collect_garbage(self) -> GcReport:
        """Run the collector with every write refused (see :mod:`.maintenance`)."""
        if not self.gc_command:
            raise RegistryUnavailable(
                "garbage collection is not configured: set registry_gc_command"
            )
        async with self.gate.exclusive(self.gc_wait):
            return await collect(self.gc_command, self.storage_dir)
