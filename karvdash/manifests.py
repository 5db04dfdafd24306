"""Apply Kubernetes manifests from ``deploy/`` (create, or replace what differs).

Used by the dev stack to install the same objects an operator installs on a real cluster
(the hub's RBAC, the CRDs), so the dev stack exercises the shipped manifests.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml


def deploy_dir() -> Path:
    """``deploy/`` of a source checkout, else the copy installed as shared data."""
    for candidate in (
        Path(__file__).resolve().parent.parent / "deploy",
        Path(sys.prefix) / "share" / "karvdash" / "deploy",
    ):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the deploy/ manifests of Karvdash are not installed")


def load_documents(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                yield doc


def apply(api_client: Any, documents: Iterable[dict[str, Any]]) -> list[str]:
    """Create each object, or replace it when it exists; returns ``kind/name`` applied."""
    from kubernetes.client.exceptions import ApiException
    from kubernetes.dynamic import DynamicClient

    dynamic = DynamicClient(api_client)
    applied = []
    for doc in documents:
        resource = dynamic.resources.get(api_version=doc["apiVersion"], kind=doc["kind"])
        meta = doc["metadata"]
        namespace = meta.get("namespace") if resource.namespaced else None
        try:
            resource.create(body=doc, namespace=namespace)
        except ApiException as exc:
            if exc.status != 409:
                raise
            current = resource.get(name=meta["name"], namespace=namespace)
            body = {
                **doc,
                "metadata": {**meta, "resourceVersion": current.metadata.resourceVersion},
            }
            resource.replace(body=body, namespace=namespace)
        applied.append(f"{doc['kind']}/{meta['name']}")
    return applied
