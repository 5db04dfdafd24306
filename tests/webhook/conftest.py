"""Fixtures of the webhook tests (no cluster needed).

* ``tls``: a trustme CA and a serving certificate for 127.0.0.1 (files in a temp dir);
* ``start_server``: factory running a webhook (given a namespace directory) over HTTPS in
  a thread of its own, stopped at the end of the test;
* ``webhook_url`` / ``http``: one shared webhook for ``karvdash-alice`` -> ``alice`` and a
  ``requests`` session that trusts its CA.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import trustme
from karvdash_webhook.admission import Webhook
from karvdash_webhook.namespaces import NamespaceDirectory, StaticNamespaceDirectory
from karvdash_webhook.server import WebhookServer, ssl_context

from .helpers import NAMESPACE, SLUG, make_policy


@dataclass(frozen=True)
class TLSFiles:
    ca_file: str
    cert_file: str
    key_file: str


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    folder: Path = tmp_path_factory.mktemp("webhook-tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    files = TLSFiles(str(folder / "ca.pem"), str(folder / "tls.crt"), str(folder / "tls.key"))
    ca.cert_pem.write_to_path(files.ca_file)
    cert.cert_chain_pems[0].write_to_path(files.cert_file)
    cert.private_key_pem.write_to_path(files.key_file)
    return files


class ServerThread:
    """A :class:`WebhookServer` on 127.0.0.1 in its own thread and event loop."""

    def __init__(self, directory: NamespaceDirectory, tls: TLSFiles) -> None:
        self.webhook = Webhook(make_policy(), directory)
        self.tls = tls
        self.port = 0
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    async def _main(self) -> None:
        server = WebhookServer(
            self.webhook, ssl_context(self.tls.cert_file, self.tls.key_file), port=0
        )
        self.port = await server.start()
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        await self._stop.wait()
        await server.stop()

    def start(self) -> ServerThread:
        self._thread.start()
        assert self._started.wait(10), "the webhook did not start"
        return self

    def stop(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def start_server(tls: TLSFiles) -> Iterator[Callable[[NamespaceDirectory], ServerThread]]:
    started: list[ServerThread] = []

    def start(directory: NamespaceDirectory) -> ServerThread:
        server = ServerThread(directory, tls).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="module")
def webhook_url(tls: TLSFiles) -> Iterator[str]:
    server = ServerThread(StaticNamespaceDirectory({NAMESPACE: SLUG}), tls).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def http(tls: TLSFiles) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        session.verify = tls.ca_file
        yield session
