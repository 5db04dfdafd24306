"""What every user namespace holds, for the admin page: four cluster-wide lists.

:func:`read_overview` asks the API server for the user namespaces (by their
``karvdash.io/user`` label), the metadata of every pod, the main Service of every Karvdash
service and every ResourceQuota: four requests whatever the number of users.
:func:`summarize` (pure) turns them into one :class:`NamespaceSummary` per namespace,
keyed by the user slug.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from ..kube import karvdash_error, request_bytes, with_retries
from ..naming import slug_from_namespace, user_from_namespace
from ..services.listing import PARTIAL_METADATA
from ..settings import USER_LABEL
from ..templates.render import SERVICE_LABEL

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class QuotaUse:
    """One resource of a ResourceQuota: what is used of what is allowed."""

    resource: str
    used: str
    hard: str

    def __str__(self) -> str:
        return f"{self.resource} {self.used}/{self.hard}"


@dataclass(frozen=True)
class NamespaceSummary:
    """A user namespace as the admin page shows it."""

    name: str
    slug: str
    user: str | None
    """The exact user name (from the annotation, when it matches the slug)."""
    terminating: bool = False
    services: int = 0
    pods: int = 0
    quota: tuple[QuotaUse, ...] = field(default_factory=tuple)


def _meta(obj: Obj) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def quota_uses(quotas: Iterable[Obj]) -> tuple[QuotaUse, ...]:
    """Every resource limited by ``quotas`` with its use, in name order."""
    uses: dict[str, QuotaUse] = {}
    for quota in quotas:
        status = quota.get("status") or {}
        hard = status.get("hard") or (quota.get("spec") or {}).get("hard") or {}
        used = status.get("used") or {}
        for resource, limit in hard.items():
            uses[resource] = QuotaUse(resource, str(used.get(resource, "0")), str(limit))
    return tuple(uses[r] for r in sorted(uses))


def summarize(
    namespaces: Iterable[Obj],
    pods: Iterable[Obj],
    services: Iterable[Obj],
    quotas: Iterable[Obj],
) -> dict[str, NamespaceSummary]:
    """One summary per user namespace, keyed by slug (pure).

    ``pods``, ``services`` and ``quotas`` may hold objects of any namespace; only those of
    user namespaces count. A service counts once: its main Service (the one whose name is
    its ``karvdash.io/service`` label).
    """
    by_name: dict[str, tuple[str, str | None, bool]] = {}
    for namespace in namespaces:
        slug = slug_from_namespace(namespace)
        if slug is None:
            continue
        terminating = bool(_meta(namespace).get("deletionTimestamp")) or (
            (namespace.get("status") or {}).get("phase") == "Terminating"
        )
        by_name[str(_meta(namespace).get("name"))] = (
            slug,
            user_from_namespace(namespace),
            terminating,
        )
    pod_count: dict[str, int] = {}
    for pod in pods:
        ns = str(_meta(pod).get("namespace"))
        if ns in by_name:
            pod_count[ns] = pod_count.get(ns, 0) + 1
    service_count: dict[str, int] = {}
    for service in services:
        meta = _meta(service)
        ns = str(meta.get("namespace"))
        if ns in by_name and (meta.get("labels") or {}).get(SERVICE_LABEL) == meta.get("name"):
            service_count[ns] = service_count.get(ns, 0) + 1
    quotas_of: dict[str, list[Obj]] = {}
    for quota in quotas:
        quotas_of.setdefault(str(_meta(quota).get("namespace")), []).append(quota)
    return {
        slug: NamespaceSummary(
            name=ns,
            slug=slug,
            user=user,
            terminating=terminating,
            services=service_count.get(ns, 0),
            pods=pod_count.get(ns, 0),
            quota=quota_uses(quotas_of.get(ns, [])),
        )
        for ns, (slug, user, terminating) in sorted(by_name.items())
    }


async def _list(api: Any, path: str, what: str, *, selector: str = "", meta: bool) -> list[Obj]:
    query = {"labelSelector": selector} if selector else {}
    accept = f"{PARTIAL_METADATA}, application/json" if meta else "application/json"
    call = partial(request_bytes, api, "GET", path, query=query, accept=accept, compressed=False)
    try:
        data = await with_retries(call, f"listing {what}")
    except Exception as exc:
        raise karvdash_error(exc, f"listing {what}") from None
    return list(json.loads(data).get("items") or [])


async def read_overview(api: Any) -> dict[str, NamespaceSummary]:
    """:func:`summarize` of the cluster as ``api`` (a ``kubernetes_asyncio`` client) sees it.

    The caller needs ``list`` on namespaces, pods, services and resourcequotas, cluster-wide
    (the hub's account has them, deploy/hub/rbac.yaml).
    """
    namespaces, pods, services, quotas = await asyncio.gather(
        _list(api, "/api/v1/namespaces", "user namespaces", selector=USER_LABEL, meta=False),
        _list(api, "/api/v1/pods", "pods", meta=True),
        _list(api, "/api/v1/services", "services", selector=SERVICE_LABEL, meta=True),
        _list(api, "/api/v1/resourcequotas", "resource quotas", meta=False),
    )
    return summarize(namespaces, pods, services, quotas)
