"""The logs of a service's containers, through the API server's ``pods/log`` (I/O)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import partial
from typing import Any

from ..errors import Unavailable
from ..kube import request_json, status_message, with_retries


def started_containers(pod: Mapping[str, Any]) -> list[str]:
    """Containers (init containers first) that have run or run now."""
    status = pod.get("status") or {}
    names = []
    for entry in list(status.get("initContainerStatuses") or []) + list(
        status.get("containerStatuses") or []
    ):
        state = entry.get("state") or {}
        if state.get("running") or state.get("terminated") or entry.get("restartCount"):
            names.append(str(entry.get("name")))
    return names


def log_problem(exc: BaseException) -> str:
    """Why the API server could not give a container's log, in words."""
    message = status_message(exc)
    if "containerLogs" in message or "10250" in message:
        return (
            "the API server cannot reach the kubelet of the pod's node, which keeps the "
            f"logs ({message})"
        )
    return message


async def read_logs(
    api: Any, namespace: str, service: str, pods: list[dict[str, Any]], tail_lines: int
) -> dict[str, str]:
    """``{"<pod>/<container>": text}`` of every started container of ``pods``.

    Raises :class:`Unavailable` naming each container whose log the API server could
    not give, and why.
    """
    wanted = [
        (pod["metadata"]["name"], container)
        for pod in sorted(pods, key=lambda p: p["metadata"]["name"])
        for container in started_containers(pod)
    ]

    async def read(pod: str, container: str) -> str:
        path = f"/api/v1/namespaces/{namespace}/pods/{pod}/log"
        query = {"container": container, "tailLines": str(tail_lines)}
        text: str = await with_retries(
            partial(request_json, api, "GET", path, query=query, raw=True),
            f"reading the log of {pod}/{container}",
            attempts=2,
        )
        return text

    results = await asyncio.gather(*(read(p, c) for p, c in wanted), return_exceptions=True)
    logs: dict[str, str] = {}
    problems: list[str] = []
    for (pod, container), result in zip(wanted, results, strict=True):
        if isinstance(result, BaseException):
            problems.append(f"{pod}/{container}: {log_problem(result)}")
        else:
            logs[f"{pod}/{container}"] = result
    if problems:
        raise Unavailable(f"the logs of service {service} cannot be read: " + "; ".join(problems))
    return logs
