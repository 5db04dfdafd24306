"""Builders shared by the webhook tests: settings, pods, reviews, patches."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import jsonpatch
from karvdash_webhook.policy import Policy

from karvdash.settings import load_settings

NAMESPACE = "karvdash-alice"
SLUG = "alice"
UID = "705ab4f5-6393-11e8-b7cc-42010a800002"


def make_policy(**overrides: Any) -> Policy:
    """The webhook's policy for the default settings, with ``overrides`` (no environment)."""
    return Policy.from_settings(load_settings(env={}, overrides=overrides))


def container(name: str = "notebook", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "jupyter/minimal-notebook", **fields}


def pod(*containers: dict[str, Any], **spec: Any) -> dict[str, Any]:
    """A Pod with ``containers`` (one ``notebook`` container by default) and ``spec`` fields."""
    annotations = spec.pop("annotations", None)
    metadata: dict[str, Any] = {"name": "jupyter-alice", "namespace": NAMESPACE}
    if annotations is not None:
        metadata["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": {"containers": list(containers) or [container()], **spec},
    }


def review(
    obj: dict[str, Any] | None,
    *,
    kind: str = "Pod",
    group: str = "",
    version: str = "v1",
    operation: str = "CREATE",
    namespace: str | None = NAMESPACE,
    uid: str = UID,
    old: dict[str, Any] | None = None,
    sub_resource: str | None = None,
) -> dict[str, Any]:
    """An AdmissionReview request as the API server sends it."""
    request: dict[str, Any] = {
        "uid": uid,
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": kind.lower() + "s"},
        "operation": operation,
        "userInfo": {"username": "system:serviceaccount:karvdash-alice:default"},
        "object": obj,
        "oldObject": old,
        "dryRun": False,
    }
    if namespace is not None:
        request["namespace"] = namespace
    if sub_resource is not None:
        request["subResource"] = sub_resource
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}


def decode_patch(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON Patch of an AdmissionReview answer (``[]`` if none)."""
    response = answer["response"]
    if "patch" not in response:
        assert "patchType" not in response
        return []
    assert response["patchType"] == "JSONPatch"
    patch: list[dict[str, Any]] = json.loads(base64.b64decode(response["patch"]))
    return patch


def apply(obj: dict[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """``patch`` applied to a copy of ``obj`` (raises if it does not apply)."""
    result: dict[str, Any] = jsonpatch.apply_patch(copy.deepcopy(obj), patch)
    return result


def domain_volumes(slug: str = SLUG) -> list[dict[str, Any]]:
    """The volumes the default settings add for ``slug``."""
    return [
        {
            "name": "karvdash-local",
            "hostPath": {"path": f"/mnt/local/{slug}", "type": "DirectoryOrCreate"},
        },
        {
            "name": "karvdash-remote",
            "hostPath": {"path": f"/mnt/remote/{slug}", "type": "DirectoryOrCreate"},
        },
        {
            "name": "karvdash-shared",
            "hostPath": {"path": "/mnt/shared", "type": "DirectoryOrCreate"},
        },
    ]


DOMAIN_MOUNTS = [
    {"name": "karvdash-local", "mountPath": "/local"},
    {"name": "karvdash-remote", "mountPath": "/remote"},
    {"name": "karvdash-shared", "mountPath": "/shared"},
]
