"""Uploads through the gateway into the real registry: good archives land, bad ones leave no tag."""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest

from karvdash.registry import ArchiveError, RegistryGateway, TagExists, UploadProgress

from .helpers import upload
from .images import Image, add, add_link, layer, random_layer, sha256

TWO_LAYERS = Image([layer({"etc/motd": b"hello\n"}), random_layer(300_000)])


async def assert_no_tag(gateway: RegistryGateway, repo: str, tag: str = "v1") -> None:
    assert await gateway.exists(repo, tag) is None


@pytest.mark.parametrize("manifest_first", [False, True])
async def test_a_docker_save_archive_becomes_a_pullable_tag(
    gateway: RegistryGateway, repo: str, manifest_first: bool
) -> None:
    archive = TWO_LAYERS.docker_archive(manifest_first=manifest_first)
    result = await upload(gateway, archive, repo)
    assert result.state == "done"
    assert result.layout == "docker"
    assert result.received == len(archive)
    details = await gateway.details(repo, "v1")
    assert details["digest"] == result.digest
    assert details["kind"] == "Docker schema 2"
    assert details["layers"] == 2
    assert (details["os"], details["architecture"]) == ("linux", "amd64")
    assert details["created"] == "2024-05-06T07:08:09Z"
    config = TWO_LAYERS.config()
    assert details["size"] == len(config) + sum(len(x) for x in TWO_LAYERS.layers)


async def test_repeated_layers_as_symlinks_and_gzip_layers(
    gateway: RegistryGateway, repo: str
) -> None:
    base = layer({"bin/sh": b"#!"})
    image = Image([base, layer({"a": b"1"}), base])
    assert (await upload(gateway, image.docker_archive(), repo)).state == "done"
    assert (await gateway.details(repo, "v1"))["layers"] == 3
    gz = Image([layer({"x": b"compressed"})])
    result = await upload(gateway, gz.docker_archive(gzip_layers=True), repo, "gz")
    manifest = (await gateway.client.manifest(repo, "gz")).json()
    assert manifest["layers"][0]["mediaType"].endswith("diff.tar.gzip")
    assert result.state == "done"


async def test_an_oci_archive_keeps_its_digest(gateway: RegistryGateway, repo: str) -> None:
    _, index = TWO_LAYERS.oci_blobs()
    result = await upload(gateway, TWO_LAYERS.oci_archive(), repo)
    assert result.layout == "oci"
    assert result.digest == index["manifests"][0]["digest"]
    assert (await gateway.details(repo, "v1"))["kind"] == "OCI manifest"


async def test_progress_is_reported_as_the_archive_streams(
    gateway: RegistryGateway, repo: str
) -> None:
    image = Image([random_layer(3_000_000), random_layer(3_000_000)])
    archive = image.docker_archive()
    seen: list[tuple[str, int, int]] = []

    def report(progress: UploadProgress) -> None:
        seen.append((progress.state, progress.received, progress.blobs))

    result = await upload(gateway, archive, repo, report=report)
    states = [s for s, _, _ in seen]
    assert states[0] == "receiving"
    assert "finishing" in states
    assert states[-1] == "done"
    received = [r for s, r, _ in seen if s == "receiving"]
    assert received == sorted(received)
    assert any(0 < r < len(archive) for r in received)  # reported before the end
    assert result.blobs == 3  # two layers streamed, then the configuration


async def test_a_tag_is_not_moved_to_another_image_unless_replacing(
    gateway: RegistryGateway, repo: str
) -> None:
    first = await upload(gateway, TWO_LAYERS.docker_archive(), repo)
    again = await upload(gateway, TWO_LAYERS.docker_archive(), repo)
    assert again.digest == first.digest  # the same image again is fine
    other = Image([layer({"other": b"x"})]).docker_archive()
    with pytest.raises(TagExists):
        await upload(gateway, other, repo)
    assert await gateway.exists(repo, "v1") == first.digest
    replaced = await upload(gateway, other, repo, replace=True)
    assert await gateway.exists(repo, "v1") == replaced.digest != first.digest


def rewrite(
    archive: bytes, change: dict[str, bytes | None], links: dict[str, str] | None = None
) -> bytes:
    """The archive with members replaced, dropped (None) or made links (``links``)."""
    links = links or {}
    out = io.BytesIO()
    with (
        tarfile.open(fileobj=io.BytesIO(archive)) as src,
        tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for member in src.getmembers():
            if member.name in links:
                add_link(tar, member.name, links[member.name])
            elif member.name in change:
                data = change[member.name]
                if data is not None:
                    add(tar, member.name, data)
            elif member.issym() or member.islnk():
                add_link(tar, member.name, member.linkname, hard=member.islnk())
            else:
                extracted = src.extractfile(member)
                add(tar, member.name, extracted.read() if extracted else b"")
    return out.getvalue()


def layer_path(archive: bytes, index: int) -> str:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        return str(json.loads(member.read())[0]["Layers"][index])


async def refused(gateway: RegistryGateway, repo: str, archive: bytes, match: str) -> None:
    with pytest.raises(ArchiveError, match=match) as err:
        await upload(gateway, archive, repo)
    assert err.value.status == 400
    await assert_no_tag(gateway, repo)


async def test_a_truncated_archive_creates_no_tag(gateway: RegistryGateway, repo: str) -> None:
    archive = TWO_LAYERS.docker_archive()
    await refused(gateway, repo, archive[: len(archive) // 2], "truncated")


async def test_a_corrupt_layer_is_a_digest_mismatch(gateway: RegistryGateway, repo: str) -> None:
    archive = TWO_LAYERS.docker_archive()
    path = layer_path(archive, 1)
    bad = bytearray(TWO_LAYERS.layers[1])
    bad[5000] ^= 0xFF
    await refused(gateway, repo, rewrite(archive, {path: bytes(bad)}), "digest mismatch")


async def test_an_oci_blob_whose_content_is_not_its_name(
    gateway: RegistryGateway, repo: str
) -> None:
    archive = TWO_LAYERS.oci_archive()
    name = "blobs/sha256/" + sha256(TWO_LAYERS.layers[1])[7:]
    await refused(gateway, repo, rewrite(archive, {name: random_layer(1000)}), "digest mismatch")


async def test_an_archive_without_manifest_json(gateway: RegistryGateway, repo: str) -> None:
    archive = rewrite(TWO_LAYERS.docker_archive(), {"manifest.json": None})
    await refused(gateway, repo, archive, "no manifest.json or index.json")


async def test_an_archive_lacking_a_layer(gateway: RegistryGateway, repo: str) -> None:
    archive = TWO_LAYERS.docker_archive()
    await refused(gateway, repo, rewrite(archive, {layer_path(archive, 0): None}), "lacks layer 1")


async def test_a_member_leaving_the_archive(gateway: RegistryGateway, repo: str) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        add(tar, "../../../tmp/evil", b"x")
    await refused(gateway, repo, out.getvalue(), "leave the archive")


async def test_a_layer_linking_out_of_the_archive(gateway: RegistryGateway, repo: str) -> None:
    archive = TWO_LAYERS.docker_archive()
    evil = rewrite(archive, {}, links={layer_path(archive, 0): "../../../etc/shadow"})
    await refused(gateway, repo, evil, "links outside")


async def test_a_layer_that_is_not_a_tar(gateway: RegistryGateway, repo: str) -> None:
    archive = TWO_LAYERS.docker_archive()
    path = layer_path(archive, 0)
    await refused(gateway, repo, rewrite(archive, {path: b"plain text " * 200}), "not a tar")


async def test_a_gzip_bomb_layer_is_not_inflated_forever(
    gateway: RegistryGateway, repo: str
) -> None:
    bomb = gzip.compress(bytes(100 * 1024 * 1024), compresslevel=9)  # ~100 KiB
    image = Image([layer({"a": b"1"})])
    archive = image.docker_archive()
    await refused(gateway, repo, rewrite(archive, {layer_path(archive, 0): bomb}), "mismatch")


@pytest.fixture
def gnu_packed(tmp_path: Path) -> bytes:
    """An OCI layout packed by GNU tar: members ``./``, ``./index.json``, ``./blobs/...``."""
    layout = TWO_LAYERS.oci_layout(tmp_path / "layout")
    return subprocess.run(
        ["tar", "-C", str(layout), "-cf", "-", "."], capture_output=True, check=True
    ).stdout


async def test_an_oci_layout_packed_with_gnu_tar(
    gateway: RegistryGateway, repo: str, gnu_packed: bytes
) -> None:
    result = await upload(gateway, gnu_packed, repo)
    assert result.layout == "oci"
    assert (await gateway.details(repo, "v1"))["layers"] == 2
