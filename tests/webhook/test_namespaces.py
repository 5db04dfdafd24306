"""The namespace directory: the static one, and the watch cache's event handling."""

from __future__ import annotations

from typing import Any

import pytest
from karvdash_webhook.namespaces import (
    ClaimCache,
    KubernetesError,
    KubernetesNamespaceDirectory,
    ResourceExpired,
    StaticNamespaceDirectory,
)
from karvdash_webhook.ownership import UNKNOWN, Owner


def namespace(name: str, slug: str | None = None, rv: str = "1") -> dict[str, Any]:
    labels = {"karvdash.io/user": slug} if slug else {}
    return {"metadata": {"name": name, "labels": labels, "resourceVersion": rv}}


async def test_static_directory_answers_from_its_mapping() -> None:
    directory = StaticNamespaceDirectory({"karvdash-alice": "alice", "team-x": "bob"})
    await directory.start()
    assert directory.ready
    assert await directory.owner_of("karvdash-alice") == Owner("alice")
    assert await directory.owner_of("team-x") == Owner("bob")
    assert await directory.owner_of("default") is None
    await directory.stop()


async def test_static_directory_applies_the_name_prefix() -> None:
    directory = StaticNamespaceDirectory({"karvdash-alice": "bob"})
    assert await directory.owner_of("karvdash-alice") == UNKNOWN
    assert await directory.owner_of("karvdash-carol") == UNKNOWN
    assert await directory.owner_of("karvdash-carol", unlabelled=True) == UNKNOWN
    assert await directory.owner_of("kube-system", unlabelled=True) is None


def test_static_directory_knows_the_slugs_of_trusted_owners_only() -> None:
    directory = StaticNamespaceDirectory(
        {"karvdash-alice": "alice", "team-x": "bob", "karvdash-carol": "mallory"}
    )
    assert directory.user_slugs() == {"alice", "bob"}


async def test_the_watched_directory_knows_new_users_at_once() -> None:
    directory = KubernetesNamespaceDirectory(object())  # no API call in what follows
    assert not await directory.wait_ready(0.01)
    directory.cache.replace({"items": [namespace("karvdash-lee", "lee")]})
    assert directory.user_slugs() == {"lee"}
    directory.cache.apply({"type": "ADDED", "object": namespace("karvdash-ann-lee", "ann-lee")})
    assert directory.user_slugs() == {"lee", "ann-lee"}
    directory.cache.apply({"type": "ADDED", "object": namespace("karvdash-eve", "lee")})
    assert directory.user_slugs() == {"lee", "ann-lee"}  # a label the name contradicts
    directory.cache.add("team-x", Owner("bob"))
    assert directory.user_slugs() == {"lee", "ann-lee", "bob"}
    directory.cache.apply({"type": "DELETED", "object": namespace("karvdash-ann-lee", "ann-lee")})
    assert directory.user_slugs() == {"lee", "bob"}


def test_list_replaces_everything() -> None:
    cache = ClaimCache()
    cache.claims["gone"] = Owner("old")
    cache.replace(
        {
            "metadata": {"resourceVersion": "10"},
            "items": [namespace("karvdash-alice", "alice"), namespace("karvdash-bad", "Bad.Slug")],
        }
    )
    assert cache.claims == {"karvdash-alice": Owner("alice"), "karvdash-bad": UNKNOWN}
    assert cache.resource_version == "10"


def test_watch_events_keep_the_cache_current() -> None:
    cache = ClaimCache()
    cache.apply({"type": "ADDED", "object": namespace("karvdash-bob", "bob", "11")})
    assert cache.claims == {"karvdash-bob": Owner("bob")}
    cache.apply({"type": "MODIFIED", "object": namespace("karvdash-bob", None, "12")})
    assert cache.claims == {}
    cache.apply({"type": "ADDED", "object": namespace("karvdash-bob", "bob", "13")})
    cache.apply({"type": "DELETED", "object": namespace("karvdash-bob", "bob", "14")})
    assert cache.claims == {}
    cache.apply({"type": "BOOKMARK", "object": {"metadata": {"resourceVersion": "20"}}})
    assert cache.resource_version == "20"


def test_expired_watch_asks_for_a_new_list() -> None:
    event = {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}}
    with pytest.raises(ResourceExpired):
        ClaimCache().apply(event)


def test_other_watch_errors_are_reported() -> None:
    event = {"type": "ERROR", "object": {"kind": "Status", "code": 500, "message": "boom"}}
    with pytest.raises(KubernetesError, match="boom"):
        ClaimCache().apply(event)
