"""Deleting images and collecting garbage: safely, with a report of what was freed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from karvdash.devcluster.registry import DevRegistry
from karvdash.errors import Conflict
from karvdash.registry import BytePipe, RegistryGateway, RegistryNotFound, UnderMaintenance

from .conftest import make_gateway
from .helpers import upload
from .images import Image, layer, random_layer, sha256


@pytest.fixture
def own_registry(tmp_path: Path) -> Iterator[DevRegistry]:
    """A registry of this test alone (garbage collection restarts it)."""
    with DevRegistry(tmp_path / "registry") as reg:
        yield reg


@pytest.fixture
async def own_gateway(own_registry: DevRegistry) -> AsyncIterator[RegistryGateway]:
    gw = make_gateway(own_registry)
    yield gw
    await gw.close()


async def test_delete_then_collect_frees_the_image_and_keeps_the_others(
    own_registry: DevRegistry, own_gateway: RegistryGateway
) -> None:
    doomed = Image([random_layer(2_000_000)])
    kept = Image([layer({"keep": b"me"})])
    await upload(own_gateway, doomed.docker_archive(), "team/doomed")
    await upload(own_gateway, doomed.docker_archive(), "team/doomed", "also")
    await upload(own_gateway, kept.docker_archive(), "team/kept")
    deleted = await own_gateway.delete("team/doomed", "v1")
    assert sorted(deleted["removed_tags"]) == ["also", "v1"]  # the same image, by digest
    assert await own_gateway.exists("team/doomed", "also") is None
    port = own_registry.port
    report = own_registry.garbage_collect()
    assert sha256(doomed.layers[0]) in report.blobs_deleted
    assert report.freed_bytes is not None
    assert report.freed_bytes >= len(doomed.layers[0])
    assert report.blobs_marked >= 2  # the kept image's configuration and layer
    assert own_registry.port == port  # back, at the same address
    details = await own_gateway.details("team/kept", "v1")
    assert details["layers"] == 1
    assert (await own_gateway.client.blob("team/kept", sha256(kept.layers[0]))) == kept.layers[0]


async def test_an_empty_registry_has_nothing_to_collect(
    own_registry: DevRegistry, own_gateway: RegistryGateway
) -> None:
    assert own_registry.garbage_collect().blobs_deleted == []
    report = await own_gateway.collect_garbage()
    assert (report.blobs_deleted, report.freed_bytes) == ([], 0)


async def test_the_gateway_collects_with_writes_refused(own_gateway: RegistryGateway) -> None:
    await upload(own_gateway, Image([random_layer(500_000)]).docker_archive(), "x/y")
    await own_gateway.delete("x/y", "v1")
    report = await own_gateway.collect_garbage()
    assert len(report.blobs_deleted) >= 2
    assert report.freed_bytes is not None
    assert report.freed_bytes > 500_000
    async with own_gateway.gate.exclusive():
        with pytest.raises(UnderMaintenance) as err:
            await upload(own_gateway, Image([layer({})]).docker_archive(), "x/z")
        assert err.value.status == 503
        with pytest.raises(Conflict):
            await own_gateway.collect_garbage()
    assert await own_gateway.exists("x/z", "v1") is None


async def test_collection_waits_for_a_running_upload_then_gives_up(
    own_gateway: RegistryGateway,
) -> None:
    own_gateway.gc_wait = 0.5
    pipe = BytePipe()
    archive = Image([layer({"a": b"b"})]).docker_archive()
    running = asyncio.create_task(own_gateway.upload(pipe, "slow/one", "v1"))
    await pipe.feed(archive[:1024])  # the upload has started and waits for more
    await asyncio.sleep(0.1)
    with pytest.raises(Conflict, match="still running"):
        await own_gateway.collect_garbage()
    await pipe.feed(archive[1024:])
    pipe.finish()
    assert (await running).state == "done"
    await own_gateway.collect_garbage()  # nothing runs now


async def test_deleting_checks_the_digest_it_was_given(own_gateway: RegistryGateway) -> None:
    first = await upload(own_gateway, Image([layer({"1": b"1"})]).docker_archive(), "d/e")
    other = "sha256:" + "0" * 64
    with pytest.raises(Conflict, match="nothing deleted"):
        await own_gateway.delete("d/e", "v1", other)
    assert await own_gateway.exists("d/e", "v1") == first.digest
    await own_gateway.delete("d/e", "v1", first.digest)
    with pytest.raises(RegistryNotFound):
        await own_gateway.delete("d/e", "v1")
