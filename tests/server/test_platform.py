"""The whole platform: a user's JupyterLab pod, spawned by the dev stack's hub with
KarvdashSpawner and run by the local kubelet with the namespace's service account,
serves the Karvdash REST API through the proxy; the user launches, watches and removes
a service with their hub token, and another user's token is refused."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for

from ..hub.hubclient import HubClient, api, wait_server, wait_stopped
from .openapi import check_answer


class Api:
    """The Karvdash API of one user's server, called with one token."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        answer = requests.request(
            method,
            f"{self.base}karvdash/api/{path}",
            headers={"Authorization": f"token {self.token}"},
            timeout=60,
            allow_redirects=False,
            **kwargs,
        )
        check_answer(method, f"/{path}", answer)
        return answer


@pytest.fixture(scope="module")
def platform_users(cluster: DevStack, core: client.CoreV1Api) -> Iterator[tuple[Api, Api, str]]:
    """``(owner's API, the same server with a stranger's token, owner's name)``."""
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    url = cluster.hub.url
    admin = HubClient(url)
    admin.log_in("admin", cluster.hub.admin_password)
    admin_token = admin.new_token("admin")
    owner, stranger = f"svc{secrets.token_hex(3)}", f"other{secrets.token_hex(3)}"
    for name in (owner, stranger):
        assert api(url, admin_token, "POST", f"/users/{name}").status_code == 201
    assert api(url, admin_token, "POST", f"/users/{owner}/server").status_code in (201, 202)
    server = wait_server(url, admin_token, owner)
    base = f"{url.rstrip('/')}{server['url']}"
    try:
        yield (
            Api(base, admin.new_token(owner)),
            Api(base, admin.new_token(stranger)),
            owner,
        )
    finally:
        api(url, admin_token, "DELETE", f"/users/{owner}/server")
        wait_stopped(url, admin_token, owner)
        for name in (owner, stranger):
            api(url, admin_token, "DELETE", f"/users/{quote(name)}")
            try:
                core.delete_namespace(namespace_for(name))
            except client.ApiException as exc:
                if exc.status != 404:
                    raise


def test_a_user_manages_services_from_their_notebook_server(
    platform_users: tuple[Api, Api, str],
) -> None:
    owner_api, _, owner = platform_users
    info = owner_api("GET", "info").json()
    assert (info["user"], info["namespace"]) == (owner, namespace_for(owner))

    launched = owner_api("POST", "services", json={"template": "hello-kubernetes"})
    assert launched.status_code == 201, launched.text
    name = launched.json()["name"]
    deadline = time.monotonic() + 60
    while owner_api("GET", f"services/{name}").json()["status"] != "Running":
        assert time.monotonic() < deadline, "the service did not run"
        time.sleep(0.3)
    assert [s["name"] for s in owner_api("GET", "services").json()] == [name]

    removed = owner_api("DELETE", f"services/{name}")
    assert removed.status_code == 200, removed.text
    assert owner_api("GET", "services").json() == []


def test_another_users_hub_token_is_refused(platform_users: tuple[Api, Api, str]) -> None:
    _, stranger_api, _ = platform_users
    for method, path in (("GET", "services"), ("POST", "services"), ("GET", "info")):
        answer = stranger_api(method, path, json={"template": "hello-kubernetes"})
        assert answer.status_code == 403, answer.text
