"""Pure builders of the Kubernetes objects that make a user's namespace (no I/O).

A user's namespace holds, besides what the user creates:

* the namespace itself, labelled ``karvdash.io/user=<slug>`` (the webhook selects on it) and
  annotated with the exact user name;
* a RoleBinding of the namespace's ``default`` ServiceAccount to a ClusterRole
  (``cluster-admin`` by default): the user's server acts with it, and a RoleBinding
  confines the ClusterRole's rights to this one namespace;
* optionally a ResourceQuota and a LimitRange from the spawner's settings.

Every object carries ``app.kubernetes.io/managed-by: karvdash`` so an operator can tell
them from what the user made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from karvdash.naming import namespace_annotations, namespace_labels

MANAGED_BY = {"app.kubernetes.io/managed-by": "karvdash"}
ROLE_BINDING_NAME = "karvdash-user"
QUOTA_NAME = "karvdash-quota"
LIMIT_RANGE_NAME = "karvdash-limits"


def make_namespace(name: str, username: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {**namespace_labels(username), **MANAGED_BY},
            "annotations": namespace_annotations(username),
        },
    }


def make_role_binding(
    namespace: str, cluster_role: str, service_account: str = "default"
) -> dict[str, Any]:
    """Bind ``service_account`` of ``namespace`` to ``cluster_role``, in that namespace only."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": ROLE_BINDING_NAME, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": cluster_role,
        },
        "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": namespace}],
    }


def make_resource_quota(namespace: str, hard: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": QUOTA_NAME, "namespace": namespace, "labels": dict(MANAGED_BY)},
        "spec": {"hard": {k: str(v) for k, v in hard.items()}},
    }


def make_limit_range(namespace: str, limits: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {
            "name": LIMIT_RANGE_NAME,
            "namespace": namespace,
            "labels": dict(MANAGED_BY),
        },
        "spec": {"limits": [dict(limit) for limit in limits]},
    }


def binding_matches(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether an existing RoleBinding grants exactly what ``wanted`` does."""
    return bool(
        current.get("roleRef") == wanted["roleRef"]
        and current.get("subjects") == wanted["subjects"]
    )


def spec_matches(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """Whether a quota / limit range already has the wanted spec (as the server stores it)."""
    return bool(_normalise(current.get("spec")) == _normalise(wanted["spec"]))


def _normalise(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _normalise(v) for k, v in value.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return str(value) if isinstance(value, int | float) else value


def missing_labels(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The labels and annotations of ``wanted`` that ``current`` lacks or holds otherwise."""
    patch: dict[str, Any] = {}
    for field in ("labels", "annotations"):
        have = (current.get("metadata") or {}).get(field) or {}
        want = wanted["metadata"].get(field) or {}
        diff = {k: v for k, v in want.items() if have.get(k) != v}
        if diff:
            patch[field] = diff
    return patch
