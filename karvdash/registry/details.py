"""What the gateway shows about a tag: digest, size, platform, creation time, layers, type.

:func:`image_summary` and :func:`schema1_summary` are pure (tested without a registry);
:func:`tag_details` fetches the manifest (and, for an index, each platform's manifest)
and each image's configuration.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from . import mediatypes as mt
from .client import RegistryClient
from .errors import RegistryUnavailable

MAX_PLATFORMS = 32


def _size(desc: Any) -> int:
    return int(desc.get("size") or 0) if isinstance(desc, dict) else 0


def image_summary(manifest: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """Size (config + layers, as stored, i.e. compressed), platform, creation, layers."""
    layers = manifest.get("layers") or []
    return {
        "size": _size(manifest.get("config")) + sum(_size(layer) for layer in layers),
        "layers": len(layers),
        "os": str(config.get("os") or ""),
        "architecture": str(config.get("architecture") or ""),
        "variant": str(config.get("variant") or ""),
        "created": str(config.get("created") or ""),
    }


def schema1_summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """The little a (deprecated) schema 1 manifest tells: no sizes."""
    history = manifest.get("history") or []
    created = ""
    if history:
        try:
            created = str(json.loads(history[0].get("v1Compatibility", "{}")).get("created", ""))
        except (ValueError, AttributeError):
            created = ""
    return {
        "size": None,
        "layers": len(manifest.get("fsLayers") or []),
        "os": "",
        "architecture": str(manifest.get("architecture") or ""),
        "variant": "",
        "created": created,
    }


async def _image(client: RegistryClient, repo: str, manifest: dict[str, Any]) -> dict[str, Any]:
    config_desc = manifest.get("config") or {}
    config: dict[str, Any] = {}
    digest = config_desc.get("digest") if isinstance(config_desc, dict) else None
    if isinstance(digest, str):
        try:
            loaded = json.loads(await client.blob(repo, digest))
        except ValueError as exc:
            raise RegistryUnavailable(f"the configuration {digest} is not JSON") from exc
        config = loaded if isinstance(loaded, dict) else {}
    return image_summary(manifest, config)


async def tag_details(client: RegistryClient, repo: str, tag: str) -> dict[str, Any]:
    """Everything the gateway shows about ``repo:tag`` (see docs/registry.md)."""
    top = await client.manifest(repo, tag)
    body = top.json()
    media_type = top.media_type or str(body.get("mediaType") or "")
    details: dict[str, Any] = {
        "repository": repo,
        "tag": tag,
        "digest": top.digest,
        "media_type": media_type,
        "kind": mt.kind(media_type),
    }
    if media_type in mt.INDEXES:
        children = [d for d in body.get("manifests") or [] if isinstance(d, dict)]

        async def child(desc: dict[str, Any]) -> dict[str, Any]:
            manifest = await client.manifest(repo, str(desc.get("digest")))
            summary = await _image(client, repo, manifest.json())
            platform = desc.get("platform") or {}
            summary["os"] = summary["os"] or str(platform.get("os") or "")
            summary["architecture"] = summary["architecture"] or str(
                platform.get("architecture") or ""
            )
            return {"digest": manifest.digest, "media_type": manifest.media_type, **summary}

        platforms = await asyncio.gather(*(child(d) for d in children[:MAX_PLATFORMS]))
        details["platforms"] = list(platforms)
        details["size"] = sum(p["size"] or 0 for p in platforms)
        details["layers"] = max((p["layers"] for p in platforms), default=0)
        details["created"] = max((p["created"] for p in platforms), default="")
        details["os"] = ",".join(dict.fromkeys(p["os"] for p in platforms if p["os"]))
        details["architecture"] = ",".join(
            dict.fromkeys(p["architecture"] for p in platforms if p["architecture"])
        )
    elif media_type in mt.SCHEMA1:
        details.update(schema1_summary(body))
    else:
        details.update(await _image(client, repo, body))
    return details
