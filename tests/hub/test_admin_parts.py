"""The admin page's pure parts (core and hub side) and folder counting, on real folders."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from karvdash.admin import FolderSizes, folder_usage, human_bytes, summarize
from karvdash.admin.overview import quota_uses
from karvdash.registry.usage import blob_sizes, child_digests
from karvdash.settings import StorageDomain
from karvdash_hub.service.admin_view import named_servers, server_state, user_rows


def _ns(name: str, slug: str | None, user: str | None = None, **meta: str) -> dict:
    labels = {"karvdash.io/user": slug} if slug else {}
    annotations = {"karvdash.io/username": user} if user else {}
    return {"metadata": {"name": name, "labels": labels, "annotations": annotations, **meta}}


def _obj(namespace: str, name: str, **labels: str) -> dict:
    return {"metadata": {"namespace": namespace, "name": name, "labels": labels}}


def test_summarize_counts_per_user_namespace_and_ignores_the_rest() -> None:
    namespaces = [
        _ns("karvdash-alice", "alice", "alice"),
        _ns("karvdash-bob", "bob", "bob", deletionTimestamp="2026-01-01T00:00:00Z"),
        _ns("kube-system", None),
    ]
    pods = [
        _obj("karvdash-alice", "jupyter-alice"),
        _obj("karvdash-alice", "web-1", **{"karvdash.io/service": "web"}),
        _obj("kube-system", "coredns"),
    ]
    services = [
        _obj("karvdash-alice", "web", **{"karvdash.io/service": "web"}),
        _obj("karvdash-alice", "web-headless", **{"karvdash.io/service": "web"}),  # not main
        _obj("kube-system", "dns", **{"karvdash.io/service": "dns"}),
    ]
    quotas = [
        {
            "metadata": {"namespace": "karvdash-alice", "name": "q"},
            "status": {"hard": {"pods": "10", "cpu": "4"}, "used": {"pods": "2"}},
        }
    ]

    found = summarize(namespaces, pods, services, quotas)

    assert set(found) == {"alice", "bob"}
    alice = found["alice"]
    assert (alice.user, alice.services, alice.pods) == ("alice", 1, 2)
    assert [str(q) for q in alice.quota] == ["cpu 0/4", "pods 2/10"]
    assert found["bob"].terminating
    assert (found["bob"].services, found["bob"].pods, found["bob"].quota) == (0, 0, ())


def test_quota_uses_read_the_spec_before_the_status_is_filled() -> None:
    quota = {"metadata": {}, "spec": {"hard": {"pods": "3"}}}
    assert [str(q) for q in quota_uses([quota])] == ["pods 0/3"]


def test_folder_usage_counts_files_once_and_never_follows_links(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "data.bin").write_bytes(os.urandom(100_000))
    os.link(tmp_path / "a" / "data.bin", tmp_path / "hard.bin")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(os.urandom(1_000_000))
    (tmp_path / "escape").symlink_to(outside)

    usage = folder_usage(str(tmp_path))

    assert usage.exists
    assert usage.complete
    assert usage.files == 2  # the file, and the link to the outside (not its target)
    assert 100_000 <= usage.bytes < 400_000


def test_a_sub_folder_swapped_for_a_link_while_queued_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.bin").write_bytes(os.urandom(10_000))
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(os.urandom(2_000_000))
    calls = []

    def clock() -> float:
        # the walk asks the time before each folder: after the top folder (which queued
        # "a"), the user swaps "a" for a link to somewhere else
        calls.append(1)
        if len(calls) == 3:
            (tmp_path / "a").rename(tmp_path / "a-old")
            (tmp_path / "a").symlink_to(outside)
        return 0.0

    usage = folder_usage(str(tmp_path), clock=clock)

    assert len(calls) >= 3
    assert usage.complete
    assert usage.bytes < 1_000_000  # never big.bin, wherever the link points


def test_folder_usage_stops_at_the_deadline(tmp_path: Path) -> None:
    for i in range(50):
        (tmp_path / f"d{i}").mkdir()
    ticks = iter(range(1000))

    usage = folder_usage(str(tmp_path), seconds=3, clock=lambda: float(next(ticks)))

    assert usage.exists
    assert not usage.complete


def test_folder_usage_of_missing_and_non_folders(tmp_path: Path) -> None:
    assert not folder_usage(str(tmp_path / "nope")).exists
    (tmp_path / "file").write_text("x")
    assert folder_usage(str(tmp_path / "file")).error == "not a folder"


def test_folder_sizes_answer_within_the_budget_and_remember(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x" * 5000)

    async def run() -> None:
        sizes = FolderSizes(max_age=60)
        first = await sizes.get_many([str(tmp_path)], budget=5)
        assert first[str(tmp_path)] is not None
        (tmp_path / "g").write_bytes(b"x" * 50_000)
        again = await sizes.get_many([str(tmp_path)], budget=5)
        assert again[str(tmp_path)] == first[str(tmp_path)]  # kept, not recounted
        sizes.forget([str(tmp_path)])
        fresh = await sizes.get_many([str(tmp_path)], budget=5)
        assert fresh[str(tmp_path)].bytes > first[str(tmp_path)].bytes  # type: ignore[union-attr]

    asyncio.run(run())


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (3 * 1024**3, "3.0 GiB")],
)
def test_human_bytes(count: int, text: str) -> None:
    assert human_bytes(count) == text


def test_named_servers_are_listed_by_name_with_their_state() -> None:
    model = {
        "servers": {
            "": {"ready": True, "url": "/user/a/"},
            "spark": {"ready": True, "url": "/user/a/spark/"},
            "old": {"stopped": True},
        }
    }
    assert named_servers(model) == (
        ("old", "stopped", None),
        ("spark", "running", "/user/a/spark/"),
    )
    assert named_servers({"servers": {}}) == ()


def test_server_state_from_hub_models() -> None:
    assert server_state({"servers": {}}) == ("none", None)
    running = {"servers": {"": {"ready": True, "url": "/user/a/"}}}
    assert server_state(running) == ("running", "/user/a/")
    assert server_state({"servers": {"": {"pending": "spawn"}}}) == ("starting", None)
    assert server_state({"servers": {"": {"pending": "stop"}}}) == ("stopping", None)
    assert server_state({"servers": {"": {"stopped": True}}}) == ("stopped", None)


def test_user_rows_join_hub_users_sign_ups_namespaces_and_folders() -> None:
    domains = [
        StorageDomain("local", "/local", "/data/local"),
        StorageDomain("shared", "/shared", "/data/shared", per_user=False),
    ]
    namespaces = summarize([_ns("karvdash-alice", "alice", "alice")], [], [], [])
    rows = user_rows(
        [{"name": "alice", "admin": True, "servers": {}}, {"name": "Zoë", "servers": {}}],
        [
            {"name": "alice", "email": "a@example.org", "authorized": True},
            {"name": "carol", "email": "c@example.org", "authorized": False},
        ],
        namespaces,
        domains,
        {},
    )

    assert [r.name for r in rows] == ["Zoë", "alice", "carol"]
    zoe, alice, carol = rows
    assert alice.admin
    assert alice.approval == "authorized"
    assert alice.namespace is not None
    assert [f.path for f in alice.folders] == ["/data/local/alice"]  # shared is not theirs
    assert alice.folders[0].text == "counting…"
    assert zoe.approval == "not signed up"
    assert zoe.namespace is None
    assert zoe.namespace_name.startswith("karvdash-zo")
    assert not carol.hub_user
    assert carol.approval == "waiting"
    assert carol.email == "c@example.org"


def test_user_rows_without_an_approving_authenticator() -> None:
    rows = user_rows([{"name": "dan", "servers": {}}], None, {}, [], {})
    assert rows[0].approval is None


def test_blob_sizes_and_index_children() -> None:
    manifest = {
        "config": {"digest": "sha256:c", "size": 10},
        "layers": [{"digest": "sha256:l1", "size": 100}, {"digest": "sha256:l1", "size": 100}],
    }
    assert blob_sizes(manifest) == {"sha256:c": 10, "sha256:l1": 100}
    index = {"manifests": [{"digest": "sha256:a"}, {"nodigest": 1}, "junk"]}
    assert child_digests(index) == ["sha256:a"]
