"""What a pod's containers need from the API server: its token, secrets and config maps."""

from __future__ import annotations

import contextlib
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException

from .runtime import PodFiles

Json = dict[str, Any]
API_AUDIENCE = "https://kubernetes.default.svc"
TOKEN_SECONDS = 365 * 24 * 3600
"""Lifetime of the pod's bound token (a real kubelet refreshes it; this one does not)."""


async def fetch_pod_files(v1: Any, pod: Json) -> PodFiles:
    """The token, secrets and config maps the pod's containers need."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    ns = meta["namespace"]
    files = PodFiles()
    sa = spec.get("serviceAccountName") or "default"
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        try:
            account = await v1.read_namespaced_service_account(sa, ns)
            automount = account.automount_service_account_token
        except ApiException:
            automount = None
    if automount is not False:
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {
                "audiences": [API_AUDIENCE],
                "expirationSeconds": TOKEN_SECONDS,
                "boundObjectRef": {
                    "kind": "Pod",
                    "apiVersion": "v1",
                    "name": meta["name"],
                    "uid": meta["uid"],
                },
            },
        }
        resp = await v1.create_namespaced_service_account_token(sa, ns, body)
        files.token = resp.status.token
    secret_names: set[str] = set()
    cm_names: set[str] = set()
    for v in spec.get("volumes") or []:
        if "secret" in v:
            secret_names.add(v["secret"].get("secretName", ""))
        if "configMap" in v:
            cm_names.add(v["configMap"].get("name", ""))
    for c in spec.get("containers") or []:
        for e in c.get("env") or []:
            src = e.get("valueFrom") or {}
            if "secretKeyRef" in src:
                secret_names.add(src["secretKeyRef"].get("name", ""))
            if "configMapKeyRef" in src:
                cm_names.add(src["configMapKeyRef"].get("name", ""))
    for name in filter(None, secret_names):
        with contextlib.suppress(ApiException):
            files.secrets[name] = (await v1.read_namespaced_secret(name, ns)).data or {}
    for name in filter(None, cm_names):
        with contextlib.suppress(ApiException):
            files.config_maps[name] = (await v1.read_namespaced_config_map(name, ns)).data or {}
    return files
