"""The registry gateway in the hub service, through a real JupyterHub and its proxy."""

from __future__ import annotations

import io
import socket
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests

from karvdash.devcluster.registry import DevRegistry

from ..hubproc import Hub
from .helpers import skopeo_inspect_raw
from .images import Image, layer, random_layer, write_docker_archive
from .registry_hub import ADMIN, USER


class Archive(io.RawIOBase):
    """A file-like body that calls ``hook`` once when a fraction of it has been read."""

    def __init__(self, data: bytes, at: float = 2.0, hook: Any = None) -> None:
        self.data, self.pos, self.at, self.hook = data, 0, at, hook

    def __len__(self) -> int:
        return len(self.data)

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        if self.hook and self.pos >= self.at * len(self.data):
            hook, self.hook = self.hook, None
            hook()
        n = len(self.data) - self.pos if n < 0 else n
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out


def announce(hub: Hub, user: str, repo: str, tag: str = "v1", **body: Any) -> requests.Response:
    return hub.call(user, "POST", "/uploads", json={"repository": repo, "tag": tag, **body})


def send(hub: Hub, user: str, upload_id: str, body: Any) -> requests.Response:
    return hub.call(user, "PUT", f"/uploads/{upload_id}", data=body)


def upload(hub: Hub, user: str, repo: str, archive: bytes, tag: str = "v1") -> dict[str, Any]:
    announced = announce(hub, user, repo, tag)
    assert announced.status_code == 201, announced.text
    answer = send(hub, user, announced.json()["id"], archive)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_without_credentials_the_api_answers_401_in_json(hub: Hub) -> None:
    answer = hub.call(None, "GET", "/repositories")
    assert answer.status_code == 401
    assert answer.json()["reason"] == "Unauthorized"
    assert "token" in answer.json()["message"]


def test_a_token_without_access_to_the_service_is_refused(hub: Hub) -> None:
    token = hub.token(USER, scopes=["read:users:name!user"])
    answer = requests.get(hub.registry_api, headers={"Authorization": f"token {token}"}, timeout=30)
    assert answer.status_code == 403
    assert "access:services!service=karvdash" in answer.json()["message"]


def test_unknown_endpoints_are_json_404(hub: Hub) -> None:
    answer = hub.call(USER, "GET", "/nothing/here")
    assert answer.status_code == 404
    assert set(answer.json()) == {"message", "reason"}


def test_the_service_page_sends_a_browser_to_log_in(hub: Hub) -> None:
    answer = requests.get(hub.service_url, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    assert "/hub/api/oauth2/authorize" in answer.headers["Location"]
    me = requests.get(
        hub.service_url, headers={"Authorization": f"token {hub.tokens[USER]}"}, timeout=30
    )
    assert me.json()["user"] == USER


def test_everyone_browses_hundreds_of_repositories_page_by_page(
    hub: Hub, many_repos: list[str]
) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"n": 100}
    while True:
        page = hub.call(USER, "GET", "/repositories", params=params)
        assert page.status_code == 200, page.text
        seen.extend(page.json()["repositories"])
        if page.json()["next"] is None:
            break
        params["last"] = page.json()["next"]
    assert [r for r in seen if r in set(many_repos)] == many_repos
    tags = hub.call(USER, "GET", f"/repositories/{many_repos[7]}/tags").json()
    assert tags == {"repository": many_repos[7], "tags": ["v1"], "next": None}
    details = hub.call(USER, "GET", f"/repositories/{many_repos[7]}/tags/v1").json()
    assert details["architecture"] == "arm64"
    assert hub.call(USER, "GET", "/repositories", params={"n": "x"}).status_code == 400


def test_a_user_uploads_and_follows_the_progress(
    hub: Hub, registry: DevRegistry, repo: str
) -> None:
    image = Image([random_layer(12_000_000), layer({"etc/motd": b"hi"})])
    archive = image.docker_archive()
    announced = announce(hub, USER, repo)
    assert announced.status_code == 201, announced.text
    upload_id = announced.json()["id"]
    assert announced.json()["state"] == "waiting"
    polled: list[dict[str, Any]] = []

    def poll() -> None:
        time.sleep(0.3)
        polled.append(hub.call(USER, "GET", f"/uploads/{upload_id}").json())

    answer = send(hub, USER, upload_id, Archive(archive, at=0.8, hook=poll))
    assert answer.status_code == 200, answer.text
    final = answer.json()
    assert final["state"] == "done"
    assert final["received"] == final["total"] == len(archive)
    assert polled[0]["state"] == "receiving"
    assert 0 < polled[0]["received"] < len(archive)
    assert polled[0]["total"] == len(archive)
    assert hub.call(ADMIN, "GET", f"/uploads/{upload_id}").status_code == 404  # not theirs
    listed = hub.call(USER, "GET", f"/repositories/{repo}/tags").json()["tags"]
    assert listed == ["v1"]
    raw = skopeo_inspect_raw(registry, f"{repo}:v1")
    assert [x["digest"] for x in raw["layers"]] == image.diff_ids
    assert hub.call(USER, "GET", "/uploads").json()["uploads"][-1]["id"] == upload_id


def test_an_upload_is_refused_before_any_data_when_it_cannot_succeed(hub: Hub, repo: str) -> None:
    bad = announce(hub, USER, "Bad Name")
    assert bad.status_code == 400
    assert "repository" in bad.json()["message"]
    assert announce(hub, USER, repo, "-bad").status_code == 400
    upload(hub, USER, repo, Image([layer({"a": b"1"})]).docker_archive())
    taken = announce(hub, USER, repo)
    assert taken.status_code == 409
    assert "already names an image" in taken.json()["message"]
    assert announce(hub, USER, repo, replace=True).status_code == 403
    assert announce(hub, ADMIN, repo, replace=True).status_code == 201
    again = send(hub, USER, "no-such-upload", b"x")
    assert again.status_code == 404


def test_a_bad_archive_fails_with_a_reason_and_no_tag(hub: Hub, repo: str) -> None:
    archive = Image([random_layer(3_000_000)]).docker_archive()
    announced = announce(hub, USER, repo).json()
    answer = send(hub, USER, announced["id"], archive[: len(archive) - 5000])
    assert answer.status_code == 400
    assert "truncated" in answer.json()["message"]
    status = hub.call(USER, "GET", f"/uploads/{announced['id']}").json()
    assert status["state"] == "failed"
    assert "truncated" in status["message"]
    assert hub.call(USER, "GET", f"/repositories/{repo}/tags/v1").status_code == 404
    used = send(hub, USER, announced["id"], archive)
    assert used.status_code == 409


def test_a_connection_dropped_mid_upload_leaves_no_tag(hub: Hub, repo: str) -> None:
    archive = Image([random_layer(4_000_000)]).docker_archive()
    upload_id = announce(hub, USER, repo).json()["id"]
    url = urlparse(f"{hub.registry_api}/uploads/{upload_id}")
    with socket.create_connection((url.hostname, url.port)) as sock:
        head = (
            f"PUT {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
            f"Authorization: token {hub.tokens[USER]}\r\nContent-Length: {len(archive)}\r\n\r\n"
        )
        sock.sendall(head.encode() + archive[: len(archive) // 2])
        time.sleep(0.5)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = hub.call(USER, "GET", f"/uploads/{upload_id}").json()
        if status["state"] == "failed":
            break
        time.sleep(0.2)
    assert status["state"] == "failed"
    assert "interrupted" in status["message"]
    assert hub.call(USER, "GET", f"/repositories/{repo}/tags/v1").status_code == 404


def test_only_admins_delete_and_collect_garbage(hub: Hub, repo: str) -> None:
    result = upload(hub, USER, repo, Image([random_layer(1_500_000)]).docker_archive())
    path = f"/repositories/{repo}/tags/v1"
    refused = hub.call(USER, "DELETE", path)
    assert refused.status_code == 403
    assert "registry admins" in refused.json()["message"]
    limited = hub.token(ADMIN, scopes=["access:services!service=karvdash"])
    answer = requests.delete(
        hub.registry_api + path, headers={"Authorization": f"token {limited}"}, timeout=30
    )
    assert answer.status_code == 403  # an admin's token without admin scopes
    assert hub.call(USER, "GET", path).json()["digest"] == result["digest"]
    assert hub.call(USER, "POST", "/gc").status_code == 403
    deleted = hub.call(ADMIN, "DELETE", path, params={"digest": result["digest"]})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["removed_tags"] == ["v1"]
    assert hub.call(USER, "GET", path).status_code == 404
    report = hub.call(ADMIN, "POST", "/gc")
    assert report.status_code == 200, report.text
    assert report.json()["freed_bytes"] >= 1_500_000
    assert len(report.json()["blobs_deleted"]) >= 2


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def test_memory_stays_flat_for_a_large_upload(hub: Hub, repo: str, tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "big.tar", [96 << 20, 64 << 20])
    pid = hub.service_pid()
    before = status_kib(pid, "VmHWM")
    announced = announce(hub, USER, repo).json()
    with archive.open("rb") as body:
        answer = send(hub, USER, announced["id"], body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["received"] == archive.stat().st_size
    grown_mib = (status_kib(pid, "VmHWM") - before) / 1024
    assert grown_mib < 40, f"the hub service's peak memory grew by {grown_mib:.0f} MiB"


def test_a_browser_logs_in_through_oauth_and_writes_with_the_xsrf_token(hub: Hub) -> None:
    browser = requests.Session()
    browser.get(hub.url + "hub/login", timeout=30)
    form = {"username": ADMIN, "password": "any", "_xsrf": browser.cookies.get("_xsrf")}
    assert browser.post(hub.url + "hub/login", data=form, timeout=30).status_code == 200
    index = browser.get(hub.service_url, timeout=30)  # the OAuth round trip
    assert index.url == hub.service_url
    assert index.json()["user"] == ADMIN
    me = browser.get(hub.registry_api, timeout=30).json()
    assert (me["user"], me["admin"]) == (ADMIN, True)  # a hub admin, by admin:services
    forged = browser.post(hub.registry_api + "/uploads", json={"repository": "a", "tag": "b"})
    assert forged.status_code == 401  # a cookie alone cannot write: cross-site requests fail
    assert "XSRF" in forged.json()["message"]
    xsrf = browser.cookies.get("_xsrf", path="/services/karvdash/")
    allowed = browser.post(
        hub.registry_api + "/uploads",
        json={"repository": "browser/app", "tag": "v1"},
        headers={"X-XSRFToken": xsrf or ""},
        timeout=30,
    )
    assert allowed.status_code == 201, allowed.text
