"""Fixtures of the hub tests (the hub itself is part of the session ``cluster`` stack).

``hub_url`` (session)
    The public URL of the dev stack's hub (through configurable-http-proxy).
``admin`` (session)
    A :class:`HubClient` logged in as the first admin, with the password the stack made.
``admin_token`` (session)
    A REST API token of the first admin.
``new_username`` (function)
    A factory of fresh user names; at the end of the test the hub users are deleted and
    their namespaces removed (the data folders stay, as in production).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for

from .hubclient import HubClient, api, wait_stopped


@pytest.fixture(scope="session")
def hub_url(cluster: DevStack) -> str:
    assert cluster.hub is not None
    return cluster.hub.url


@pytest.fixture(scope="session")
def admin(cluster: DevStack, hub_url: str) -> HubClient:
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    browser = HubClient(hub_url)
    browser.log_in("admin", cluster.hub.admin_password)
    assert browser.logged_in
    return browser


@pytest.fixture(scope="session")
def admin_token(admin: HubClient) -> str:
    return admin.new_token("admin")


@pytest.fixture
def new_username(
    hub_url: str, admin_token: str, core: client.CoreV1Api
) -> Iterator[Callable[[str], str]]:
    made: list[str] = []

    def make(prefix: str = "user") -> str:
        name = f"{prefix}{secrets.token_hex(3)}"
        made.append(name)
        return name

    yield make
    for name in made:
        model = api(hub_url, admin_token, "GET", f"/users/{quote(name)}")
        if model.status_code == 200:
            normalised = model.json()["name"]
            if model.json().get("servers"):
                api(hub_url, admin_token, "DELETE", f"/users/{quote(normalised)}/server")
                wait_stopped(hub_url, admin_token, normalised)
            api(hub_url, admin_token, "DELETE", f"/users/{quote(normalised)}")
            name = normalised
        try:
            core.delete_namespace(namespace_for(name))
        except client.ApiException as exc:
            if exc.status != 404:
                raise
