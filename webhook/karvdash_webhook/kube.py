"""Talking to the Kubernetes API: the client, and (un)registering the webhook.

Every call has a timeout; registration retries on 5xx, on conflicts and on connection
errors with exponential backoff, since it often runs while the API server starts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


async def api_client(kubeconfig: str | None = None) -> Any:
    """A ``kubernetes_asyncio`` ApiClient: from ``kubeconfig``, else the in-cluster account.

    An ambient ``$KUBECONFIG`` is deliberately not consulted: the webhook talks to the
    cluster it is told about, or to the one it runs in.
    """
    from kubernetes_asyncio import client, config

    if kubeconfig:
        return await config.new_client_from_config(config_file=kubeconfig)
    configuration = type.__call__(client.Configuration)
    config.load_incluster_config(client_configuration=configuration)
    return client.ApiClient(configuration=configuration)


def _retryable(exc: BaseException) -> bool:
    from kubernetes_asyncio.client.exceptions import ApiException

    if isinstance(exc, ApiException):
        return exc.status in (409, 429) or exc.status >= 500
    return isinstance(exc, OSError | asyncio.TimeoutError)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    what: str,
    *,
    attempts: int = 8,
    timeout: float = 10.0,
    first_delay: float = 0.25,
) -> T:
    """``await call()`` with a timeout, retried on transient errors with backoff."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return await asyncio.wait_for(call(), timeout)
        except Exception as exc:
            if attempt == attempts or not _retryable(exc):
                raise
            log.info("%s failed (%s); retry %s in %.2f s", what, exc, attempt, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
    raise AssertionError("unreachable")


async def _create_or_replace(
    read: Callable[[str], Awaitable[Any]],
    create: Callable[[Any], Awaitable[Any]],
    replace: Callable[[str, Any], Awaitable[Any]],
    body: dict[str, Any],
) -> None:
    from kubernetes_asyncio.client.exceptions import ApiException

    name = body["metadata"]["name"]
    try:
        current = await read(name)
    except ApiException as exc:
        if exc.status != 404:
            raise
        await create(body)
        return
    replacement = {**body, "metadata": {**body["metadata"]}}
    replacement["metadata"]["resourceVersion"] = current.metadata.resource_version
    await replace(name, replacement)


async def register(api: Any, mutating: dict[str, Any], validating: dict[str, Any]) -> None:
    """Create or replace the two webhook configurations (built by :mod:`.registration`)."""
    from kubernetes_asyncio import client

    admission = client.AdmissionregistrationV1Api(api)
    await with_retries(
        lambda: _create_or_replace(
            admission.read_mutating_webhook_configuration,
            admission.create_mutating_webhook_configuration,
            admission.replace_mutating_webhook_configuration,
            mutating,
        ),
        "registering the MutatingWebhookConfiguration",
    )
    await with_retries(
        lambda: _create_or_replace(
            admission.read_validating_webhook_configuration,
            admission.create_validating_webhook_configuration,
            admission.replace_validating_webhook_configuration,
            validating,
        ),
        "registering the ValidatingWebhookConfiguration",
    )
    log.info(
        "registered MutatingWebhookConfiguration and ValidatingWebhookConfiguration %s",
        mutating["metadata"]["name"],
    )


async def unregister(api: Any, name: str) -> None:
    """Delete both webhook configurations ``name`` (absent ones are fine)."""
    from kubernetes_asyncio import client
    from kubernetes_asyncio.client.exceptions import ApiException

    admission = client.AdmissionregistrationV1Api(api)
    deletes: list[Callable[[str], Awaitable[Any]]] = [
        admission.delete_mutating_webhook_configuration,
        admission.delete_validating_webhook_configuration,
    ]
    for delete in deletes:
        try:
            await with_retries(partial(delete, name), f"deleting webhook configuration {name}")
        except ApiException as exc:
            if exc.status != 404:
                raise
