"""The streaming tar reader: members in order, long names, and every refusal."""

from __future__ import annotations

import asyncio
import io
import tarfile

import pytest

from karvdash.registry import ArchiveError, BytePipe
from karvdash.registry.tarstream import Member, members

from .helpers import feed
from .images import add, add_link


def tar_of(build: object, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        assert callable(build)
        build(tar)
    return out.getvalue()


async def read(data: bytes, chunk: int = 100) -> list[tuple[Member, bytes]]:
    pipe = BytePipe(limit=1000)
    seen: list[tuple[Member, bytes]] = []

    async def consume() -> None:
        async for member in members(pipe):
            seen.append((member, b"".join([c async for c in member.chunks()])))

    await asyncio.gather(consume(), feed(pipe, data, chunk))
    return seen


async def test_members_arrive_in_order_with_their_data() -> None:
    def build(tar: tarfile.TarFile) -> None:
        add(tar, "a.txt", b"alpha")
        add(tar, "dir/b.bin", bytes(range(256)) * 9)
        add_link(tar, "dir/c", "b.bin")

    got = await read(tar_of(build), chunk=7)
    assert [(m.name, d) for m, d in got] == [
        ("a.txt", b"alpha"),
        ("dir/b.bin", bytes(range(256)) * 9),
        ("dir/c", b""),
    ]
    assert got[2][0].is_link
    assert got[2][0].linkname == "dir/b.bin"


@pytest.mark.parametrize("fmt", [tarfile.PAX_FORMAT, tarfile.GNU_FORMAT])
async def test_long_names_from_pax_and_gnu_headers(fmt: int) -> None:
    name = "blobs/sha256/" + "d" * 64 + "/" + "x" * 150

    def build(tar: tarfile.TarFile) -> None:
        add(tar, name, b"data")

    got = await read(tar_of(build, fmt))
    assert [(m.name, d) for m, d in got] == [(name, b"data")]


async def test_a_member_that_climbs_out_is_refused() -> None:
    def build(tar: tarfile.TarFile) -> None:
        add(tar, "../../etc/passwd", b"root")

    with pytest.raises(ArchiveError, match="leave the archive"):
        await read(tar_of(build))


async def test_an_absolute_member_name_is_refused() -> None:
    def build(tar: tarfile.TarFile) -> None:
        add(tar, "/etc/passwd", b"root")

    with pytest.raises(ArchiveError, match="absolute"):
        await read(tar_of(build))


@pytest.mark.parametrize("target", ["/etc/passwd", "../../outside", "../.."])
async def test_links_out_of_the_archive_are_refused(target: str) -> None:
    def build(tar: tarfile.TarFile) -> None:
        add_link(tar, "x/layer.tar", target)

    with pytest.raises(ArchiveError, match="links outside"):
        await read(tar_of(build))


async def test_a_truncated_archive_is_refused() -> None:
    def build(tar: tarfile.TarFile) -> None:
        add(tar, "big", b"z" * 5000)

    data = tar_of(build)
    for cut in (700, 3000, 5632):  # inside the data, inside the data, before the end marker
        with pytest.raises(ArchiveError, match="truncated"):
            await read(data[:cut])


async def test_something_that_is_not_a_tar_is_refused() -> None:
    with pytest.raises(ArchiveError, match="not a tar archive"):
        await read(b"PK\x03\x04 this is a zip file" + bytes(600))


async def test_an_empty_upload_is_refused() -> None:
    with pytest.raises(ArchiveError, match="empty"):
        await read(b"")


async def test_a_corrupt_header_in_the_middle_is_refused() -> None:
    def build(tar: tarfile.TarFile) -> None:
        add(tar, "a", b"1" * 10)
        add(tar, "b", b"2" * 10)

    data = bytearray(tar_of(build))
    second = data.index(b"b\x00", 512)
    data[second + 150] ^= 0xFF  # inside the header checksum field
    with pytest.raises(ArchiveError, match="corrupt tar header at byte 1024"):
        await read(bytes(data))


async def test_devices_are_refused() -> None:
    def build(tar: tarfile.TarFile) -> None:
        info = tarfile.TarInfo("dev/null")
        info.type = tarfile.CHRTYPE
        tar.addfile(info)

    with pytest.raises(ArchiveError, match="unsupported type"):
        await read(tar_of(build))
