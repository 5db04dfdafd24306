"""What a service is, as the surfaces show it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["Pending", "Running", "Succeeded", "Failed", "Terminating"]


@dataclass(frozen=True)
class ObjectRef:
    """One object a service created."""

    kind: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name}

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True)
class Service:
    """A running template instance: the objects labelled ``karvdash.io/service=<name>``.

    ``status`` comes from its pods (see :mod:`.status`): ``Pending``, ``Running``,
    ``Succeeded``, ``Failed`` (``reason`` says why, e.g. ``ImagePullBackOff``) or
    ``Terminating``. ``url`` is ``https://<name>-<user>.<domain>`` when the service has an
    Ingress, else ``None``. ``values`` are the values it was launched with. ``objects``
    is filled by :meth:`~.manager.ServiceManager.create` and ``get`` (not by ``list``).
    """

    name: str
    template: str
    created: datetime.datetime | None
    status: Status
    reason: str = ""
    url: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    objects: tuple[ObjectRef, ...] = ()
    pods: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the REST API (``created`` as ISO 8601 UTC)."""
        return {
            "name": self.name,
            "template": self.template,
            "created": self.created.isoformat() if self.created else None,
            "status": self.status,
            "reason": self.reason,
            "url": self.url,
            "values": dict(self.values),
            "objects": [o.to_json() for o in self.objects],
            "pods": list(self.pods),
        }
