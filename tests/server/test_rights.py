"""The extension acts with the user's own service account: pointed at another user's
namespace, Kubernetes refuses and the user gets a clear 403."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from .accounts import user_kubeconfig
from .servers import Server, start_jupyter_server


@pytest.fixture(scope="module")
def trespassing_server(
    tmp_path_factory: pytest.TempPathFactory,
    core: client.CoreV1Api,
    kubeconfig: Path,
    server_user: tuple[str, str],
    other_user: tuple[str, str],
) -> Iterator[Server]:
    """A server with the first user's account, told to act in the second user's namespace."""
    user, namespace = server_user
    folder = tmp_path_factory.mktemp("trespassing-server")
    config = user_kubeconfig(core, kubeconfig, namespace, folder / "user.kubeconfig")
    env = {"KARVDASH_USER": user, "KARVDASH_NAMESPACE": other_user[1], "KUBECONFIG": str(config)}
    with start_jupyter_server(folder, env) as server:
        yield server


def test_another_namespace_is_refused_by_kubernetes(
    trespassing_server: Server, other_user: tuple[str, str]
) -> None:
    _, namespace = other_user
    listing = trespassing_server.call("GET", "services")
    assert listing.status_code == 403, listing.text
    assert listing.json()["reason"] == "Forbidden"
    assert listing.json()["message"].startswith("listing services: ")
    assert f'in the namespace "{namespace}"' in listing.json()["message"]

    launch = trespassing_server.call("POST", "services", json={"template": "hello-kubernetes"})
    assert launch.status_code == 403, launch.text


def test_the_system_templates_stay_readable(trespassing_server: Server) -> None:
    answer = trespassing_server.call("GET", "templates")
    assert answer.status_code == 200, answer.text
    assert all(t["system"] for t in answer.json())
