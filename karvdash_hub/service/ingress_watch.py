"""Service owners kept current from the cluster: a list + watch of Ingresses and Namespaces.

:class:`KubernetesOwners` follows, through one ``kubernetes_asyncio`` client, every
Ingress of every namespace (labelled by Karvdash or not: nginx routes by host whoever
made the Ingress, so an unlabelled one claiming a host must make that host nobody's) and
the namespaces labelled ``karvdash.io/user``, and feeds them to an
:class:`~.ingress_owners.OwnerIndex`. Each watch resumes from the last
``resourceVersion`` and lists again when the API server says it is too old (410) or fails.
No request of a visitor ever waits on the API server.

The hub's ServiceAccount needs ``list`` and ``watch`` on ``ingresses``
(``networking.k8s.io``) and on ``namespaces`` in every namespace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from karvdash.settings import USER_LABEL

from .ingress_owners import OwnerIndex, meta_of

log = logging.getLogger("karvdash_hub.service")


class ResourceExpired(Exception):
    """The watch's resourceVersion is too old (HTTP 410 Gone)."""


async def _failure(resp: Any) -> RuntimeError:
    """An API answer that is not 200, with the API server's own message."""
    text = (await resp.text()).strip()
    with contextlib.suppress(ValueError, KeyError, TypeError):
        text = str(json.loads(text)["message"])
    return RuntimeError(f"HTTP {resp.status}: {text[:300]}")


class Reflector:
    """One kind of object, listed then watched; ``on_list`` and ``on_event`` get raw JSON."""

    def __init__(
        self,
        what: str,
        list_call: Callable[..., Any],
        on_list: Callable[[Iterable[Mapping[str, Any]]], None],
        on_event: Callable[[str, Mapping[str, Any]], None],
        *,
        request_timeout: float,
        watch_timeout: int,
        max_backoff: float,
    ) -> None:
        self.what = what
        self.list_call = list_call
        self.on_list = on_list
        self.on_event = on_event
        self.request_timeout = request_timeout
        self.watch_timeout = watch_timeout
        self.max_backoff = max_backoff
        self.resource_version: str | None = None
        self.synced = asyncio.Event()

    async def _list(self) -> None:
        async def run() -> dict[str, Any]:
            resp = await self.list_call(_preload_content=False)
            try:
                if resp.status != 200:
                    raise await _failure(resp)
                return dict(await resp.json())
            finally:
                resp.release()

        body = await asyncio.wait_for(run(), self.request_timeout)
        items = body.get("items") or []
        self.on_list(items)
        self.resource_version = meta_of(body).get("resourceVersion")
        log.info("ingress owners: %s %s", len(items), self.what)

    async def _watch(self) -> None:
        resp = await self.list_call(
            watch=True,
            allow_watch_bookmarks=True,
            resource_version=self.resource_version,
            timeout_seconds=self.watch_timeout,
            _preload_content=False,
            _request_timeout=(10, self.watch_timeout + 30),
        )
        try:
            if resp.status == 410:
                raise ResourceExpired("resource version too old")
            if resp.status != 200:
                raise await _failure(resp)
            while line := await resp.content.readline():
                event = json.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise ResourceExpired(str(obj.get("message")))
                    raise RuntimeError(f"watch error {obj.get('code')}: {obj.get('message')}")
                version = meta_of(obj).get("resourceVersion")
                if version:
                    self.resource_version = version
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self.on_event(kind, obj)
        finally:
            resp.release()

    async def run(self) -> None:
        backoff = 0.5
        while True:
            try:
                if self.resource_version is None:
                    await self._list()
                    self.synced.set()
                await self._watch()
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except ResourceExpired:
                log.info("ingress owners: the %s watch expired; listing again", self.what)
                self.resource_version = None
            except Exception as exc:
                log.warning(
                    "ingress owners: following %s failed (%s); again in %.1f s",
                    self.what, exc, backoff,
                )  # fmt: skip
                self.resource_version = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)


class KubernetesOwners:
    """:class:`~.ingress_owners.ServiceOwners` from the cluster (``api_client`` is a
    ``kubernetes_asyncio`` ApiClient; closed by :meth:`stop` when ``owns_client``)."""

    def __init__(
        self,
        api_client: Any,
        domain: str,
        prefix: str = "karvdash-",
        *,
        owns_client: bool = False,
        request_timeout: float = 15.0,
        watch_timeout: int = 300,
        max_backoff: float = 30.0,
    ) -> None:
        from kubernetes_asyncio import client

        self.api_client = api_client
        self.owns_client = owns_client
        self.index = OwnerIndex(domain, prefix)
        core, networking = client.CoreV1Api(api_client), client.NetworkingV1Api(api_client)

        def list_namespaces(**kwargs: Any) -> Any:
            return core.list_namespace(label_selector=USER_LABEL, **kwargs)

        def list_ingresses(**kwargs: Any) -> Any:
            return networking.list_ingress_for_all_namespaces(**kwargs)

        def reflector(
            what: str,
            call: Callable[..., Any],
            on_list: Callable[[Iterable[Mapping[str, Any]]], None],
            on_event: Callable[[str, Mapping[str, Any]], None],
        ) -> Reflector:
            return Reflector(
                what,
                call,
                on_list,
                on_event,
                request_timeout=request_timeout,
                watch_timeout=watch_timeout,
                max_backoff=max_backoff,
            )

        self._reflectors = [
            reflector(
                "namespaces", list_namespaces, self.index.replace_namespaces, self._namespace_event
            ),
            reflector(
                "ingresses", list_ingresses, self.index.replace_ingresses, self._ingress_event
            ),
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def _namespace_event(self, kind: str, obj: Mapping[str, Any]) -> None:
        if kind == "DELETED":
            self.index.delete_namespace(str(meta_of(obj).get("name")))
        else:
            self.index.set_namespace(obj)

    def _ingress_event(self, kind: str, obj: Mapping[str, Any]) -> None:
        meta = meta_of(obj)
        if kind == "DELETED":
            self.index.delete_ingress(str(meta.get("namespace")), str(meta.get("name")))
        else:
            self.index.set_ingress(obj)

    @property
    def ready(self) -> bool:
        return all(r.synced.is_set() for r in self._reflectors)

    def owner(self, host: str) -> str | None:
        return self.index.owner(host)

    async def wait_ready(self, timeout: float) -> bool:
        waits = [r.synced.wait() for r in self._reflectors]
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
        return self.ready

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(r.run(), name=f"karvdash-ingress-owners-{r.what}")
                for r in self._reflectors
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self.owns_client:
            await self.api_client.close()
