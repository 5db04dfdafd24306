"""The local kubelet's API: ``GET /containerLogs/<namespace>/<pod>/<container>`` (I/O).

Served over HTTPS on the node's address, on the port the Node announces in
``status.daemonEndpoints.kubeletEndpoint.Port``, where the API server sends ``pods/log``
(``kubectl logs``). Like a kubelet with ``--client-ca-file``: a request without a client
certificate is refused with 401, one signed by another CA fails the TLS handshake, and
an identity other than the API server's kubelet client gets 403 (a real kubelet would ask
the API server, with a SubjectAccessReview, whether the caller may use ``nodes/proxy``;
this one serves the API server alone).

Query parameters and refusals are the kubelet's (``logrequest.py``); the text comes from
the container's CRI log file (``crilog.py``). ``follow=true`` streams new output until
the container instance stops running or the caller goes away.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from aiohttp import web

from . import crilog
from . import logrequest as lr
from .kubeletpki import KUBELET_CLIENT

Json = dict[str, Any]
FOLLOW_POLL = 0.2
"""Seconds between looks for new output while following."""

_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_SUBRESOURCES = (
    ("/stats/", "stats"),
    ("/metrics", "metrics"),
    ("/logs/", "log"),
    ("/spec/", "spec"),
)


@dataclass
class PodLogs:
    """What the kubelet knows of one pod, for its logs."""

    name: str
    uid: str
    containers: list[str]
    statuses: list[Json]  # containerStatuses and initContainerStatuses
    log_dir: Path


class LogHost(Protocol):
    def pod_logs(self, namespace: str, name: str) -> PodLogs | None: ...


@dataclass
class KubeletTLS:
    """The kubelet's ``--tls-cert-file``, ``--tls-private-key-file`` and ``--client-ca-file``."""

    cert_file: Path
    key_file: Path
    client_ca_file: Path


def tls_context(tls: KubeletTLS) -> ssl.SSLContext:
    """Serve with the kubelet's certificate; ask for a client certificate from the CA."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tls.client_ca_file))
    ctx.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    ctx.verify_mode = ssl.CERT_OPTIONAL
    return ctx


def client_identity(peercert: Any) -> str | None:
    """The common name of a verified client certificate (``ssl`` ``getpeercert()`` form)."""
    if not peercert:
        return None
    for rdn in peercert.get("subject", ()):
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


def forbidden_message(user: str, method: str, path: str) -> str:
    """The kubelet's 403 text: what the caller asked for, as authorization attributes."""
    verb = _VERBS.get(method, method.lower())
    sub = next((name for prefix, name in _SUBRESOURCES if path.startswith(prefix)), "proxy")
    return f"Forbidden (user={user}, verb={verb}, resource=nodes, subresource={sub})"


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text, content_type="text/plain")


def authenticate(allowed: frozenset[str]) -> Any:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        transport = request.transport
        user = client_identity(transport.get_extra_info("peercert") if transport else None)
        if user is None:
            return _text(401, "Unauthorized")
        if user not in allowed:
            return _text(403, forbidden_message(user, request.method, request.path))
        return await handler(request)

    return middleware


@dataclass
class LogReader:
    """Reads the records of one log file, from a tail and then as they come, across
    rotations (the file renamed and a new one made under its name)."""

    path: Path
    file: IO[bytes] | None = None
    pending: bytes = field(default=b"")

    def _open(self) -> bool:
        try:
            self.file = self.path.open("rb")
        except FileNotFoundError:
            return False  # the container printed nothing yet (or runs no process here)
        return True

    def first(self, tail: int | None, follow: bool) -> list[crilog.Record]:
        if not self._open():
            return []
        assert self.file is not None
        data = self.file.read()
        data = data[crilog.tail_start(data, tail) :]
        return self._complete(data) if follow else crilog.parse_records(data)

    def more(self) -> list[crilog.Record]:
        if self.file is None and not self._open():
            return []
        assert self.file is not None
        data = self.file.read()
        if not data and self._rotated():
            self.file.close()
            self.file = None
            return self.more()
        return self._complete(data)

    def _rotated(self) -> bool:
        assert self.file is not None
        try:
            return os.stat(self.path).st_ino != os.fstat(self.file.fileno()).st_ino
        except FileNotFoundError:
            return False

    def _complete(self, data: bytes) -> list[crilog.Record]:
        data = self.pending + data
        end = data.rfind(b"\n") + 1
        self.pending = data[end:]
        return crilog.parse_records(data[:end])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


class ContainerLogs:
    """The ``/containerLogs`` handler over a :class:`LogHost`."""

    def __init__(self, host: LogHost) -> None:
        self.host = host

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        ns = request.match_info["namespace"]
        name = request.match_info["pod"]
        container = request.match_info["container"]
        try:
            options = lr.parse_options(request.query, time.time_ns())
            pod = self.host.pod_logs(ns, name)
            if pod is None:
                raise lr.LogRequestError(404, f"pod {lr.quote(name)} does not exist")
            if container not in pod.containers:
                raise lr.LogRequestError(
                    404, f"container {lr.quote(container)} not found in pod {lr.quote(name)}"
                )
            wanted = lr.choose_container_id(pod.name, pod.statuses, container, options.previous)
        except lr.LogRequestError as exc:
            return _text(exc.status, exc.message)
        status = next(s for s in pod.statuses if s.get("name") == container)
        instance = lr.instance_of(pod.uid, status, wanted)
        # no file (an instance that printed nothing, or that runs no process here): empty
        path = lr.log_file(pod.log_dir, container, instance if instance is not None else -1)
        response = web.StreamResponse(headers={"Content-Type": "text/plain; charset=utf-8"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        renderer = crilog.LogRenderer(
            since=options.since, timestamps=options.timestamps, limit=options.limit_bytes
        )
        reader = LogReader(path)
        try:
            records = await asyncio.to_thread(reader.first, options.tail_lines, options.follow)
            await response.write(renderer.render(records))
            if options.follow:
                await self._follow(response, reader, renderer, (ns, name, container, wanted))
        except ConnectionResetError:
            return response  # the caller went away
        finally:
            reader.close()
        await response.write_eof()
        return response

    async def _follow(
        self,
        response: web.StreamResponse,
        reader: LogReader,
        renderer: crilog.LogRenderer,
        which: tuple[str, str, str, str],
    ) -> None:
        ns, name, container, wanted = which
        while not renderer.done:
            records = reader.more()
            if records:
                await response.write(renderer.render(records))
                continue
            pod = self.host.pod_logs(ns, name)
            if pod is None or not lr.is_running(pod.statuses, container, wanted):
                await response.write(renderer.render(reader.more()))
                return
            await asyncio.sleep(FOLLOW_POLL)


async def healthz(request: web.Request) -> web.Response:
    return _text(200, "ok")


def make_app(
    host: LogHost, allowed: frozenset[str] = frozenset({KUBELET_CLIENT})
) -> web.Application:
    app = web.Application(middlewares=[authenticate(allowed)])
    app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", ContainerLogs(host))
    app.router.add_get("/healthz", healthz)
    return app


async def serve(
    app: web.Application, address: str, port: int, tls: KubeletTLS
) -> tuple[web.AppRunner, int]:
    """Start serving ``app`` on ``address``:``port`` (0: a free port); returns the runner
    (to stop it) and the port."""
    sock = socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    bound = int(sock.getsockname()[1])
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    await web.SockSite(runner, sock, ssl_context=tls_context(tls)).start()
    return runner, bound
