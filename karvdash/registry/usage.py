"""How much a repository holds: its tags, its images and the bytes they reference.

:func:`blob_sizes` (pure) reads the blobs a manifest references; :func:`repository_usage`
fetches every tag's manifest (and an index's platform manifests) and counts each blob
once, however many tags or images share it, which is what the registry stores for the
repository (compressed layers and configurations; manifests themselves are not counted).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from . import mediatypes as mt
from .client import RegistryClient
from .errors import RegistryNotFound, RegistryUnavailable
from .names import check_repository

CONCURRENCY = 8


@dataclass(frozen=True)
class RepositoryUsage:
    repository: str
    tags: int
    images: int
    """Distinct manifests the tags name."""
    bytes: int
    """Distinct blobs referenced, summed."""

    def to_json(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "tags": self.tags,
            "images": self.images,
            "bytes": self.bytes,
        }


def blob_sizes(manifest: dict[str, Any]) -> dict[str, int]:
    """``{digest: size}`` of the configuration and layers an image manifest references."""
    found: dict[str, int] = {}
    for desc in [manifest.get("config"), *(manifest.get("layers") or [])]:
        if isinstance(desc, dict) and isinstance(desc.get("digest"), str):
            found[desc["digest"]] = int(desc.get("size") or 0)
    return found


def child_digests(index: dict[str, Any]) -> list[str]:
    """The platform manifests an index names."""
    return [
        str(d["digest"])
        for d in index.get("manifests") or []
        if isinstance(d, dict) and isinstance(d.get("digest"), str)
    ]


async def repository_usage(client: RegistryClient, repo: str, tags: list[str]) -> RepositoryUsage:
    """Tag and image counts and distinct blob bytes of ``repo`` (``tags``: its tags)."""
    check_repository(repo)
    sem = asyncio.Semaphore(CONCURRENCY)
    blobs: dict[str, int] = {}
    seen: set[str] = set()

    async def visit(reference: str) -> str | None:
        async with sem:
            try:
                manifest = await client.manifest(repo, reference)
            except RegistryNotFound:
                return None  # deleted meanwhile
        if manifest.digest in seen:
            return manifest.digest
        seen.add(manifest.digest)
        try:
            body = manifest.json()
        except (ValueError, RegistryUnavailable):
            return manifest.digest
        if manifest.media_type in mt.INDEXES or body.get("manifests"):
            await asyncio.gather(*(visit(child) for child in child_digests(body)))
        else:
            blobs.update(blob_sizes(body))
        return manifest.digest

    tops = await asyncio.gather(*(visit(tag) for tag in tags))
    images = len({d for d in tops if d})
    return RepositoryUsage(repo, len(tags), images, sum(blobs.values()))
