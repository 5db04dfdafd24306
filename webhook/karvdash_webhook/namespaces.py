"""Which user a namespace belongs to: namespace name -> :class:`~.ownership.Owner`.

An AdmissionReview names the namespace but does not carry its labels, so the webhook
keeps a directory of what the namespaces labelled ``karvdash.io/user`` claim, and applies
the rule of :mod:`.ownership` (the name prefix wins over the label):

* :class:`StaticNamespaceDirectory`: a fixed mapping (tests, benchmarks, ``--namespace``);
* :class:`KubernetesNamespaceDirectory`: a list + watch of the labelled namespaces through
  kubernetes_asyncio, resumed from the last ``resourceVersion`` and re-listed when the
  API server says it is too old (410), with one GET on a cache miss.

:class:`ClaimCache` holds the pure part (applying list results and watch events) so it is
tested without a cluster.

Both also answer :meth:`NamespaceDirectory.user_slugs`, the slugs of every user namespace
with a known owner, from what they hold (no API call): the Ingress check needs them to
refuse a host that is also another user's address (:func:`.ingress.other_readings`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping, Set
from typing import Any, Protocol

from karvdash.settings import USER_LABEL

from .ownership import Owner, labelled_slug, owner_of

log = logging.getLogger(__name__)


DEFAULT_PREFIX = "karvdash-"


class NamespaceDirectory(Protocol):
    """Tells which user a namespace belongs to."""

    @property
    def ready(self) -> bool:
        """True once the directory can answer (has synced)."""

    async def owner_of(self, namespace: str, *, unlabelled: bool = False) -> Owner | None:
        """The owner of ``namespace``; ``None`` if it is not a user namespace.

        ``unlabelled``: the API server found no ``karvdash.io/user`` label on it, so a name
        without the prefix is answered ``None`` at once, without asking the API server.
        """

    def user_slugs(self) -> Set[str]:
        """The slugs of the user namespaces with a known owner, as far as known now."""

    async def wait_ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for :attr:`ready`; its value."""

    async def start(self) -> None:
        """Start syncing in the background (``ready`` tells when the first sync is done)."""

    async def stop(self) -> None:
        """Stop syncing and release resources."""


def known_slugs(claims: Mapping[str, Owner], prefix: str) -> frozenset[str]:
    """The slugs of the namespaces in ``claims`` (name -> what its labels claim) whose owner
    is known (:func:`~.ownership.owner_of`)."""
    slugs = set()
    for name, claim in claims.items():
        owner = owner_of(name, claim, prefix)
        if owner is not None and owner.slug is not None:
            slugs.add(owner.slug)
    return frozenset(slugs)


class StaticNamespaceDirectory:
    """Fixed labels: namespace -> the slug its ``karvdash.io/user`` label holds; always ready."""

    def __init__(self, slugs: dict[str, str] | None = None, prefix: str = DEFAULT_PREFIX) -> None:
        self.slugs = dict(slugs or {})
        self.prefix = prefix

    @property
    def ready(self) -> bool:
        return True

    async def owner_of(self, namespace: str, *, unlabelled: bool = False) -> Owner | None:
        slug = self.slugs.get(namespace)
        return owner_of(namespace, None if slug is None else Owner(slug), self.prefix)

    def user_slugs(self) -> Set[str]:
        return known_slugs({name: Owner(slug) for name, slug in self.slugs.items()}, self.prefix)

    async def wait_ready(self, timeout: float) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class ResourceExpired(Exception):
    """The watch's resourceVersion is too old (HTTP 410 Gone): list again."""


class KubernetesError(Exception):
    """The API server answered with an error (other than 410 Gone on a watch)."""


class ClaimCache:
    """namespace -> what its labels claim (:func:`~.ownership.labelled_slug`), fed by list
    results and watch events (raw JSON dicts). Only labelled namespaces are kept.

    ``version`` grows with every change made through its methods (so a value derived from
    ``claims`` can be kept until it changes)."""

    def __init__(self) -> None:
        self.claims: dict[str, Owner] = {}
        self.resource_version: str | None = None
        self.version = 0

    def add(self, name: str, claim: Owner) -> None:
        """Record what namespace ``name`` claims (read on a cache miss)."""
        self.claims[name] = claim
        self.version += 1

    def replace(self, namespace_list: dict[str, Any]) -> None:
        """Start over from a NamespaceList."""
        claims = {}
        for item in namespace_list.get("items") or ():
            name = (item.get("metadata") or {}).get("name")
            claim = labelled_slug(item)
            if name and claim is not None:
                claims[name] = claim
        self.claims = claims
        self.version += 1
        self.resource_version = (namespace_list.get("metadata") or {}).get("resourceVersion")

    def apply(self, event: dict[str, Any]) -> None:
        """Apply one watch event; raises :class:`ResourceExpired` or :class:`KubernetesError`."""
        kind = event.get("type")
        obj = event.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                raise ResourceExpired(obj.get("message", "resource version too old"))
            raise KubernetesError(f"watch error {obj.get('code')}: {obj.get('message')}")
        metadata = obj.get("metadata") or {}
        if metadata.get("resourceVersion"):
            self.resource_version = metadata["resourceVersion"]
        name = metadata.get("name")
        if kind == "BOOKMARK" or not name:
            return
        claim = labelled_slug(obj) if kind in ("ADDED", "MODIFIED") else None
        if claim is not None:
            self.claims[name] = claim
        else:
            self.claims.pop(name, None)
        self.version += 1


class KubernetesNamespaceDirectory:
    """The labelled namespaces of a cluster, kept up to date by a watch.

    ``api_client`` is a ``kubernetes_asyncio.client.ApiClient``; this class does not
    close it.
    """

    def __init__(
        self,
        api_client: Any,
        *,
        prefix: str = DEFAULT_PREFIX,
        request_timeout: float = 3.0,
        watch_timeout: int = 300,
        max_backoff: float = 30.0,
    ) -> None:
        from kubernetes_asyncio import client

        self._core = client.CoreV1Api(api_client)
        self.prefix = prefix
        self.cache = ClaimCache()
        self.request_timeout = request_timeout
        self.watch_timeout = watch_timeout
        self.max_backoff = max_backoff
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._slugs: tuple[int, frozenset[str]] = (-1, frozenset())

    @property
    def ready(self) -> bool:
        return self._synced.is_set()

    async def owner_of(self, namespace: str, *, unlabelled: bool = False) -> Owner | None:
        claim = self.cache.claims.get(namespace)
        if claim is None and (namespace.startswith(self.prefix) or not unlabelled):
            # Not seen (yet): the namespace may be newer than our watch. Ask once.
            call = self._core.read_namespace(namespace, _preload_content=False)
            status, body = await self._get_json(call)
            claim = labelled_slug(body) if status != 404 else None
            if claim is not None:
                self.cache.add(namespace, claim)
        return owner_of(namespace, claim, self.prefix)

    def user_slugs(self) -> Set[str]:
        if self._slugs[0] != self.cache.version:
            self._slugs = (self.cache.version, known_slugs(self.cache.claims, self.prefix))
        return self._slugs[1]

    async def wait_ready(self, timeout: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await self.wait_synced(timeout)
        return self.ready

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="karvdash-namespace-watch")

    async def wait_synced(self, timeout: float | None = None) -> None:
        """Wait until the first list has succeeded."""
        await asyncio.wait_for(self._synced.wait(), timeout)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _get_json(self, call: Any) -> tuple[int, dict[str, Any]]:
        """Run an API call made with ``_preload_content=False``; (status, JSON body)."""

        async def run() -> tuple[int, dict[str, Any]]:
            resp = await call
            try:
                if resp.status == 404:
                    return 404, {}
                if resp.status >= 300:
                    text = await resp.text()
                    raise KubernetesError(f"Kubernetes API answered {resp.status}: {text[:200]}")
                return resp.status, await resp.json()
            finally:
                resp.release()

        return await asyncio.wait_for(run(), self.request_timeout)

    async def _list(self) -> None:
        call = self._core.list_namespace(label_selector=USER_LABEL, _preload_content=False)
        _, body = await self._get_json(call)
        self.cache.replace(body)
        log.info("namespace directory: %s labelled namespaces", len(self.cache.claims))

    async def _watch(self) -> None:
        resp = await self._core.list_namespace(
            label_selector=USER_LABEL,
            watch=True,
            allow_watch_bookmarks=True,
            resource_version=self.cache.resource_version,
            timeout_seconds=self.watch_timeout,
            _preload_content=False,
            _request_timeout=(10, self.watch_timeout + 30),
        )
        try:
            if resp.status == 410:
                raise ResourceExpired("resource version too old")
            if resp.status != 200:
                raise KubernetesError(f"watch answered HTTP {resp.status}")
            while line := await resp.content.readline():
                self.cache.apply(json.loads(line))
        finally:
            resp.release()

    async def _run(self) -> None:
        backoff = 0.5
        while not self._synced.is_set():
            try:
                await self._list()
                self._synced.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("listing namespaces failed (%s); retrying in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        backoff = 0.5
        while True:
            try:
                await self._watch()
                backoff = 0.5
            except ResourceExpired:
                log.info("namespace watch expired; listing again")
                await self._relist()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("namespace watch failed (%s); retrying in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                if isinstance(exc, KubernetesError):
                    await self._relist()

    async def _relist(self) -> None:
        try:
            await self._list()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("listing namespaces failed: %s", exc)
            self.cache.resource_version = None
