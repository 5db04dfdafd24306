"""Decoding the lists behind :meth:`ServiceManager.list`, fast (pure).

A thousand pods are about 3 MB of JSON, mostly fields a service list never reads
(``managedFields``, specs). ``msgspec`` decodes only the declared fields, skipping the
rest without building it: about 25 times faster than ``json.loads``. The result is the
same JSON shape (dicts), reduced to what :mod:`.status` and the summaries read.
"""

from __future__ import annotations

from typing import Any

import msgspec

PARTIAL_METADATA = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
"""Accept header asking for the objects' metadata only (any kind)."""


class _Metadata(msgspec.Struct):
    name: str = ""
    labels: dict[str, str] = {}
    annotations: dict[str, str] = {}
    creationTimestamp: str | None = None
    deletionTimestamp: str | None = None


class _Object(msgspec.Struct):
    metadata: _Metadata = msgspec.field(default_factory=_Metadata)


class _PodStatus(msgspec.Struct):
    phase: str | None = None
    reason: str | None = None
    conditions: list[dict[str, Any]] = []
    containerStatuses: list[dict[str, Any]] = []
    initContainerStatuses: list[dict[str, Any]] = []


class _Pod(msgspec.Struct):
    metadata: _Metadata = msgspec.field(default_factory=_Metadata)
    status: _PodStatus = msgspec.field(default_factory=_PodStatus)


class _ObjectList(msgspec.Struct):
    items: list[_Object] | None = None


class _PodList(msgspec.Struct):
    items: list[_Pod] | None = None


_objects = msgspec.json.Decoder(_ObjectList)
_pods = msgspec.json.Decoder(_PodList)


def _metadata(meta: _Metadata) -> dict[str, Any]:
    return {
        "name": meta.name,
        "labels": meta.labels,
        "annotations": meta.annotations,
        "creationTimestamp": meta.creationTimestamp,
        "deletionTimestamp": meta.deletionTimestamp,
    }


def decode_objects(data: bytes) -> list[dict[str, Any]]:
    """A list answer (any kind, full or metadata only) as ``[{"metadata": {...}}]``."""
    return [{"metadata": _metadata(o.metadata)} for o in _objects.decode(data).items or []]


def decode_pods(data: bytes) -> list[dict[str, Any]]:
    """A PodList answer as pods with the metadata and status fields the status reads."""
    return [
        {
            "metadata": _metadata(p.metadata),
            "status": {
                "phase": p.status.phase,
                "reason": p.status.reason,
                "conditions": p.status.conditions,
                "containerStatuses": p.status.containerStatuses,
                "initContainerStatuses": p.status.initContainerStatuses,
            },
        }
        for p in _pods.decode(data).items or []
    ]
