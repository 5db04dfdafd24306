"""Browsing: the catalog and tags page by page, and what a tag shows (also for an index)."""

from __future__ import annotations

import pytest

from karvdash.registry import InvalidName, RegistryGateway, RegistryNotFound

from .helpers import push_tiny, upload
from .images import Image, layer, multi_platform


async def test_hundreds_of_repositories_page_by_page(
    gateway: RegistryGateway, many_repos: list[str]
) -> None:
    seen: list[str] = []
    last = None
    pages = 0
    while True:
        page = await gateway.repositories(n=40, last=last)
        assert len(page["repositories"]) <= 40
        seen.extend(page["repositories"])
        pages += 1
        last = page["next"]
        if last is None:
            break
    mine = [r for r in seen if r in set(many_repos)]
    assert mine == many_repos  # every one, once, in order
    assert seen == sorted(seen)
    assert pages >= len(many_repos) // 40


async def test_a_page_size_above_the_limit_is_capped(
    gateway: RegistryGateway, many_repos: list[str]
) -> None:
    page = await gateway.repositories(n=100000)
    assert 250 <= len(page["repositories"]) <= 1000
    with pytest.raises(ValueError, match="at least 1"):
        await gateway.repositories(n=0)


async def test_tags_page_by_page(gateway: RegistryGateway, repo: str) -> None:
    tags = [f"t{i:02d}" for i in range(25)]
    for tag in tags:
        await push_tiny(gateway, repo, tag, note="same")
    first = await gateway.tags(repo, n=10)
    assert first["tags"] == tags[:10]
    assert first["next"] == "t09"
    rest = await gateway.tags(repo, n=100, last=first["next"])
    assert rest["tags"] == tags[10:]
    assert rest["next"] is None


async def test_a_multi_platform_index_shows_each_platform(
    gateway: RegistryGateway, repo: str
) -> None:
    archive = multi_platform(
        {
            "linux/amd64": Image([layer({"a": b"amd"})], architecture="amd64"),
            "linux/arm64": Image([layer({"a": b"arm"}), layer({"b": b"2"})], architecture="arm64"),
        }
    )
    result = await upload(gateway, archive, repo)
    details = await gateway.details(repo, "v1")
    assert details["digest"] == result.digest
    assert details["kind"] == "OCI index"
    assert details["architecture"] == "amd64,arm64"
    assert [p["layers"] for p in details["platforms"]] == [1, 2]
    assert details["size"] == sum(p["size"] for p in details["platforms"])


async def test_unknown_repositories_and_tags_are_404(gateway: RegistryGateway, repo: str) -> None:
    with pytest.raises(RegistryNotFound):
        await gateway.details(repo, "nope")
    await push_tiny(gateway, repo, "v1")
    with pytest.raises(RegistryNotFound):
        await gateway.details(repo, "v2")


async def test_bad_names_are_refused_before_asking_the_registry(gateway: RegistryGateway) -> None:
    with pytest.raises(InvalidName):
        await gateway.tags("Bad/Name")
    with pytest.raises(InvalidName):
        await gateway.details("ok", "bad tag")
