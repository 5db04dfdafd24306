"""``/karvdash/api/images...``: the hub service's registry gateway, for JupyterLab and magics.

Every request is forwarded to ``<registry_gateway_url>api/registry...`` (the hub service,
see karvdash_hub/service/registry.py and docs/registry.md) with the server's
``$JUPYTERHUB_API_TOKEN``: the hub service sees the server's owner, with the scopes
JupyterHub gave that token, which never exceed the owner's own (so only an admin's
server can delete images). Hence only the owner may use these endpoints, not another
user who was let into the server.

Uploads (``PUT /images/uploads/<id>``) are streamed: each chunk of the request body is
sent on as it arrives, and the client waits while the hub service is busy, so memory
does not grow with the archive. Answers, errors included (``{"message", "reason"}``),
come back as the hub service gave them; a hub service that cannot be reached is a 502.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any
from urllib.parse import quote, urlencode

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from jupyter_server.auth.utils import HTTP_METHOD_TO_AUTH_ACTION
from tornado import httpclient, web

from karvdash.registry.stream import BytePipe
from karvdash.settings import load_settings

from .context import SETTINGS_KEY
from .handlers.base import KarvdashHandler

MAX_SMALL_BODY = 1024 * 1024
"""Bodies of requests other than uploads (JSON) are read whole, up to this size."""
UPLOAD_TIMEOUT = 24 * 3600.0
API_TIMEOUT = 600.0
FORWARDED = ("Content-Type", "Accept")


def _gateway_url(handler: web.RequestHandler) -> str:
    session = handler.settings.get(SETTINGS_KEY)
    if session is not None:
        return str(session.settings.registry_gateway_url)
    cached = handler.settings.get("karvdash_gateway_url")
    if cached is None:
        cached = load_settings(config=handler.settings.get("config")).registry_gateway_url
        handler.settings["karvdash_gateway_url"] = cached
    return str(cached)


@web.stream_request_body
class ImagesHandler(KarvdashHandler):
    """Forwards one request to the hub service (see the module docstring)."""

    pipe: BytePipe | None = None
    upstream: Any = None
    small: list[bytes]

    def _target(self, path: str | None) -> str:
        # Tornado hands the path decoded: quote it again so that a '?' or '#' in it stays
        # part of the path (the gateway then refuses the name)
        base = _gateway_url(self).rstrip("/") + "/api/registry" + quote(path or "", safe="/")
        query = self.request.query_arguments
        if not query:
            return base
        return base + "?" + urlencode([(k, v.decode()) for k, vs in query.items() for v in vs])

    def _upstream_headers(self) -> dict[str, str]:
        token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        if not token:
            raise web.HTTPError(
                503, "images need JupyterHub: this server has no JUPYTERHUB_API_TOKEN"
            )
        headers = {k: v for k in FORWARDED if (v := self.request.headers.get(k))}
        headers["Authorization"] = f"token {token}"
        return headers

    async def _check_caller(self) -> None:
        """Authenticated, authorized, and the server's owner (before any body arrives)."""
        user = self.current_user
        if not user:
            raise web.HTTPError(403, "authentication is required")
        action = HTTP_METHOD_TO_AUTH_ACTION[self.request.method or "GET"]
        if not await ensure_async(self.authorizer.is_authorized(self, user, action, "karvdash")):
            raise web.HTTPError(403, "not authorized to %s karvdash images", action)
        owner = os.environ.get("JUPYTERHUB_USER")
        if owner and user.username != owner:
            raise web.HTTPError(
                403, "the images API acts as this server's owner (%s); only they can use it", owner
            )

    async def prepare(self) -> None:  # type: ignore[override]
        await super().prepare()
        await self._check_caller()
        self.small = []
        if self.request.method == "PUT":
            self.request.connection.set_max_body_size(1 << 40)  # type: ignore[union-attr]
            self.pipe = BytePipe(limit=1024 * 1024)
            headers = self._upstream_headers()
            length = self.request.headers.get("Content-Length")
            if length:
                headers["Content-Length"] = length
            pipe = self.pipe

            async def produce(write: Any) -> None:
                while chunk := await pipe.read(256 * 1024):
                    await write(chunk)

            request = httpclient.HTTPRequest(
                self._target(self.path_kwargs.get("path")),
                method="PUT",
                headers=headers,
                body_producer=produce,  # type: ignore[arg-type] # a coroutine is awaited
                request_timeout=UPLOAD_TIMEOUT,
                connect_timeout=10,
            )
            self.upstream = httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
            self.upstream.add_done_callback(self._upstream_done)

    def _upstream_done(self, future: Any) -> None:
        if self.pipe is not None and not self.pipe.at_eof:
            self.pipe.abort(web.HTTPError(502, "the hub service ended the upload"))

    async def data_received(self, chunk: bytes) -> None:
        if self.pipe is None:
            self.small.append(chunk)
            if sum(map(len, self.small)) > MAX_SMALL_BODY:
                raise web.HTTPError(413, "the request body is too large")
            return
        with contextlib.suppress(web.HTTPError):  # the hub service answered already:
            await self.pipe.feed(chunk)  # its answer is relayed in put()

    def on_connection_close(self) -> None:
        if self.pipe is not None:
            self.pipe.abort(web.HTTPError(400, "the client closed the connection"))

    def _relay(self, response: httpclient.HTTPResponse) -> None:
        if response.code == 599:
            message = f"cannot reach the Karvdash hub service: {response.error}"
            self.set_status(502)
            self.finish(json.dumps({"message": message, "reason": "Bad Gateway"}))
            return
        self.set_status(response.code)
        self.set_header("Content-Type", response.headers.get("Content-Type", "application/json"))
        if response.code == 204:
            self.finish()
            return
        self.finish(response.body or b"")

    async def _forward(self, path: str | None) -> None:
        method = self.request.method or "GET"
        body = b"".join(self.small) if method in ("POST", "PATCH", "PUT") else None
        if method in ("POST", "PATCH") and body is None:
            body = b""
        request = httpclient.HTTPRequest(
            self._target(path),
            method=method,
            headers=self._upstream_headers(),
            body=body,
            allow_nonstandard_methods=True,
            request_timeout=API_TIMEOUT,
            connect_timeout=10,
        )
        response = await httpclient.AsyncHTTPClient().fetch(request, raise_error=False)
        self._relay(response)

    @web.authenticated
    @authorized
    async def get(self, path: str | None = None) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def post(self, path: str | None = None) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str | None = None) -> None:
        await self._forward(path)

    @web.authenticated
    @authorized
    async def put(self, path: str | None = None) -> None:
        assert self.pipe is not None
        self.pipe.finish()
        self._relay(await self.upstream)


def images_handlers() -> list[tuple[str, type]]:
    """Routes relative to ``<base_url>/karvdash/api/``: everything under ``/images``."""
    return [(r"/images(?P<path>/.*)?", ImagesHandler)]
