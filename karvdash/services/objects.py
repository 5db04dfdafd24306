"""The objects of services in one namespace, kind by kind (I/O).

Every kind a template may hold is listed or deleted through the first API version the
cluster serves (Kubernetes 1.20 serves ``batch/v1beta1`` CronJobs, later ones
``batch/v1``); versions answering 404 are remembered and skipped.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from ..kube import karvdash_error, request_json, with_retries
from ..templates.kinds import KINDS, Kind, deletion_kinds
from .model import ObjectRef

log = logging.getLogger(__name__)

Objects = list[dict[str, Any]]
Refs = list[ObjectRef]
BACKGROUND = {"propagationPolicy": "Background"}
"""Delete options: the object goes at once, the garbage collector removes what it owns."""


class NamespaceObjects:
    """Label-selected reads and deletes of template kinds in ``namespace``."""

    def __init__(self, api: Any, namespace: str) -> None:
        self.api = api
        self.namespace = namespace
        self._unserved: set[tuple[str, str]] = set()

    async def list(self, kind: str, selector: str) -> Objects:
        """Objects of ``kind`` (by name) matching ``selector``, first served version."""
        return await self._per_version(KINDS[kind], selector, self._list_version)

    async def delete_labelled(self, selector: str) -> Refs:
        """Delete every object matching ``selector``, of every kind, newest kinds first
        (one label-selected delete per kind where the API has it); what was deleted."""
        deleted: Refs = []
        for kind in deletion_kinds():
            items = await self._per_version(kind, selector, self._delete_version)
            deleted += [ObjectRef(kind.kind, i["metadata"]["name"]) for i in items]
        return deleted

    async def remove(self, created: Objects, reason: str) -> None:
        """Delete objects as returned by their creation, newest first (a failed launch)."""
        for obj in reversed(created):
            kind = KINDS[obj["kind"]]
            name = obj["metadata"]["name"]
            path = kind.object_path(self.namespace, name, obj.get("apiVersion"))
            try:
                await with_retries(
                    partial(request_json, self.api, "DELETE", path, body=BACKGROUND),
                    f"removing {kind.kind} {name}",
                )
            except Exception as exc:
                if getattr(exc, "status", None) != 404:
                    log.error("could not remove %s %s after %s: %s", kind.kind, name, reason, exc)
        log.info("removed %d object(s) of a failed launch: %s", len(created), reason)

    async def _per_version(self, kind: Kind, selector: str, call: Any) -> Objects:
        for version in kind.api_versions:
            if (kind.kind, version) in self._unserved:
                continue
            path = kind.collection_path(self.namespace, version)
            try:
                items: Objects = await call(kind, path, selector)
            except Exception as exc:
                if getattr(exc, "status", None) == 404:
                    self._unserved.add((kind.kind, version))
                    continue
                raise karvdash_error(exc, f"reaching the {kind.plural} of the service") from None
            return items
        return []

    async def _list_version(self, kind: Kind, path: str, selector: str) -> Objects:
        answer = await with_retries(
            partial(request_json, self.api, "GET", path, query={"labelSelector": selector}),
            f"listing {kind.plural}",
        )
        return [*(answer.get("items") or [])]

    async def _delete_version(self, kind: Kind, path: str, selector: str) -> Objects:
        query = {"labelSelector": selector}
        what = f"deleting {kind.plural}"
        if kind.delete_collection:
            answer = await with_retries(
                partial(request_json, self.api, "DELETE", path, query=query, body=BACKGROUND), what
            )
            return [*(answer.get("items") or [])]
        items = await self._list_version(kind, path, selector)
        for item in items:
            item_path = f"{path}/{item['metadata']['name']}"
            try:
                await with_retries(
                    partial(request_json, self.api, "DELETE", item_path, body=BACKGROUND), what
                )
            except Exception as exc:
                if getattr(exc, "status", None) != 404:
                    raise
        return items
