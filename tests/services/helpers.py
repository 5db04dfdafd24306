"""Waiting for services on the cluster, and reading what a service left behind."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from karvdash.kube import request_json
from karvdash.services import Service, ServiceManager
from karvdash.templates import KINDS, SERVICE_LABEL


async def wait_for_status(
    manager: ServiceManager, name: str, status: str, timeout: float = 60
) -> Service:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = await manager.get(name)
        if last.status == status:
            return last
        await asyncio.sleep(0.2)
    raise AssertionError(f"service {name} is {last} after {timeout} s, not {status}")


async def leftovers(api: Any, namespace: str, selector: str) -> list[str]:
    """``Kind/name`` of every object matching ``selector``, of every kind a template may
    hold (each served version tried), plus ReplicaSets and pods made by controllers."""
    found: list[str] = []
    for kind in KINDS.values():
        for version in kind.api_versions:
            path = kind.collection_path(namespace, version)
            try:
                answer = await request_json(api, "GET", path, query={"labelSelector": selector})
            except Exception as exc:
                if getattr(exc, "status", None) == 404:
                    continue
                raise
            found += [f"{kind.kind}/{i['metadata']['name']}" for i in answer["items"]]
            break
    return sorted(set(found))


async def wait_until_gone(api: Any, namespace: str, name: str, timeout: float = 60) -> None:
    """Until nothing labelled with service ``name`` is left (garbage collection included)."""
    deadline = time.monotonic() + timeout
    left: list[str] = []
    while time.monotonic() < deadline:
        left = await leftovers(api, namespace, f"{SERVICE_LABEL}={name}")
        if not left:
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"still there after {timeout} s: {left}")
