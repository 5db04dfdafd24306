"""The HTTPS server around the Tornado app, usable in-process (tests, ``karvdash dev``).

    server = WebhookServer(webhook, ssl_context(cert, key), address="127.0.0.1", port=0)
    port = await server.start()
    ...
    await server.stop()

:func:`make_http_server` is the one place the HTTP layer is tuned, shared with the
benchmark's floor server so both run the same stack.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl

from tornado import netutil, web
from tornado.httpserver import HTTPServer

from .admission import Webhook
from .app import DRAIN_LIMIT, make_app
from .metrics import Metrics

log = logging.getLogger(__name__)


def ssl_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server TLS context (TLS 1.2 or newer) serving ``cert_file``/``key_file``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def make_http_server(app: web.Application, context: ssl.SSLContext | None) -> HTTPServer:
    """An HTTP(S) server for ``app`` with the webhook's limits."""
    return HTTPServer(
        app,
        ssl_options=context,
        max_body_size=DRAIN_LIMIT,
        body_timeout=10.0,
        idle_connection_timeout=120.0,
        xheaders=False,
    )


class WebhookServer:
    """The webhook app listening on ``address:port`` (``port=0``: any free port)."""

    def __init__(
        self,
        webhook: Webhook,
        context: ssl.SSLContext | None,
        *,
        address: str = "127.0.0.1",
        port: int = 8443,
        metrics: Metrics | None = None,
    ) -> None:
        self.webhook = webhook
        self.metrics = metrics if metrics is not None else Metrics()
        self.registered = True
        """Set to False while a registration is pending: /readyz waits for it too."""
        self.app = make_app(webhook, self.metrics, ready=self.ready)
        self.context = context
        self.address = address
        self.port = port
        self._http: HTTPServer | None = None
        self._sockets: list[socket.socket] = []

    def ready(self) -> bool:
        """Ready to serve: the namespace directory has synced and registration is done."""
        return self.registered and self.webhook.directory.ready

    @property
    def url(self) -> str:
        scheme = "https" if self.context is not None else "http"
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{scheme}://{host}:{self.port}"

    async def start(self) -> int:
        """Listen, then start the namespace directory; returns the port."""
        self._sockets = netutil.bind_sockets(self.port, self.address)
        self.port = self._sockets[0].getsockname()[1]
        self._http = make_http_server(self.app, self.context)
        self._http.add_sockets(self._sockets)
        log.info("Karvdash webhook listening on %s", self.url)
        await self.webhook.directory.start()
        return self.port

    async def stop(self, grace: float = 5.0) -> None:
        """Stop listening, let open requests finish (up to ``grace`` s), stop the directory."""
        if self._http is not None:
            self._http.stop()
            try:
                await asyncio.wait_for(self._http.close_all_connections(), grace)
            except TimeoutError:
                log.warning("connections still open after %.1f s; closing anyway", grace)
            self._http = None
        await self.webhook.directory.stop()
