"""The local kubelet's Node: registration, status and the Lease heartbeat."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
from kubernetes_asyncio.client.exceptions import ApiException

from . import podstatus as ps

log = logging.getLogger("karvdash.kubelet")
MERGE = "application/merge-patch+json"


class NodeAgent:
    """Keeps Node ``name`` registered, untainted, Ready and its Lease renewed."""

    def __init__(self, v1: Any, coord: Any, name: str, host_ip: str, port: int = 0) -> None:
        self.v1 = v1
        self.coord = coord
        self.node_name = name
        self.host_ip = host_ip
        self.port = port  # the kubelet API's, announced in daemonEndpoints (0: none)

    async def register(self) -> None:
        node = ps.make_node(self.node_name)
        try:
            await self.v1.create_node(node)
        except ApiException as exc:
            if exc.status != 409:
                raise
        await self.post_node_status()
        raw = await self.v1.read_node(self.node_name, _preload_content=False)
        current = json.loads(await raw.read())
        taints = (current.get("spec") or {}).get("taints") or []
        kept = [
            t for t in taints if not t.get("key", "").startswith("node.kubernetes.io/not-ready")
        ]
        if kept != taints:
            await self.v1.patch_node(
                self.node_name, {"spec": {"taints": kept or None}}, _content_type=MERGE
            )
        log.info("node %s registered and Ready", self.node_name)

    async def post_node_status(self) -> None:
        await self.v1.patch_node_status(
            self.node_name,
            ps.make_node_status(self.node_name, self.host_ip, port=self.port),
            _content_type=MERGE,
        )

    async def heartbeat(self) -> None:
        """Renew the node Lease every 10 s and the Ready condition every 40 s."""
        beats = 0
        while True:
            try:
                await self._renew_lease()
                if beats % 4 == 3:
                    await self.post_node_status()
            except (ApiException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("heartbeat failed: %s", exc)
            beats += 1
            await asyncio.sleep(10)

    async def _renew_lease(self) -> None:
        now = ps.micro_now()
        body = {
            "metadata": {"name": self.node_name, "namespace": "kube-node-lease"},
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": 40,
                "renewTime": now,
            },
        }
        try:
            await self.coord.patch_namespaced_lease(
                self.node_name, "kube-node-lease", {"spec": body["spec"]}, _content_type=MERGE
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            await self.coord.create_namespaced_lease("kube-node-lease", body)
