"""The core's Kubernetes client: one ``kubernetes_asyncio`` ApiClient, retries, raw JSON.

* :func:`api_client` finds the cluster: an explicit kubeconfig path, else the pod's
  service account when running in a cluster, else ``$KUBECONFIG`` / ``~/.kube/config``.
* :func:`with_retries` wraps a call in a timeout and retries transient failures.
* :func:`request_json` / :func:`request_bytes` make one API request and return the
  decoded JSON / the body, without the generated models (which cost ~1 ms per object to
  build: too slow for long lists).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .errors import Conflict, Forbidden, InvalidRequest, KarvdashError, NotFound, Unavailable

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TIMEOUT = 15.0
"""Seconds one API request may take."""


async def api_client(kubeconfig: str | None = None) -> Any:
    """A ``kubernetes_asyncio`` ApiClient; close it with ``await client.close()``.

    ``kubeconfig`` (a path) wins; otherwise the in-cluster service account when
    ``KUBERNETES_SERVICE_HOST`` is set (a pod); otherwise ``$KUBECONFIG`` (the first of a
    ``:``-separated list) or ``~/.kube/config``. The kubeconfig file is never rewritten.
    """
    from kubernetes_asyncio import client, config

    if not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
        configuration = type.__call__(client.Configuration)
        config.load_incluster_config(client_configuration=configuration)
        return client.ApiClient(configuration=configuration)
    if not kubeconfig:
        listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
        kubeconfig = listed[0] if listed else str(Path.home() / ".kube" / "config")
    if not os.path.isfile(kubeconfig):  # noqa: ASYNC240 - one stat of a local file
        raise FileNotFoundError(f"no kubeconfig at {kubeconfig} and not running in a cluster")
    return await config.new_client_from_config(config_file=kubeconfig, persist_config=False)


def _retryable(exc: BaseException, conflicts: bool) -> bool:
    from kubernetes_asyncio.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        return exc.status == 429 or exc.status >= 500 or (conflicts and exc.status == 409)
    return isinstance(exc, OSError | asyncio.TimeoutError)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    what: str,
    *,
    attempts: int = 4,
    timeout: float = DEFAULT_TIMEOUT,
    first_delay: float = 0.2,
    retry_conflicts: bool = False,
) -> T:
    """``await call()`` with a timeout, retried with backoff on transient errors.

    Transient: HTTP 429 and 5xx, connection errors and timeouts (and 409 when
    ``retry_conflicts``, for read-modify-write). Only wrap idempotent calls.
    """
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await asyncio.wait_for(call(), timeout)
        except Exception as exc:
            if attempt == attempts or not _retryable(exc, retry_conflicts):
                raise
            log.info("%s failed (%s); retry %s in %.2f s", what, exc, attempt, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


async def request_bytes(
    api: Any,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    body: Any = None,
    content_type: str = "application/json",
    accept: str = "application/json",
    timeout: float = DEFAULT_TIMEOUT,
    compressed: bool = True,
) -> bytes:
    """One API request (``path`` from ``/api`` or ``/apis``); the answer's body.

    ``compressed=False`` asks for an uncompressed answer: for large lists on a fast
    network, gzip costs the API server more time than it saves.

    Non-2xx answers raise ``kubernetes_asyncio``'s ``ApiException`` with ``status``,
    ``reason`` and ``body`` set, like the generated API classes.
    """
    from kubernetes_asyncio.client.exceptions import ApiException

    params = list(query.items()) if isinstance(query, Mapping) else list(query)
    response = await api.call_api(
        path,
        method,
        query_params=params,
        header_params={
            "Accept": accept,
            "Content-Type": content_type,
            **({} if compressed else {"Accept-Encoding": "identity"}),
        },
        body=body,
        auth_settings=["BearerToken"],
        _preload_content=False,
        _request_timeout=timeout,
    )
    try:
        data: bytes = await response.read()
    finally:
        response.release()
    if not 200 <= response.status <= 299:
        error = ApiException(status=response.status, reason=response.reason)
        error.body = data  # status_message() reads bytes or text
        error.headers = response.headers
        raise error
    return data


async def request_json(
    api: Any,
    method: str,
    path: str,
    *,
    query: Sequence[tuple[str, str]] | Mapping[str, str] = (),
    body: Any = None,
    content_type: str = "application/json",
    timeout: float = DEFAULT_TIMEOUT,
    raw: bool = False,
) -> Any:
    """:func:`request_bytes`, decoded: the JSON answer, or with ``raw`` the text (logs)."""
    data = await request_bytes(
        api,
        method,
        path,
        query=query,
        body=body,
        content_type=content_type,
        accept="*/*" if raw else "application/json",
        timeout=timeout,
    )
    if raw:
        return data.decode("utf-8", "replace")
    return json.loads(data) if data else None


def status_message(exc: BaseException) -> str:
    """The API server's own message from an ``ApiException`` (its Status ``message``)."""
    body = getattr(exc, "body", None)
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str) and body:
        try:
            status = json.loads(body)
        except ValueError:
            return body.strip()[:500]
        if isinstance(status, dict) and isinstance(status.get("message"), str):
            return str(status["message"])
    reason = getattr(exc, "reason", None)
    return str(reason or exc)


def karvdash_error(exc: BaseException, what: str) -> KarvdashError:
    """An API failure as the core's error: ``what`` (e.g. ``creating Deployment web``)
    and the API server's message, with the status class that matches."""
    from kubernetes_asyncio.client.exceptions import ApiException

    if isinstance(exc, asyncio.TimeoutError):
        return Unavailable(f"{what}: the Kubernetes API did not answer in time")
    if isinstance(exc, OSError):
        return Unavailable(f"{what}: cannot reach the Kubernetes API ({exc})")
    if not isinstance(exc, ApiException):
        return KarvdashError(f"{what}: {exc}")
    message = f"{what}: {status_message(exc)}"
    status = exc.status or 0
    if status in (400, 422):
        return InvalidRequest(message)
    if status in (401, 403):
        return Forbidden(message)
    if status == 404:
        return NotFound(message)
    if status == 409:
        return Conflict(message)
    return Unavailable(message)


def service_account_user(namespace: str, name: str = "default") -> str:
    """The user name Kubernetes gives service account ``name`` of ``namespace``."""
    return f"system:serviceaccount:{namespace}:{name}"


class Impersonating:
    """An ApiClient stand-in whose every request acts as ``user`` (``Impersonate-User``).

    The requests of this module (:func:`request_bytes`, :func:`request_json`) go through
    it unchanged. The real client's identity needs the ``impersonate`` verb on that user
    (for a service account: on ``serviceaccounts`` with its name, in its namespace); the
    API server then authorizes each request as ``user`` alone, so an admin action in a
    user's namespace can do exactly what the user's own account can, and no more.
    """

    def __init__(self, api: Any, user: str) -> None:
        self.api = api
        self.user = user

    async def call_api(self, *args: Any, header_params: Any = None, **kwargs: Any) -> Any:
        headers = {**(header_params or {}), "Impersonate-User": self.user}
        return await self.api.call_api(*args, header_params=headers, **kwargs)
