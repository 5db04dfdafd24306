"""The hub's REST API as an admin uses it, with that admin's own token.

The admin pages read users and delete them through JupyterHub's API with the token of
the admin who asked (the service's OAuth token of their browser session, which carries
``admin:users`` and ``read:servers`` when they hold them; see
:func:`~karvdash_hub.service.config.configure_karvdash_service`). The hub therefore
authorizes each action as that admin, and its log names them; the service holds no
standing right over users.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest

from karvdash.errors import Forbidden, InvalidRequest, KarvdashError, NotFound, Unavailable

PAGE = 200
PAGINATION = "application/jupyterhub-pagination+json"


def _hub_error(exc: HTTPClientError, what: str) -> KarvdashError:
    message = exc.message or "error"
    if exc.response is not None and exc.response.body:
        with contextlib.suppress(ValueError, AttributeError):
            message = json.loads(exc.response.body).get("message") or message
    text = f"{what}: the hub says {message}"
    if exc.code in (401, 403):
        return Forbidden(text)
    if exc.code == 404:
        return NotFound(text)
    if exc.code == 400:
        return InvalidRequest(text)
    return Unavailable(text)


class HubAPI:
    """Calls to ``api_url`` (``$JUPYTERHUB_API_URL``) with ``token``."""

    def __init__(self, api_url: str, token: str, *, timeout: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    async def request(
        self, method: str, path: str, what: str, *, body: Any = None, accept: str = ""
    ) -> Any:
        headers = {"Authorization": f"token {self.token}"}
        if accept:
            headers["Accept"] = accept
        request = HTTPRequest(
            self.api_url + path,
            method=method,
            headers=headers,
            body=None if body is None else json.dumps(body),
            allow_nonstandard_methods=True,
            request_timeout=self.timeout,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as exc:
            raise _hub_error(exc, what) from None
        except OSError as exc:
            raise Unavailable(f"{what}: cannot reach the hub's API ({exc})") from None
        return json.loads(response.body) if response.body else None

    async def users(self) -> list[dict[str, Any]]:
        """Every user of the hub with their servers, in name order (paged by the hub)."""
        users: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = await self.request(
                "GET",
                f"/users?include_stopped_servers=1&offset={offset}&limit={PAGE}",
                "listing the hub's users",
                accept=PAGINATION,
            )
            items = page.get("items", []) if isinstance(page, dict) else page
            users.extend(items)
            nxt = (page.get("_pagination") or {}).get("next") if isinstance(page, dict) else None
            if not items or not nxt:
                break
            offset = int(nxt.get("offset", offset + len(items)))
        return sorted(users, key=lambda u: str(u.get("name")))

    async def user(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = await self.request(
            "GET",
            f"/users/{quote(name, safe='')}?include_stopped_servers=1",
            f"reading user {name}",
        )
        return found

    async def delete_user(self, name: str) -> None:
        """Delete the user (the hub stops their servers first)."""
        await self.request("DELETE", f"/users/{quote(name, safe='')}", f"deleting user {name}")

    async def signups(self) -> list[dict[str, Any]] | None:
        """The authenticator's sign-ups (:mod:`karvdash_hub.auth`), or ``None`` when the hub's
        authenticator keeps none (any authenticator other than sign-up with approval)."""
        try:
            answer = await self.request("GET", "/karvdash/signups", "reading the sign-ups")
        except NotFound:
            return None
        return list(answer.get("signups", []))
