"""``/karvdash/api/images`` in users' servers: the gateway with the owner's identity."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from ..hubproc import Hub
from .images import Image, layer, random_layer, write_docker_archive
from .registry_hub import ADMIN, USER


@pytest.fixture(scope="module")
def servers(hub: Hub) -> dict[str, str]:
    """The URLs of alice's and the admin's servers (started side by side)."""
    for name in (USER, ADMIN):
        hub.spawn(name)
    return {name: hub.wait_server(name) for name in (USER, ADMIN)}


def images(
    hub: Hub, servers: dict[str, str], owner: str, method: str, path: str, *,
    caller: str | None = None, **kwargs: Any,
) -> requests.Response:  # fmt: skip
    """A request to ``owner``'s server as ``caller`` (the owner by default)."""
    token = hub.tokens[caller or owner]
    return requests.request(
        method,
        f"{servers[owner]}karvdash/api/images{path}",
        headers={"Authorization": f"token {token}"},
        timeout=300,
        **kwargs,
    )


def chunks(data: bytes, size: int = 100_000) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_the_server_acts_as_its_owner(hub: Hub, servers: dict[str, str]) -> None:
    mine = images(hub, servers, USER, "GET", "").json()
    assert (mine["user"], mine["admin"]) == (USER, False)
    admin = images(hub, servers, ADMIN, "GET", "").json()
    assert (admin["user"], admin["admin"]) == (ADMIN, True)
    other = images(hub, servers, USER, "GET", "", caller=ADMIN)
    assert other.status_code == 403  # the admin may enter alice's server, not act as her
    assert "owner" in other.json()["message"]


def test_upload_browse_and_delete_through_the_servers(
    hub: Hub, servers: dict[str, str], repo: str
) -> None:
    archive = Image([random_layer(2_000_000), layer({"x": b"y"})]).docker_archive()
    announced = images(hub, servers, USER, "POST", "/uploads",
                       json={"repository": repo, "tag": "v1"})  # fmt: skip
    assert announced.status_code == 201, announced.text
    upload_id = announced.json()["id"]
    sent = images(hub, servers, USER, "PUT", f"/uploads/{upload_id}", data=chunks(archive))
    assert sent.status_code == 200, sent.text
    assert sent.json()["state"] == "done"
    assert images(hub, servers, USER, "GET", f"/uploads/{upload_id}").json()["state"] == "done"
    tags = images(hub, servers, USER, "GET", f"/repositories/{repo}/tags", params={"n": 5})
    assert tags.json()["tags"] == ["v1"]
    details = images(hub, servers, USER, "GET", f"/repositories/{repo}/tags/v1").json()
    assert details["layers"] == 2
    refused = images(hub, servers, USER, "DELETE", f"/repositories/{repo}/tags/v1")
    assert refused.status_code == 403
    assert set(refused.json()) == {"message", "reason"}
    assert "registry admins" in refused.json()["message"]
    deleted = images(hub, servers, ADMIN, "DELETE", f"/repositories/{repo}/tags/v1")
    assert deleted.status_code == 200, deleted.text
    gone = images(hub, servers, USER, "GET", f"/repositories/{repo}/tags/v1")
    assert gone.status_code == 404


def test_a_refused_upload_keeps_the_gateway_error(
    hub: Hub, servers: dict[str, str], repo: str
) -> None:
    bad = images(hub, servers, USER, "POST", "/uploads", json={"repository": "NO", "tag": "v"})
    assert bad.status_code == 400
    assert "invalid repository name" in bad.json()["message"]
    announced = images(hub, servers, USER, "POST", "/uploads",
                       json={"repository": repo, "tag": "v1"}).json()  # fmt: skip
    broken = Image([random_layer(500_000)]).docker_archive()[:300_000]
    answer = images(hub, servers, USER, "PUT", f"/uploads/{announced['id']}", data=broken)
    assert answer.status_code == 400
    assert "truncated" in answer.json()["message"]


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def server_pid(user: str) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"jupyterhub-singleuser" in cmdline and f"JUPYTERHUB_USER={user}".encode() in environ:
            return int(entry.name)
    raise AssertionError(f"{user}'s server is not running")


def test_a_large_upload_streams_through_the_server(
    hub: Hub, servers: dict[str, str], repo: str, tmp_path: Path
) -> None:
    archive = write_docker_archive(tmp_path / "big.tar", [80 << 20, 40 << 20])
    pid = server_pid(USER)
    before = status_kib(pid, "VmHWM")
    announced = images(hub, servers, USER, "POST", "/uploads",
                       json={"repository": repo, "tag": "big"}).json()  # fmt: skip
    with archive.open("rb") as body:
        sent = images(hub, servers, USER, "PUT", f"/uploads/{announced['id']}", data=body)
    assert sent.status_code == 200, sent.text
    assert sent.json()["received"] == archive.stat().st_size
    grown_mib = (status_kib(pid, "VmHWM") - before) / 1024
    assert grown_mib < 40, f"the user's server grew by {grown_mib:.0f} MiB"


def test_a_path_is_forwarded_as_a_path(hub: Hub, servers: dict[str, str]) -> None:
    answer = images(hub, servers, USER, "GET", "/repositories/x%3Fn=1/tags")
    assert answer.status_code == 404  # not the tags of "x" with n=1
    assert "/repositories/x%3Fn%3D1/tags" in answer.json()["message"]
