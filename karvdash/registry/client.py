"""An async client of the registry v2 API (Docker Distribution), on aiohttp.

One :class:`RegistryClient` per process holds a pool of keep-alive connections. It
authenticates with HTTP Basic credentials, or trades them for a bearer token when the
registry answers with a token challenge (``WWW-Authenticate: Bearer realm=...``), and
verifies TLS against ``ca_file`` (or the system's CAs).

Blobs are pushed in a stream (``POST`` an upload, one chunked ``PATCH`` with the data as
it arrives, ``PUT ?digest=`` to commit), so no blob is ever held in memory; an upload
that fails or whose digest does not match is cancelled (``DELETE``) and leaves nothing
behind but what the registry purges itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from .errors import RegistryNotFound, RegistryUnavailable
from .mediatypes import ACCEPT
from .responses import (
    Manifest,
    Page,
    RegistryResponseError,
    delete,
    error,
    next_last,
    pull,
    push,
    read_limited,
)

__all__ = ["Manifest", "Page", "RegistryClient", "RegistryResponseError"]

DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=300)
RETRIES = 3
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')


class RegistryClient:
    """Client of one registry (``url`` such as ``https://registry.example.org:5000``)."""

    def __init__(
        self,
        url: str,
        *,
        username: str = "",
        password: str = "",
        ca_file: str = "",
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        connections: int = 16,
    ) -> None:
        self.base = URL(url.rstrip("/") or url)
        if self.base.scheme not in ("http", "https") or not self.base.host:
            raise ValueError(f"registry URL {url!r} must be http(s)://host[:port]")
        self._username = username
        self._password = password
        self._basic = (
            "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
            if username
            else ""
        )
        self._ssl: ssl.SSLContext | bool = True
        if self.base.scheme == "https" and ca_file:
            self._ssl = ssl.create_default_context(cafile=ca_file)
        self._timeout = timeout
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None
        self._tokens: dict[str, tuple[str, float]] = {}

    @property
    def host(self) -> str:
        """``host[:port]`` as image references name the registry (``$REGISTRY``)."""
        return self.base.raw_authority

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections, ssl=self._ssl)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, auto_decompress=False
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- authentication -------------------------------------------------------------

    def _auth_header(self, scope: str) -> dict[str, str]:
        token = self._tokens.get(scope)
        if token and token[1] > time.monotonic():
            return {"Authorization": "Bearer " + token[0]}
        return {"Authorization": self._basic} if self._basic else {}

    async def _fetch_token(self, challenge: str, scope: str) -> bool:
        """Trade the credentials for a bearer token after a ``Bearer`` challenge."""
        if not challenge.lower().startswith("bearer "):
            return False
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.pop("realm", "")
        if not realm:
            return False
        if scope:
            params["scope"] = scope
        headers = {"Authorization": self._basic} if self._basic else {}
        async with self.session.get(URL(realm).with_query(params), headers=headers) as resp:
            if resp.status != 200:
                raise await error(resp, "issue a token")
            body = await resp.json(content_type=None)
        token = body.get("token") or body.get("access_token")
        if not token:
            raise RegistryUnavailable("the registry's token service returned no token")
        lifetime = float(body.get("expires_in") or 60)
        self._tokens[scope] = (str(token), time.monotonic() + max(lifetime - 10, 5))
        return True

    # --- requests ---------------------------------------------------------------------

    def url(self, path: str) -> URL:
        return self.base.join(URL(path))

    @contextlib.asynccontextmanager
    async def request(
        self,
        method: str,
        target: str | URL,
        *,
        scope: str = "",
        headers: Mapping[str, str] | None = None,
        data: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """One request; answers a token challenge once; retries idempotent ones."""
        url = target if isinstance(target, URL) else self.url(target)
        replayable = data is None or isinstance(data, bytes)
        attempt = 0
        challenged = False
        while True:
            attempt += 1
            all_headers = {**self._auth_header(scope), **(headers or {})}
            try:
                resp = await self.session.request(
                    method,
                    url,
                    headers=all_headers,
                    data=data,
                    params=params,
                    allow_redirects=False,
                )
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as exc:
                # a dropped connection (a restarted registry, a stale pooled connection):
                # try again whatever the method when the body can be sent again; every
                # request here is idempotent or harmless to repeat (a second upload
                # session is purged by the registry)
                dropped = isinstance(exc, aiohttp.ClientConnectionError)
                idempotent = method in ("GET", "HEAD")
                if replayable and (idempotent or dropped) and attempt < RETRIES:
                    await asyncio.sleep(0.2 * 2**attempt)
                    continue
                raise RegistryUnavailable(
                    f"cannot reach the registry at {self.base}: {exc or type(exc).__name__}"
                ) from exc
            if resp.status == 401 and replayable and not challenged:
                challenge = resp.headers.get("WWW-Authenticate", "")
                resp.release()
                challenged = True
                if await self._fetch_token(challenge, scope):
                    continue
                raise RegistryResponseError(
                    f"the registry refused the gateway's credentials ({method} {url.path})",
                    401,
                    ["UNAUTHORIZED"],
                )
            retry = resp.status >= 500 and replayable and method in ("GET", "HEAD")
            if retry and attempt < RETRIES:
                resp.release()
                await asyncio.sleep(0.2 * 2**attempt)
                continue
            try:
                yield resp
            finally:
                resp.release()
            return

    async def check(self) -> None:
        """``GET /v2/``: the registry answers and accepts the credentials."""
        async with self.request("GET", "/v2/") as resp:
            if resp.status != 200:
                raise await error(resp, "answer /v2/")

    # --- browsing -----------------------------------------------------------------------

    async def repositories(self, n: int = 100, last: str | None = None) -> Page:
        """One page of the catalog, in the registry's (lexical) order."""
        params = {"n": str(n)}
        if last:
            params["last"] = last
        async with self.request(
            "GET", "/v2/_catalog", scope="registry:catalog:*", params=params
        ) as resp:
            if resp.status != 200:
                raise await error(resp, "list repositories")
            body = await resp.json(content_type=None)
            items = list(body.get("repositories") or [])
            return Page(items, next_last(resp.headers.get("Link")))

    async def tags(self, repo: str, n: int | None = None, last: str | None = None) -> Page:
        params: dict[str, str] = {}
        if n:
            params["n"] = str(n)
        if last:
            params["last"] = last
        async with self.request(
            "GET", f"/v2/{repo}/tags/list", scope=pull(repo), params=params
        ) as resp:
            if resp.status == 404:
                raise RegistryNotFound(f"no repository {repo!r} in the registry")
            if resp.status != 200:
                raise await error(resp, f"list the tags of {repo}")
            body = await resp.json(content_type=None)
            return Page(list(body.get("tags") or []), next_last(resp.headers.get("Link")))

    async def manifest(self, repo: str, reference: str) -> Manifest:
        """The manifest of a tag or digest, in whatever format it was pushed."""
        async with self.request(
            "GET", f"/v2/{repo}/manifests/{reference}", scope=pull(repo),
            headers={"Accept": ACCEPT},
        ) as resp:  # fmt: skip
            if resp.status == 404:
                raise RegistryNotFound(f"no image {repo}:{reference} in the registry")
            if resp.status != 200:
                raise await error(resp, f"read the manifest of {repo}:{reference}")
            body = await resp.read()
            media_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
            digest = resp.headers.get("Docker-Content-Digest", "")
            return Manifest(media_type, digest, body)

    async def manifest_digest(self, repo: str, reference: str) -> str | None:
        """The digest a tag points to, or None when there is no such tag."""
        async with self.request(
            "HEAD", f"/v2/{repo}/manifests/{reference}", scope=pull(repo),
            headers={"Accept": ACCEPT},
        ) as resp:  # fmt: skip
            if resp.status == 404:
                return None
            if resp.status != 200:
                raise await error(resp, f"look up {repo}:{reference}")
            return resp.headers.get("Docker-Content-Digest") or None

    async def blob(self, repo: str, digest: str, limit: int = 4 * 1024 * 1024) -> bytes:
        """A small blob (an image configuration), whole; refuses blobs above ``limit``."""
        async with self.request("GET", f"/v2/{repo}/blobs/{digest}", scope=pull(repo)) as resp:
            if resp.status in (307, 302, 301):  # storage drivers that redirect
                location = resp.headers.get("Location", "")
                async with self.session.get(location) as redirected:
                    return await read_limited(redirected, limit, digest)
            if resp.status == 404:
                raise RegistryNotFound(f"no blob {digest} in {repo}")
            if resp.status != 200:
                raise await error(resp, f"read blob {digest}")
            return await read_limited(resp, limit, digest)

    # --- writing ------------------------------------------------------------------------

    async def put_manifest(self, repo: str, reference: str, media_type: str, body: bytes) -> str:
        async with self.request(
            "PUT", f"/v2/{repo}/manifests/{reference}", scope=push(repo),
            headers={"Content-Type": media_type}, data=body,
        ) as resp:  # fmt: skip
            if resp.status not in (200, 201):
                raise await error(resp, f"store the manifest of {repo}:{reference}")
            return resp.headers.get("Docker-Content-Digest", "")

    async def delete_manifest(self, repo: str, digest: str) -> None:
        async with self.request(
            "DELETE", f"/v2/{repo}/manifests/{digest}", scope=delete(repo)
        ) as resp:
            if resp.status == 404:
                raise RegistryNotFound(f"no image {repo}@{digest} in the registry")
            if resp.status not in (200, 202):
                raise await error(resp, f"delete {repo}@{digest}")

    async def _start_upload(self, repo: str) -> URL:
        async with self.request("POST", f"/v2/{repo}/blobs/uploads/", scope=push(repo)) as resp:
            if resp.status != 202:
                raise await error(resp, f"start a blob upload to {repo}")
            return self._location(resp)

    def _location(self, resp: aiohttp.ClientResponse) -> URL:
        location = resp.headers.get("Location")
        if not location:
            raise RegistryUnavailable("the registry answered an upload without a Location")
        return self.base.join(URL(location, encoded=True))

    async def _commit(self, repo: str, location: URL, digest: str, data: bytes = b"") -> None:
        url = location.update_query({"digest": digest})
        async with self.request(
            "PUT", url, scope=push(repo), data=data,
            headers={"Content-Type": "application/octet-stream"},
        ) as resp:  # fmt: skip
            if resp.status != 201:
                raise await error(resp, f"commit blob {digest}")

    async def _cancel(self, repo: str, location: URL) -> None:
        with contextlib.suppress(Exception):
            async with self.request("DELETE", location, scope=push(repo)):
                pass

    async def push_blob(self, repo: str, data: bytes, digest: str) -> None:
        """Push a small blob in one request (``POST`` then ``PUT`` with the data)."""
        location = await self._start_upload(repo)
        try:
            await self._commit(repo, location, digest, data)
        except BaseException:
            await asyncio.shield(self._cancel(repo, location))
            raise

    async def push_stream(
        self, repo: str, chunks: AsyncIterable[bytes], finish: Callable[[], str]
    ) -> str:
        """Push a blob whose data arrives in ``chunks``; returns its digest.

        ``finish`` is called once every chunk is sent: it returns the digest computed on
        the way, or raises to refuse the blob (the upload is then cancelled).
        """
        location = await self._start_upload(repo)
        failure: list[BaseException] = []

        async def body() -> AsyncIterator[bytes]:
            try:
                async for chunk in chunks:
                    yield chunk
            except BaseException as exc:
                failure.append(exc)
                raise

        try:
            try:
                async with self.request(
                    "PATCH", location, scope=push(repo), data=body(),
                    headers={"Content-Type": "application/octet-stream"},
                ) as resp:  # fmt: skip
                    if resp.status != 202:
                        raise await error(resp, f"receive a blob for {repo}")
                    location = self._location(resp)
            except Exception:
                if failure:
                    raise failure[0] from None
                raise
            digest = finish()
            await self._commit(repo, location, digest)
            return digest
        except BaseException:
            await asyncio.shield(self._cancel(repo, location))
            raise
