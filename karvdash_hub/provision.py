"""Make a user's namespace what it must be, idempotently (the I/O around ``objects``).

Each step reads before it writes and writes only what differs, so a hub restart or a
second spawn changes nothing in the cluster. Every call has a timeout; 409 on create
means "already there" and is followed by a read.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

from kubernetes_asyncio import client
from kubernetes_asyncio.client.exceptions import ApiException

from karvdash.settings import ON_USER_DELETE_ANNOTATION

from . import objects

log = logging.getLogger(__name__)
T = TypeVar("T")


class ProvisionError(RuntimeError):
    """The namespace could not be made ready; the message is meant for the user."""


@dataclass
class NamespacePlan:
    """What a user's namespace must hold."""

    name: str
    username: str
    cluster_role: str = "cluster-admin"
    service_account: str = "default"
    quota: Mapping[str, Any] = field(default_factory=dict)
    limits: Sequence[Mapping[str, Any]] = ()


@dataclass
class Provisioner:
    """Applies a :class:`NamespacePlan` with one shared ``kubernetes_asyncio`` ApiClient."""

    api_client: Any
    timeout: float = 10.0
    terminating_timeout: float = 120.0
    changes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.core = client.CoreV1Api(self.api_client)
        self.rbac = client.RbacAuthorizationV1Api(self.api_client)

    async def _call(self, what: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await asyncio.wait_for(call(), self.timeout)
        except asyncio.TimeoutError as exc:
            raise ProvisionError(f"{what}: the Kubernetes API did not answer in time") from exc

    async def ensure(self, plan: NamespacePlan) -> list[str]:
        """Apply ``plan``; returns what was changed (empty when all was in place)."""
        self.changes = []
        await self.ensure_namespace(plan)
        await self.ensure_role_binding(plan)
        await self.ensure_quota(plan)
        await self.ensure_limit_range(plan)
        return self.changes

    async def ensure_namespace(self, plan: NamespacePlan) -> None:
        wanted = objects.make_namespace(plan.name, plan.username)
        deadline = time.monotonic() + self.terminating_timeout
        while True:
            try:
                await self._call("create namespace", lambda: self.core.create_namespace(wanted))
                self.changes.append(f"namespace {plan.name} created")
                return
            except ApiException as exc:
                if exc.status != 409:
                    raise _refusal(f"creating namespace {plan.name}", exc) from exc
            current = await self._read(lambda: self.core.read_namespace(plan.name))
            if current is None:
                continue  # deleted between the two calls: create again
            if current["metadata"].get("deletionTimestamp"):
                # A namespace being deleted (the user was just removed and is back):
                # wait until it is gone, then create it afresh.
                if time.monotonic() > deadline:
                    raise ProvisionError(
                        f"namespace {plan.name} is still being deleted; try again shortly"
                    )
                await asyncio.sleep(1.0)
                continue
            body = {"metadata": objects.missing_labels(current, wanted)}
            if body["metadata"]:
                await self._call(
                    "label namespace", partial(self.core.patch_namespace, plan.name, body)
                )
                self.changes.append(f"namespace {plan.name} labelled")
            return

    async def ensure_role_binding(self, plan: NamespacePlan) -> None:
        wanted = objects.make_role_binding(plan.name, plan.cluster_role, plan.service_account)
        name = wanted["metadata"]["name"]
        current = await self._read(lambda: self.rbac.read_namespaced_role_binding(name, plan.name))
        if current is not None and objects.binding_matches(current, wanted):
            return
        if current is not None:
            # roleRef cannot change in place: replace the binding.
            await self._call(
                "delete rolebinding",
                lambda: self.rbac.delete_namespaced_role_binding(name, plan.name),
            )
        try:
            await self._call(
                "create rolebinding",
                lambda: self.rbac.create_namespaced_role_binding(plan.name, wanted),
            )
        except ApiException as exc:
            if exc.status != 409:
                raise _refusal(f"binding {plan.cluster_role} in {plan.name}", exc) from exc
            return  # a concurrent spawn made the same binding
        self.changes.append(f"rolebinding {name} -> {plan.cluster_role}")

    async def ensure_quota(self, plan: NamespacePlan) -> None:
        if not plan.quota:
            return
        wanted = objects.make_resource_quota(plan.name, plan.quota)
        await self._ensure_spec(
            wanted,
            read=self.core.read_namespaced_resource_quota,
            create=self.core.create_namespaced_resource_quota,
            replace=self.core.replace_namespaced_resource_quota,
        )

    async def ensure_limit_range(self, plan: NamespacePlan) -> None:
        if not plan.limits:
            return
        wanted = objects.make_limit_range(plan.name, plan.limits)
        await self._ensure_spec(
            wanted,
            read=self.core.read_namespaced_limit_range,
            create=self.core.create_namespaced_limit_range,
            replace=self.core.replace_namespaced_limit_range,
        )

    async def _ensure_spec(
        self,
        wanted: dict[str, Any],
        *,
        read: Callable[..., Awaitable[Any]],
        create: Callable[..., Awaitable[Any]],
        replace: Callable[..., Awaitable[Any]],
    ) -> None:
        name, ns, kind = wanted["metadata"]["name"], wanted["metadata"]["namespace"], wanted["kind"]
        current = await self._read(lambda: read(name, ns))
        if current is None:
            try:
                await self._call(f"create {kind}", lambda: create(ns, wanted))
            except ApiException as exc:
                if exc.status != 409:
                    raise _refusal(f"creating {kind} {name} in {ns}", exc) from exc
                return
            self.changes.append(f"{kind} {name} created")
            return
        if objects.spec_matches(current, wanted):
            return
        body = {**wanted, "metadata": {**wanted["metadata"], **_version(current)}}
        try:
            await self._call(f"replace {kind}", lambda: replace(name, ns, body))
        except ApiException as exc:
            raise _refusal(f"updating {kind} {name} in {ns}", exc) from exc
        self.changes.append(f"{kind} {name} updated")

    async def _read(self, call: Callable[[], Awaitable[Any]]) -> dict[str, Any] | None:
        """Read one object as plain JSON (``None`` when it does not exist)."""
        try:
            obj = await self._call("read", call)
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise _refusal("reading", exc) from exc
        result: dict[str, Any] = self.api_client.sanitize_for_serialization(obj)
        return result

    async def on_user_delete(self, name: str, default: bool) -> bool:
        """Whether namespace ``name`` goes with its user: its
        ``karvdash.io/on-user-delete`` annotation (``keep``/``delete``, set by the admin
        page), else ``default``. A namespace that is not there needs nothing."""
        try:
            namespace = await self._call("read namespace", lambda: self.core.read_namespace(name))
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise _refusal(f"reading namespace {name}", exc) from exc
        choice = (namespace.metadata.annotations or {}).get(ON_USER_DELETE_ANNOTATION)
        if choice in ("keep", "delete"):
            return bool(choice == "delete")
        return default

    async def delete_namespace(self, name: str) -> bool:
        """Delete a user's namespace (and so every object in it). Data folders stay."""
        try:
            await self._call("delete namespace", lambda: self.core.delete_namespace(name))
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise _refusal(f"deleting namespace {name}", exc) from exc
        return True


def _version(current: Mapping[str, Any]) -> dict[str, Any]:
    rv = (current.get("metadata") or {}).get("resourceVersion")
    return {"resourceVersion": rv} if rv else {}


def _refusal(what: str, exc: ApiException) -> ProvisionError:
    """A readable error from an API refusal (the server's own message, not its headers)."""
    message = exc.reason or ""
    with contextlib.suppress(ValueError, AttributeError):
        message = json.loads(exc.body or "{}").get("message") or message
    return ProvisionError(f"{what} failed ({exc.status}): {message}")
