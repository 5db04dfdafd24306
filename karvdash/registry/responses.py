"""What the registry answers: pages, manifests, errors; and the token scopes asked for."""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

from .errors import RegistryUnavailable

_LINK_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class RegistryResponseError(RegistryUnavailable):
    """The registry answered an error; ``http_status`` and its error ``codes``."""

    def __init__(self, message: str, http_status: int, codes: list[str]) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.codes = codes


@dataclass(frozen=True)
class Page:
    """One page of a list; ``next`` is the ``last`` to ask for the following page."""

    items: list[str]
    next: str | None


@dataclass(frozen=True)
class Manifest:
    media_type: str
    digest: str
    body: bytes

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body)
        if not isinstance(data, dict):
            raise RegistryUnavailable("the registry returned a manifest that is not an object")
        return data


def next_last(link: str | None) -> str | None:
    """The ``last`` parameter of a ``Link: <...>; rel="next"`` header, if any."""
    if not link:
        return None
    match = _LINK_NEXT.search(link)
    if not match:
        return None
    return URL(match.group(1)).query.get("last")


async def error(resp: aiohttp.ClientResponse, what: str) -> RegistryResponseError:
    """A readable error from a registry error response (``{"errors": [...]}``)."""
    codes: list[str] = []
    detail = ""
    with contextlib.suppress(Exception):
        body = await resp.json(content_type=None)
        for err in body.get("errors") or []:
            codes.append(str(err.get("code", "")))
            detail = detail or str(err.get("message", ""))
    message = f"the registry refused to {what}: HTTP {resp.status}"
    if codes:
        message += f" {codes[0]}"
    if detail:
        message += f" ({detail})"
    if resp.status in (401, 403):
        message = f"the registry refused the gateway's credentials to {what} (HTTP {resp.status})"
    return RegistryResponseError(message, resp.status, codes)


async def read_limited(resp: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    if resp.status != 200:
        raise await error(resp, f"read blob {what}")
    if resp.content_length is not None and resp.content_length > limit:
        raise RegistryUnavailable(f"blob {what} is larger than {limit} bytes")
    parts: list[bytes] = []
    total = 0
    async for part in resp.content.iter_chunked(64 * 1024):
        total += len(part)
        if total > limit:
            raise RegistryUnavailable(f"blob {what} is larger than {limit} bytes")
        parts.append(part)
    return b"".join(parts)


def pull(repo: str) -> str:
    return f"repository:{repo}:pull"


def push(repo: str) -> str:
    return f"repository:{repo}:pull,push"


def delete(repo: str) -> str:
    return f"repository:{repo}:delete"
