"""Helpers shared by the tests (waiting on a real cluster)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from kubernetes import client

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 30.0, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_until_pods_admitted(core: client.CoreV1Api, name: str, timeout: float = 30) -> None:
    """Wait until the namespace accepts pods (its default ServiceAccount and, before
    Kubernetes 1.24, that account's token exist): a dry-run pod create is admitted."""
    probe = {"metadata": {"name": "probe"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            core.create_namespaced_pod(name, probe, dry_run="All")
            return
        except client.ApiException as exc:
            if exc.status not in (403, 404, 500):
                return
            time.sleep(0.1)
    raise TimeoutError(f"namespace {name} does not accept pods yet")


def deployment(name: str, pod_spec: dict[str, Any], replicas: int = 1) -> dict[str, Any]:
    """A Deployment of ``replicas`` pods with ``pod_spec``, selected by ``app: <name>``."""
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec},
        },
    }


def push_images(env: dict[str, str], repo: str, tags: dict[str, str]) -> None:
    """Push a tiny image per tag (``{tag: note}``, distinct notes give distinct images)
    straight to the registry the settings ``env`` name (the dev stack's ``env``)."""
    import asyncio

    from karvdash.registry import RegistryGateway
    from karvdash.settings import load_settings

    from .registry.helpers import push_tiny

    async def push() -> None:
        gateway = RegistryGateway.from_settings(load_settings(env=env))
        try:
            for tag, note in tags.items():
                await push_tiny(gateway, repo, tag, note=note)
        finally:
            await gateway.close()

    asyncio.run(push())
