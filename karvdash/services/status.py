"""A service's status from the JSON of its pods (pure).

Rules, first match wins:

1. no pods: ``Pending`` ("no pods yet");
2. a pod ``Failed``, or a container that cannot run (waiting with an error reason such
   as ``ImagePullBackOff``, ``CrashLoopBackOff``, ``CreateContainerConfigError``, or
   terminated with a non-zero exit code and not restarting): ``Failed`` with that reason;
3. every pod being deleted: ``Terminating``;
4. a pod that cannot be scheduled or whose containers are not ready: ``Pending`` with
   the reason (``Unschedulable``, ``ContainerCreating``, ``not ready``);
5. every pod ``Succeeded``: ``Succeeded``; otherwise ``Running``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .model import Status

FAILING_WAIT_REASONS = frozenset(
    {
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "ErrImageNeverPull",
        "CrashLoopBackOff",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "PreStartHookError",
        "PostStartHookError",
    }
)
"""Reasons of a waiting container that will not get better by waiting."""


def _containers(pod: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    status = pod.get("status") or {}
    return list(status.get("initContainerStatuses") or []) + list(
        status.get("containerStatuses") or []
    )


def pod_problem(pod: Mapping[str, Any]) -> str | None:
    """Why a pod has failed (``ImagePullBackOff``, ``Error``, ``Evicted``...), or ``None``."""
    status = pod.get("status") or {}
    if status.get("phase") == "Failed":
        return str(status.get("reason") or _terminated_reason(pod) or "Failed")
    for container in _containers(pod):
        state = container.get("state") or {}
        waiting = state.get("waiting") or {}
        if waiting.get("reason") in FAILING_WAIT_REASONS:
            return str(waiting["reason"])
    return None


def _terminated_reason(pod: Mapping[str, Any]) -> str | None:
    for container in _containers(pod):
        terminated = (container.get("state") or {}).get("terminated") or {}
        if terminated.get("exitCode"):
            return str(terminated.get("reason") or f"exit code {terminated['exitCode']}")
    return None


def pod_waiting(pod: Mapping[str, Any]) -> str | None:
    """Why a pod is not running yet, or ``None`` when it is running and ready."""
    status = pod.get("status") or {}
    phase = status.get("phase")
    if phase == "Succeeded":
        return None
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return str(condition.get("reason") or "Unschedulable")
    if phase != "Running":
        for container in _containers(pod):
            reason = ((container.get("state") or {}).get("waiting") or {}).get("reason")
            if reason:
                return str(reason)
        return str(phase or "Pending")
    if not all(c.get("ready") for c in status.get("containerStatuses") or []):
        return "not ready"
    return None


def service_status(pods: Iterable[Mapping[str, Any]]) -> tuple[Status, str]:
    """``(status, reason)`` of a service from its pods' JSON."""
    pods = list(pods)
    if not pods:
        return "Pending", "no pods yet"
    for pod in pods:
        problem = pod_problem(pod)
        if problem is not None:
            return "Failed", problem
    alive = [p for p in pods if not (p.get("metadata") or {}).get("deletionTimestamp")]
    if not alive:
        return "Terminating", ""
    for pod in alive:
        waiting = pod_waiting(pod)
        if waiting is not None:
            return "Pending", waiting
    if all((p.get("status") or {}).get("phase") == "Succeeded" for p in alive):
        return "Succeeded", ""
    return "Running", ""
