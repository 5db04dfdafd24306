"""Fixtures of the REST API tests.

``plain_server`` (module)
    A real ``jupyter server`` as user ``alice`` with its own token and no cluster: for
    authentication, error shape and ``info``.
``denying_server`` (module)
    The same with an authorizer that refuses the ``karvdash`` resource.
``user_server`` (module)
    A server on the dev cluster acting, like a notebook pod, with the service account of
    a fresh user namespace (admin of that namespace only); the namespace is removed after.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from kubernetes import client

from karvdash.naming import namespace_annotations, namespace_labels

from ..conftest import _drop_namespace, _make_namespace
from .servers import Server, grant_namespace_admin, start_jupyter_server, user_kubeconfig

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
    """A fresh Karvdash user and their namespace (with the namespace-admin binding)."""
    user = f"user{secrets.token_hex(3)}"
    labels = {**namespace_labels(user), "karvdash.io/test": "true"}
    namespace = _make_namespace(core, f"karvdash-{user}", labels, namespace_annotations(user))
    grant_namespace_admin(core, api_client, namespace)
    yield user, namespace
    _drop_namespace(core, namespace)


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
