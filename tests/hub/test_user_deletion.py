"""Deleting a user from the hub: the namespace goes only when the operator says so, and the
data folders always stay."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for, user_slug

from .hubclient import api, wait_server, wait_stopped

HERE = Path(__file__).parent


def _user_with_data(cluster: DevStack, hub_url: str, token: str, name: str) -> Path:
    assert api(hub_url, token, "POST", "/users", json={"usernames": [name]}).ok
    assert api(hub_url, token, "POST", f"/users/{name}/server").status_code in (201, 202)
    wait_server(hub_url, token, name)
    folder = Path(cluster.state_dir) / "data" / "local" / user_slug(name)
    assert folder.is_dir()  # the server's /local
    (folder / "thesis.tex").write_text("years of work")
    assert api(hub_url, token, "DELETE", f"/users/{name}/server").status_code in (202, 204)
    wait_stopped(hub_url, token, name)
    return folder


def _gone(core: client.CoreV1Api, namespace: str) -> bool:
    try:
        ns = core.read_namespace(namespace)
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return ns.status.phase == "Terminating"


def test_deleting_a_user_keeps_their_namespace_and_data_by_default(
    cluster: DevStack,
    hub_url: str,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    name = new_username("frank")
    folder = _user_with_data(cluster, hub_url, admin_token, name)

    assert api(hub_url, admin_token, "DELETE", f"/users/{name}").status_code == 204

    assert core.read_namespace(namespace_for(name)).status.phase == "Active"
    assert (folder / "thesis.tex").read_text() == "years of work"


@pytest.fixture
def deleting_hub(cluster: DevStack) -> Iterator[None]:
    """The hub restarted with ``delete_namespace_on_user_delete``; restored afterwards."""
    assert cluster.hub is not None
    before = list(cluster.hub.extra_config)
    cluster.restart_hub([*before, HERE / "hub_test_delete_namespaces.py"])
    try:
        yield
    finally:
        cluster.restart_hub(before)


def test_the_operator_option_deletes_the_namespace_but_never_the_data(
    cluster: DevStack,
    hub_url: str,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
    deleting_hub: None,
) -> None:
    name = new_username("grace")
    folder = _user_with_data(cluster, hub_url, admin_token, name)

    assert api(hub_url, admin_token, "DELETE", f"/users/{name}").status_code == 204

    assert _gone(core, namespace_for(name))
    assert (folder / "thesis.tex").read_text() == "years of work"
