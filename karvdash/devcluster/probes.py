"""Readiness probes the local kubelet runs against a pod's own address."""

from __future__ import annotations

import asyncio
import socket
import ssl
import urllib.request
from collections.abc import Mapping
from typing import Any


async def readiness(container: Mapping[str, Any], ip: str) -> bool:
    probe = container.get("readinessProbe") or {}
    if "httpGet" in probe:
        get = probe["httpGet"]
        port = container_port(container, get.get("port"))
        scheme = (get.get("scheme") or "HTTP").lower()
        url = f"{scheme}://{ip}:{port}{get.get('path') or '/'}"
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def fetch() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=1, context=ctx) as resp:  # noqa: S310
                    return bool(200 <= resp.status < 400)
            except OSError:
                return False

        return await asyncio.to_thread(fetch)
    if "tcpSocket" in probe:
        port = container_port(container, probe["tcpSocket"].get("port"))

        def connect() -> bool:
            try:
                with socket.create_connection((ip, port), timeout=1):
                    return True
            except OSError:
                return False

        return await asyncio.to_thread(connect)
    return True  # exec probes cannot run here: report ready


def container_port(container: Mapping[str, Any], port: Any) -> int:
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    return int(port)
