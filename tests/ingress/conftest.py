"""Fixtures of the ingress tests: services of two users behind a real nginx and a real hub.

``edge_address`` (session)
    A loopback address (``127.0.240.x``) no other test session holds; nginx listens on its
    ports 80 and 443, so addresses carry no port, as on a real cluster.
``tls`` (session)
    A test CA and a certificate for ``DOMAIN`` and ``*.DOMAIN`` (the dev stack's
    ``ingress_domain``) (:class:`Tls`: ``cert``, ``key``, ``ca``).
``ingress_hub`` (session)
    JupyterHub with the Karvdash service (:mod:`tests.hubproc`), which follows the dev cluster
    with the hub's ServiceAccount (the rights of deploy/hub/rbac.yaml) and signs with
    ``secret_file``; users ``people.alice``, ``people.bob`` and the admin ``people.boss``,
    each with an API token.
``published`` (session)
    Services made by the template engine (``karvdash.services.ServiceManager``) in the
    dev cluster: ``web`` and ``files`` of alice, ``web`` of bob; their Ingresses as the API
    server holds them (:class:`Published`).
``edge`` (session)
    nginx rendering those Ingresses as ingress-nginx does (:mod:`.edge`), a recording
    backend per service, the hub at ``https://<DOMAIN>/``, and a host no service
    publishes (``ghost-<alice>``) with the same annotations; see :class:`Edge`.
"""

from __future__ import annotations

import contextlib
import fcntl
import secrets
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import trustme
from kubernetes import client as kclient
from kubernetes_asyncio import client as aclient
from kubernetes_asyncio import config as aconfig

from karvdash.devstack import DevStack
from karvdash.naming import namespace_annotations, namespace_for, namespace_labels
from karvdash.services import ServiceManager
from karvdash.settings import Karvdash, load_settings

from ..helpers import wait_for, wait_until_pods_admitted
from ..hubproc import Hub, start_hub
from .edge import Backend, Nginx, hub_block, ingress_rules, nginx_conf, server_block

DOMAIN = load_settings().ingress_domain
"""The dev stack's ``ingress_domain``, read from the environment the stack reads: its
admission webhook admits Ingresses in user namespaces only for hosts under it."""
HUB_HOST = DOMAIN


@dataclass
class Tls:
    cert: Path
    key: Path
    ca: Path

    @property
    def pair(self) -> tuple[Path, Path]:
        return self.cert, self.key


@dataclass
class People:
    alice: str
    bob: str
    boss: str


@dataclass
class Published:
    """Service name (``alice/web``) -> its Ingress as the API server holds it."""

    ingresses: dict[str, dict[str, Any]]

    def host(self, key: str) -> str:
        return ingress_rules(self.ingresses[key])[0]


@dataclass
class Edge:
    address: str
    tls: Tls
    backends: dict[str, Backend] = field(default_factory=dict)
    """Host -> its service's backend."""

    def request(
        self, method: str, host: str, path: str = "/", *, scheme: str = "https", **kwargs: Any
    ) -> requests.Response:
        """A request to ``host`` through nginx (redirects not followed)."""
        headers = {"Host": host, **kwargs.pop("headers", {})}
        return requests.request(
            method,
            f"{scheme}://{self.address}{path}",
            headers=headers,
            verify=str(self.tls.ca),
            allow_redirects=False,
            timeout=30,
            **kwargs,
        )

    def get(self, host: str, path: str = "/", **kwargs: Any) -> requests.Response:
        return self.request("GET", host, path, **kwargs)

    def raw(self, request: bytes, server_name: str) -> tuple[int, bytes]:
        """Send ``request`` as it is over TLS (SNI ``server_name``): the status and the
        body, for requests no HTTP library writes (an absolute request line, odd Hosts)."""
        context = ssl.create_default_context(cafile=str(self.tls.ca))
        with (
            socket.create_connection((self.address, 443), timeout=30) as plain,
            context.wrap_socket(plain, server_hostname=server_name) as conn,
        ):
            conn.sendall(request)
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split(b" ", 2)[1]), body


@pytest.fixture(scope="session")
def edge_address() -> Iterator[str]:
    for last in range(1, 60):
        lock = open(f"/tmp/karvdash-test-edge-{last}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        try:
            yield f"127.0.240.{last}"
        finally:
            lock.close()
        return
    raise RuntimeError("every test edge address is taken by another test session")


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory, edge_address: str) -> Tls:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert(DOMAIN, f"*.{DOMAIN}", edge_address)
    paths = Tls(folder / "cert.pem", folder / "key.pem", folder / "ca.pem")
    cert.cert_chain_pems[0].write_to_path(str(paths.cert))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(paths.cert), append=True)
    cert.private_key_pem.write_to_path(str(paths.key))
    ca.cert_pem.write_to_path(str(paths.ca))
    return paths


@pytest.fixture(scope="session")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ingress-secret") / "key"
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="session")
def people() -> People:
    tag = secrets.token_hex(3)
    return People(alice=f"alice{tag}", bob=f"bob{tag}", boss=f"boss{tag}")


@pytest.fixture(scope="session")
def ingress_hub(
    cluster: DevStack, tmp_path_factory: pytest.TempPathFactory, secret_file: Path, people: People
) -> Iterator[Hub]:
    # the hub's ServiceAccount has the rights of deploy/hub/rbac.yaml, which the dev stack
    # applies: listing and watching Ingresses among them
    assert cluster.hub is not None, "the dev stack runs the hub (its ServiceAccount's token)"
    env = {
        "KUBECONFIG": str(cluster.hub.kubeconfig),
        "KARVDASH_INGRESS_DOMAIN": DOMAIN,
        "KARVDASH_INGRESS_SECRET_FILE": str(secret_file),
    }
    folder = tmp_path_factory.mktemp("ingress-hub")
    with start_hub(folder, admins=frozenset({people.boss}), service_env=env) as hub:
        hub.add_user(people.alice)
        hub.add_user(people.bob)
        hub.add_user(people.boss)
        yield hub


def service_settings(cluster: DevStack, hub: Hub) -> Karvdash:
    """The settings the template engine uses, as in production: ``ingress_auth_url`` is the
    default in-cluster address of the hub's proxy (the dev webhook admits only Ingresses
    with the annotations its settings make); the edge maps that name to ``hub``."""
    return load_settings(
        env=cluster.env,
        overrides={
            "ingress_domain": DOMAIN,
            "ingress_signin_url": f"https://{HUB_HOST}/services/karvdash/ingress/signin",
        },
    )


def auth_upstream(hub: Hub) -> str:
    """An nginx ``upstream`` block giving the host of ``ingress_auth_url`` (a cluster DNS
    name) the hub's loopback address, as cluster DNS would."""
    name = urlsplit(load_settings().ingress_auth_url).netloc
    return f"  upstream {name} {{ server {hub.upstream}; }}\n"


@contextlib.asynccontextmanager
async def admin_client(kubeconfig: Path) -> AsyncIterator[aclient.ApiClient]:
    cfg = aclient.Configuration()
    await aconfig.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
    api = aclient.ApiClient(cfg)
    try:
        yield api
    finally:
        await api.close()


def make_user_namespace(core: kclient.CoreV1Api, user: str) -> str:
    name = namespace_for(user)
    meta = {"name": name, "labels": namespace_labels(user)}
    core.create_namespace({"metadata": {**meta, "annotations": namespace_annotations(user)}})
    wait_until_pods_admitted(core, name)
    return name


@pytest.fixture(scope="session")
async def published(
    cluster: DevStack, ingress_hub: Hub, people: People
) -> AsyncIterator[Published]:
    from kubernetes import config

    api = config.new_client_from_config(str(cluster.cluster.kubeconfig))
    core = kclient.CoreV1Api(api)
    settings = service_settings(cluster, ingress_hub)
    made = [make_user_namespace(core, user) for user in (people.alice, people.bob)]
    ingresses: dict[str, dict[str, Any]] = {}
    try:
        async with admin_client(cluster.cluster.kubeconfig) as aapi:
            for user, name in ((people.alice, "web"), (people.alice, "files"), (people.bob, "web")):
                manager = ServiceManager(aapi, settings, user, namespace_for(user))
                await manager.create("nginx", {"FOLDER": "www"}, name=name)
        networking = kclient.NetworkingV1Api(api)
        for user, name in ((people.alice, "web"), (people.alice, "files"), (people.bob, "web")):
            found = networking.read_namespaced_ingress(name, namespace_for(user))
            ingresses[f"{user}/{name}"] = api.sanitize_for_serialization(found)
        yield Published(ingresses)
    finally:
        for name in made:
            with contextlib.suppress(kclient.ApiException):
                core.delete_namespace(name)
        api.close()


@pytest.fixture(scope="session")
def edge(
    tmp_path_factory: pytest.TempPathFactory,
    edge_address: str,
    tls: Tls,
    ingress_hub: Hub,
    published: Published,
    people: People,
) -> Iterator[Edge]:
    edge = Edge(edge_address, tls)
    servers = [
        auth_upstream(ingress_hub),
        hub_block(HUB_HOST, ingress_hub.upstream, edge_address, tls.pair),
    ]
    ghost_source = published.ingresses[f"{people.alice}/web"]
    ghost_host = f"ghost-{people.alice}.{DOMAIN}"
    entries = [
        (*ingress_rules(i), i["metadata"]["annotations"]) for i in published.ingresses.values()
    ]
    entries.append((ghost_host, "/", ghost_source["metadata"]["annotations"]))
    for host, path, notes in entries:
        backend = Backend(host.split(".")[0])
        backend.start()
        edge.backends[host] = backend
        servers.append(server_block(host, notes, backend.address, edge_address, tls.pair, path))
    folder = tmp_path_factory.mktemp("nginx")
    nginx = Nginx(folder, nginx_conf(folder, edge_address, tls.pair, servers))
    try:
        nginx.start(edge_address)
        # the service learns of the Ingresses through its watch: wait until it knows them
        for key, ingress in published.ingresses.items():
            host = ingress_rules(ingress)[0]
            auth = {"Authorization": f"token {ingress_hub.tokens[key.split('/')[0]]}"}

            def opens(host: str = host, auth: dict[str, str] = auth) -> bool:
                return edge.get(host, headers=auth).status_code == 200

            wait_for(opens, timeout=60, what=f"{host} to open to its owner")
        for backend in edge.backends.values():
            backend.seen.clear()
        yield edge
    finally:
        nginx.stop()
        for backend in edge.backends.values():
            backend.stop()
