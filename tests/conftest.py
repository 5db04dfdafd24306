"""Shared fixtures.

Fixtures:

``cluster`` (session)
    The running development stack (:class:`karvdash.devstack.DevStack`): the real control
    plane and the local kubelet in a fresh temporary state folder, plus the admission
    webhook registered with it, and JupyterHub with its proxy (``cluster.hub``: its URL
    and the first admin's password; test additions in tests/hub/hub_test_config.py).
    With ``KARVDASH_TEST_KUBECONFIG=PATH`` the tests run
    against that cluster instead (kind, k3d, a real one) and no local control plane or
    kubelet is started. An ambient ``$KUBECONFIG`` is ignored.
``kubeconfig`` (session)
    Path of the cluster's admin kubeconfig.
``core`` / ``api_client`` (session)
    ``kubernetes`` (sync) CoreV1Api and ApiClient on that cluster.
``aapi_client`` (function)
    A ``kubernetes_asyncio`` ApiClient on that cluster.
``namespace`` (function)
    A fresh namespace (with its ``default`` ServiceAccount), deleted after the test.
``user_namespace`` (function)
    A fresh namespace labelled as a Karvdash user's (``karvdash.io/user``), deleted after.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

os.environ.pop("KUBECONFIG", None)  # never act on somebody's cluster by accident

from kubernetes import client, config
from kubernetes_asyncio import client as aclient
from kubernetes_asyncio import config as aconfig

from karvdash.devcluster.cluster import TEST_KUBECONFIG_ENV, DevCluster, ExternalCluster
from karvdash.devstack import DevStack
from karvdash.naming import namespace_annotations, namespace_labels

from .helpers import wait_until_pods_admitted


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cluster)


@contextlib.contextmanager
def _pod_cidr() -> Iterator[str]:
    """A /20 of loopback addresses no other test session on this machine holds.

    Notebook pods bind real sockets on their pod addresses, so two test sessions (two
    developers, or a benchmark beside the tests) must not hand out the same addresses.
    """
    for block in range(12):
        lock = open(f"/tmp/karvdash-test-pods-{block}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        try:
            yield f"127.0.{32 + 16 * block}.0/20"
        finally:
            lock.close()
        return
    raise RuntimeError("every test pod address block is taken by another test session")


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    with _pod_cidr() as pod_cidr:
        yield from _cluster(tmp_path_factory, pod_cidr)


def _cluster(tmp_path_factory: pytest.TempPathFactory, pod_cidr: str) -> Iterator[DevStack]:
    explicit = os.environ.get(TEST_KUBECONFIG_ENV)
    state = tmp_path_factory.mktemp("devstack")
    if explicit:
        target: DevCluster | ExternalCluster = ExternalCluster(Path(explicit))
    else:
        target = DevCluster(state, pod_cidr=pod_cidr, node_name="karvdash-test")
    stack = DevStack(
        target,
        state_dir=state,
        progress=lambda m: print(f"[dev stack] {m}"),
        hub_extra_config=[Path(__file__).parent / "hub" / "hub_test_config.py"],
    )
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def kubeconfig(cluster: DevStack) -> Path:
    return cluster.cluster.kubeconfig


@pytest.fixture(scope="session")
def api_client(kubeconfig: Path) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(str(kubeconfig))
    yield api
    api.close()


@pytest.fixture(scope="session")
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture
async def aapi_client(kubeconfig: Path) -> AsyncIterator[aclient.ApiClient]:
    cfg = aclient.Configuration()
    await aconfig.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    api = aclient.ApiClient(cfg)
    yield api
    await api.close()


def _make_namespace(
    core: client.CoreV1Api, name: str, labels: dict[str, str], annotations: dict[str, str]
) -> str:
    core.create_namespace(
        {"metadata": {"name": name, "labels": labels, "annotations": annotations}}
    )
    wait_until_pods_admitted(core, name)
    return name


def _drop_namespace(core: client.CoreV1Api, name: str) -> None:
    try:
        core.delete_namespace(name)
    except client.ApiException as exc:
        if exc.status != 404:
            raise


@pytest.fixture
def namespace(core: client.CoreV1Api) -> Iterator[str]:
    name = _make_namespace(core, f"test-{secrets.token_hex(4)}", {"karvdash.io/test": "true"}, {})
    yield name
    _drop_namespace(core, name)


@pytest.fixture
def user_namespace(core: client.CoreV1Api) -> Iterator[str]:
    user = f"user{secrets.token_hex(3)}"
    labels = {**namespace_labels(user), "karvdash.io/test": "true"}
    name = _make_namespace(core, f"karvdash-{user}", labels, namespace_annotations(user))
    yield name
    _drop_namespace(core, name)
