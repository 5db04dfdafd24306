"""Fixtures of the REST API tests.

``plain_server`` (module)
    A real ``jupyter server`` as user ``alice`` with its own token and no cluster: for
    authentication, error shape and ``info``.
``denying_server`` (module)
    The same with an authorizer that refuses the ``karvdash`` resource.
``server_user`` / ``other_user`` (module)
    Fresh users on the dev cluster, ``(user, namespace)``, each namespace's ``default``
    service account admin of that namespace only.
``user_server`` (module)
    A server on the dev cluster acting for ``server_user`` as a notebook pod does: with
    the namespace's service account, under a JupyterHub-like base URL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from .accounts import user_kubeconfig, user_namespace
from .servers import Server, start_jupyter_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("plain-server")
    with start_jupyter_server(folder, {"KARVDASH_USER": "alice"}) as server:
        yield server


@pytest.fixture(scope="module")
def denying_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("denying-server")
    env = {"KARVDASH_USER": "alice", "PYTHONPATH": str(REPO)}
    args = ("--ServerApp.authorizer_class=tests.server.authorizers.DenyKarvdash",)
    with start_jupyter_server(folder, env, args=args) as server:
        yield server


@pytest.fixture(scope="module")
def server_user(core: client.CoreV1Api, api_client: client.ApiClient) -> Iterator[tuple[str, str]]:
    yield from user_namespace(core, api_client)


@pytest.fixture(scope="module")
def other_user(core: client.CoreV1Api, api_client: client.ApiClient) -> Iterator[tuple[str, str]]:
    yield from user_namespace(core, api_client)


@pytest.fixture(scope="module")
def user_server(
    tmp_path_factory: pytest.TempPathFactory,
    core: client.CoreV1Api,
    kubeconfig: Path,
    server_user: tuple[str, str],
) -> Iterator[Server]:
    user, namespace = server_user
    folder = tmp_path_factory.mktemp("user-server")
    config = user_kubeconfig(core, kubeconfig, namespace, folder / "user.kubeconfig")
    env = {"KARVDASH_USER": user, "KUBECONFIG": str(config)}
    with start_jupyter_server(folder, env, base_url="/user/someone/") as server:
        yield server
    # the one Kubernetes client was closed when the server stopped
    log = server.log_text()
    assert "Karvdash: stopped" in log
    assert "Unclosed" not in log
