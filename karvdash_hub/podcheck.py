"""Tell early that a spawning pod will never be ready (pure: pod and event JSON in, text out).

KubeSpawner alone waits for ``start_timeout`` (minutes) whatever happens to the pod. These
states do not heal by waiting, so the spawn fails at once with a sentence the user can act
on (the hub shows it on the progress page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


class SpawnFailure(RuntimeError):
    """The server cannot start; the message is shown to the user."""


# Waiting reasons of a container that mean "this will not start by itself".
FATAL_WAITING = {
    "ErrImagePull": "its image cannot be pulled",
    "ImagePullBackOff": "its image cannot be pulled",
    "InvalidImageName": "its image name is invalid",
    "ErrImageNeverPull": "its image is not on the node and may not be pulled",
    "CreateContainerConfigError": "its container cannot be configured",
    "CreateContainerError": "its container cannot be created",
    "CrashLoopBackOff": "the server keeps crashing",
    "RunContainerError": "its container cannot be run",
}

# Warning events of the pod that mean the same.
FATAL_EVENTS = {"FailedMount", "FailedCreatePodSandBox"}


def pod_failure(pod: Mapping[str, Any], events: Sequence[Mapping[str, Any]] = ()) -> str | None:
    """Why ``pod`` will never become ready, or ``None`` while it still may."""
    status = pod.get("status") or {}
    name = (pod.get("metadata") or {}).get("name", "the pod")
    if status.get("phase") == "Failed":
        why = status.get("message") or status.get("reason") or "it failed"
        return f"Your server could not start: pod {name} failed ({why})."
    statuses = [
        *(status.get("initContainerStatuses") or []),
        *(status.get("containerStatuses") or []),
    ]
    for cs in statuses:
        waiting = ((cs or {}).get("state") or {}).get("waiting") or {}
        reason = waiting.get("reason")
        if reason in FATAL_WAITING:
            detail = waiting.get("message") or ""
            image = cs.get("image") or ""
            text = f"Your server could not start: {FATAL_WAITING[reason]} ({reason}"
            text += f", image {image}" if image and "image" in FATAL_WAITING[reason] else ""
            text += f": {detail})." if detail else ")."
            return text
    for event in events:
        if event.get("type") == "Warning" and event.get("reason") in FATAL_EVENTS:
            return f"Your server could not start: {event.get('reason')}: {event.get('message')}"
    return None
