"""A ``/containerLogs`` request to the local kubelet, decided as a kubelet decides it (pure).

:func:`parse_options` reads the query (``tailLines``, ``limitBytes``, ``timestamps``,
``previous``, ``follow``, ``sinceSeconds``, ``sinceTime`` and the old ``tail``) and refuses
what the kubelet refuses, with its words; :func:`choose_container_id` picks which
instance of a container the log is read from (``previous`` means the last terminated
one) from the pod's container statuses; :func:`instance_of` turns that container ID into
the instance number that names its log file, ``<pod>/logs/<container>/<instance>.log``
(as a kubelet's ``/var/log/pods/<pod>/<container>/<restartCount>.log``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import crilog
from .podstatus import container_id

Json = dict[str, Any]
_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_FALSE = ("0", "f", "F", "FALSE", "false", "False")


class LogRequestError(Exception):
    """The kubelet refuses the request: an HTTP status and the kubelet's message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class LogOptions:
    tail_lines: int | None = None
    limit_bytes: int | None = None
    timestamps: bool = False
    previous: bool = False
    follow: bool = False
    since: int | None = None  # nanoseconds since the epoch


def quote(text: str) -> str:
    """A name quoted as Go's ``%q`` quotes it."""
    return json.dumps(text, ensure_ascii=False)


def _bool(value: str) -> bool:
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(value)


def parse_options(query: Mapping[str, str], now_ns: int) -> LogOptions:
    """The request's log options; raises :class:`LogRequestError` (400 for a query that
    cannot be decoded, 422 for invalid values) with the kubelet's message."""
    values = dict(query)
    tail = values.pop("tail", None)
    if tail is not None:
        values.pop("tailLines", None)
        if tail != "all":
            values["tailLines"] = tail
    try:
        tail_lines = int(values["tailLines"]) if "tailLines" in values else None
        limit = int(values["limitBytes"]) if "limitBytes" in values else None
        since_seconds = int(values["sinceSeconds"]) if "sinceSeconds" in values else None
        since_time = crilog.parse_timestamp(values["sinceTime"]) if "sinceTime" in values else None
        flags = {k: _bool(values.get(k, "false")) for k in ("timestamps", "previous", "follow")}
    except ValueError as exc:
        raise LogRequestError(400, '{"message": "Unable to decode query."}') from exc
    invalid = (
        (tail_lines is not None and tail_lines < 0)
        or (limit is not None and limit < 1)
        or (since_seconds is not None and since_seconds < 1)
        or (since_seconds is not None and since_time is not None)
    )
    if invalid:
        raise LogRequestError(422, '{"message": "Invalid request."}')
    since = since_time
    if since_seconds is not None:
        since = now_ns - since_seconds * 1_000_000_000
    return LogOptions(tail_lines=tail_lines, limit_bytes=limit, since=since, **flags)


def container_names(pod: Mapping[str, Any]) -> list[str]:
    """Every container of the pod: init, regular and ephemeral ones."""
    spec = pod.get("spec") or {}
    return [
        str(c.get("name"))
        for key in ("initContainers", "containers", "ephemeralContainers")
        for c in spec.get(key) or []
    ]


def _terminated_id(state: Mapping[str, Any] | None) -> str:
    return str(((state or {}).get("terminated") or {}).get("containerID") or "")


def choose_container_id(
    pod_name: str, statuses: Iterable[Mapping[str, Any]], container: str, previous: bool
) -> str:
    """The ID of the container instance whose log is read; raises :class:`LogRequestError`
    (400) with the kubelet's message when there is none."""
    name, pod = quote(container), quote(pod_name)
    status = next((s for s in statuses if s.get("name") == container), None)
    if status is None:
        raise LogRequestError(400, f"container {name} in pod {pod} is not available")
    state = status.get("state") or {}
    last = status.get("lastState") or {}
    if previous:
        if not _terminated_id(last):
            raise LogRequestError(
                400, f"previous terminated container {name} in pod {pod} not found"
            )
        return _terminated_id(last)
    if state.get("running") is not None:
        return str(status.get("containerID") or "")
    if state.get("terminated") is not None:
        found = _terminated_id(state) or _terminated_id(last)
        if not found:
            raise LogRequestError(400, f"container {name} in pod {pod} is terminated")
        return found
    if last.get("terminated") is not None:
        if not _terminated_id(last):
            raise LogRequestError(400, f"container {name} in pod {pod} is terminated")
        return _terminated_id(last)
    waiting = state.get("waiting")
    if waiting is not None:
        reason = waiting.get("reason") or ""
        why = {
            "ErrImagePull": "image can't be pulled",
            "ImagePullBackOff": "trying and failing to pull image",
        }.get(reason, reason)
        raise LogRequestError(400, f"container {name} in pod {pod} is waiting to start: {why}")
    raise LogRequestError(400, f"container {name} in pod {pod} is waiting to start - no logs yet")


def instance_of(pod_uid: str, status: Mapping[str, Any], wanted_id: str) -> int | None:
    """Which instance (restart number) of a container has ID ``wanted_id``."""
    name = str(status.get("name"))
    for instance in range(int(status.get("restartCount") or 0), -1, -1):
        if container_id(pod_uid, name, instance) == wanted_id:
            return instance
    return None


def log_file(log_dir: Path, container: str, instance: int) -> Path:
    """Where the runtime writes the output of one instance of a container."""
    return log_dir / container / f"{instance}.log"


def is_running(statuses: Iterable[Mapping[str, Any]], container: str, wanted_id: str) -> bool:
    """The container instance ``wanted_id`` runs now (``follow`` goes on while it does)."""
    for status in statuses:
        if status.get("name") == container:
            running = (status.get("state") or {}).get("running") is not None
            return running and status.get("containerID") == wanted_id
    return False
