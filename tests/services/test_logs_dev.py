"""A service's logs on the dev cluster, whose local kubelet serves ``/containerLogs``."""

from __future__ import annotations

import pytest

from karvdash.devcluster.cluster import DevCluster
from karvdash.devstack import DevStack
from karvdash.services import ServiceManager

from .helpers import wait_for_status

pytestmark = pytest.mark.cluster


async def test_logs_of_a_service_whose_image_cannot_run_here_are_empty(
    manager: ServiceManager, cluster: DevStack
) -> None:
    if not isinstance(cluster.cluster, DevCluster):
        pytest.skip("only the dev cluster's kubelet runs nothing of a service's image")
    await manager.create("hello-kubernetes", name="quiet")
    (pod,) = (await wait_for_status(manager, "quiet", "Running")).pods
    # the API server fetched each log from the kubelet: nothing ran, so nothing was printed
    assert await manager.logs("quiet", tail_lines=10) == {f"{pod}/hello-kubernetes": ""}
