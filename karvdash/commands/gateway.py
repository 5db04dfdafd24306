"""The hub service's registry gateway, as the CLI and the magics read it.

Requests go to ``<registry_gateway_url>api/registry/...`` with the user's JupyterHub token
(``$JUPYTERHUB_API_TOKEN``, which JupyterHub sets in every user server; elsewhere, a token
made at ``/hub/token``). The gateway answers as the token's owner; its errors
(``{"message", "reason"}``) become the core's errors with the same status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any
from urllib.parse import quote

from ..errors import Forbidden, InvalidRequest, KarvdashError, NotFound, Unavailable

TOKEN_ENV = "JUPYTERHUB_API_TOKEN"  # noqa: S105 - the variable's name
TIMEOUT = 60.0


def _error(status: int, body: bytes, url: str) -> KarvdashError:
    message = f"the registry gateway answered {status}"
    with contextlib.suppress(ValueError, AttributeError):
        message = json.loads(body).get("message") or message
    if status == 401:
        return Forbidden(f"the hub service refused the token in ${TOKEN_ENV}: {message}")
    if status == 403:
        return Forbidden(message)
    if status == 404:
        return NotFound(message)
    if status == 400:
        return InvalidRequest(message)
    return Unavailable(f"{message} ({url})")


class Gateway:
    """GETs to the gateway at ``url`` (``.../services/karvdash/``) with ``token``."""

    def __init__(self, url: str, token: str | None = None) -> None:
        token = token if token is not None else os.environ.get(TOKEN_ENV, "")
        if not token:
            raise Unavailable(
                f"images need a JupyterHub token: set ${TOKEN_ENV} (a user's server has it; "
                "elsewhere make one at /hub/token)"
            )
        if not url:
            raise Unavailable("images need registry_gateway_url (the hub service's address)")
        self.url = url.rstrip("/") + "/api/registry"
        self.token = token

    async def get(self, path: str, **query: str | int | None) -> Any:
        import aiohttp

        params = {k: str(v) for k, v in query.items() if v is not None}
        url = self.url + path
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
        timeout = aiohttp.ClientTimeout(total=TIMEOUT)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, params=params, headers=headers, allow_redirects=False) as resp,
            ):
                body = await resp.read()
                if resp.status != 200:
                    raise _error(resp.status, body, url)
                return json.loads(body)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise Unavailable(f"cannot reach the registry gateway at {url}: {exc}") from exc

    async def repositories(self, limit: int = 1000) -> tuple[list[str], bool]:
        """Up to ``limit`` repositories, and whether there are more."""
        found: list[str] = []
        last: str | None = None
        while len(found) < limit:
            page = await self.get("/repositories", n=min(100, limit - len(found)), last=last)
            found.extend(page.get("repositories") or [])
            last = page.get("next")
            if not last:
                return found, False
        return found, True

    async def tags(self, repo: str) -> list[str]:
        tags: list[str] = []
        last: str | None = None
        while True:
            page = await self.get(f"/repositories/{quote(repo)}/tags", n=1000, last=last)
            tags.extend(page.get("tags") or [])
            last = page.get("next")
            if not last:
                return tags

    async def details(self, repo: str, tag: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.get(
            f"/repositories/{quote(repo)}/tags/{quote(tag, safe='')}"
        )
        return found
