"""Fixtures of the registry tests.

``registry`` (session)
    A real registry: :class:`karvdash.devcluster.registry.DevRegistry` (Debian's
    docker-registry, TLS, htpasswd, deletion enabled) in a temporary folder.
``gateway`` (function)
    A :class:`karvdash.registry.RegistryGateway` on that registry, closed after the test.
``repo`` (function)
    A repository name no other test uses.
``hub`` (session)
    A real JupyterHub (configurable-http-proxy, DummyAuthenticator, SimpleLocalProcessSpawner)
    on 127.0.0.1 running the Karvdash hub service against ``registry``
    (:func:`karvdash_hub.service.config.configure_karvdash_service`), with an admin
    ``regadmin`` and a user ``alice`` and an API token of each; see :mod:`.registry_hub`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from karvdash.devcluster.registry import DevRegistry
from karvdash.registry import RegistryClient, RegistryGateway

from ..hubproc import Hub
from .registry_hub import start_registry_hub


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevRegistry]:
    reg = DevRegistry(tmp_path_factory.mktemp("registry"))
    reg.start()
    try:
        yield reg
    finally:
        reg.stop()


def make_gateway(registry: DevRegistry) -> RegistryGateway:
    client = RegistryClient(
        registry.url,
        username=registry.username,
        password=registry.password,
        ca_file=str(registry.ca_file),
    )
    return RegistryGateway(
        client, gc_command=registry.gc_command, storage_dir=str(registry.storage_dir)
    )


@pytest.fixture
async def gateway(registry: DevRegistry) -> AsyncIterator[RegistryGateway]:
    gw = make_gateway(registry)
    yield gw
    await gw.close()


@pytest.fixture
def repo() -> str:
    return f"test/r{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def hub(registry: DevRegistry, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with start_registry_hub(tmp_path_factory.mktemp("hub"), registry) as running:
        yield running


@pytest.fixture(scope="session")
async def many_repos(registry: DevRegistry) -> list[str]:
    """250 repositories ``many<hex>/rNNN`` with one tag each, in the session's registry."""
    import asyncio

    from .helpers import push_tiny

    prefix = f"many{secrets.token_hex(3)}"
    names = [f"{prefix}/r{i:03d}" for i in range(250)]
    gw = make_gateway(registry)
    sem = asyncio.Semaphore(8)

    async def one(name: str) -> None:
        async with sem:
            await push_tiny(gw, name, "v1")

    try:
        await asyncio.gather(*map(one, names))
    finally:
        await gw.close()
    return names
