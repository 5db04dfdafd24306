"""Every system template launches on the dev cluster with its defaults, its pods get the
storage domains (from the admission webhook), and it deletes without leftovers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from karvdash.services import ServiceManager
from karvdash.settings import Karvdash
from karvdash.templates.store import SUFFIX

from .helpers import wait_for_status, wait_until_gone

pytestmark = pytest.mark.cluster

FOLDER = Path(__file__).resolve().parents[2] / "service-templates"
IDS = sorted(p.name[: -len(SUFFIX)] for p in FOLDER.glob("*" + SUFFIX))


@pytest.mark.parametrize("template_id", IDS)
async def test_system_template_launches_and_deletes_cleanly(
    template_id: str,
    manager: ServiceManager,
    settings: Karvdash,
    core: client.CoreV1Api,
    aapi_client: Any,
    user_namespace: str,
) -> None:
    service = await manager.create(template_id)
    running = await wait_for_status(manager, service.name, "Running")
    assert running.pods
    for name in running.pods:
        pod = core.read_namespaced_pod(name, user_namespace)
        host_paths = {v.host_path.path for v in pod.spec.volumes if v.host_path}
        for domain in settings.domains:
            assert any(p.startswith(domain.host_path) for p in host_paths), domain.name
            for container in pod.spec.containers:
                mounts = {m.mount_path for m in container.volume_mounts or []}
                assert domain.mount_path in mounts, (container.name, domain.mount_path)
    await manager.delete(service.name)
    await wait_until_gone(aapi_client, user_namespace, service.name)
    assert await manager.list() == []
