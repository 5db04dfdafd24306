"""The namespace directory: the static one, and the watch cache's event handling."""

from __future__ import annotations

from typing import Any

import pytest
from karvdash_webhook.namespaces import (
    KubernetesError,
    ResourceExpired,
    SlugCache,
    StaticNamespaceDirectory,
)


def namespace(name: str, slug: str | None = None, rv: str = "1") -> dict[str, Any]:
    labels = {"karvdash.io/user": slug} if slug else {}
    return {"metadata": {"name": name, "labels": labels, "resourceVersion": rv}}


async def test_static_directory_answers_from_its_mapping() -> None:
    directory = StaticNamespaceDirectory({"karvdash-alice": "alice"})
    await directory.start()
    assert directory.ready
    assert await directory.slug_for("karvdash-alice") == "alice"
    assert await directory.slug_for("default") is None
    await directory.stop()


def test_list_replaces_everything() -> None:
    cache = SlugCache()
    cache.slugs["gone"] = "old"
    cache.replace(
        {
            "metadata": {"resourceVersion": "10"},
            "items": [namespace("karvdash-alice", "alice"), namespace("karvdash-bad", "Bad.Slug")],
        }
    )
    assert cache.slugs == {"karvdash-alice": "alice"}
    assert cache.resource_version == "10"


def test_watch_events_keep_the_cache_current() -> None:
    cache = SlugCache()
    cache.apply({"type": "ADDED", "object": namespace("karvdash-bob", "bob", "11")})
    assert cache.slugs == {"karvdash-bob": "bob"}
    cache.apply({"type": "MODIFIED", "object": namespace("karvdash-bob", None, "12")})
    assert cache.slugs == {}
    cache.apply({"type": "ADDED", "object": namespace("karvdash-bob", "bob", "13")})
    cache.apply({"type": "DELETED", "object": namespace("karvdash-bob", "bob", "14")})
    assert cache.slugs == {}
    cache.apply({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "20"}}})
    assert cache.resource_version == "20"


def test_expired_watch_asks_for_a_new_list() -> None:
    event = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}}
    with pytest.raises(ResourceExpired):
        SlugCache().apply(event)


def test_other_watch_errors_are_reported() -> None:
    event = {"type": "ERROR", "object": {"kind": "Status", "code": 500, "message": "boom"}}
    with pytest.raises(KubernetesError, match="boom"):
        SlugCache().apply(event)
