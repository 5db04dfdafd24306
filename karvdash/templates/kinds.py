"""The kinds a template may hold, their API paths, and the order services create them in.

Only namespaced kinds a user may own are accepted; cluster-scoped kinds and objects
of other namespaces are refused, because a service lives in its user's namespace and is
removed with everything it created. The API versions are those of Kubernetes 1.20 and
later (the newest first); a template may use any of them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """One kind: accepted API versions (preferred first), plural, creation rank.

    ``label_paths`` lead from the object to the nested object templates (pod templates,
    job templates) that get the service's labels too, so their pods are found.
    ``delete_collection`` says whether the API supports deleting by label selector.
    """

    kind: str
    api_versions: tuple[str, ...]
    plural: str
    rank: int
    label_paths: tuple[tuple[str, ...], ...] = ()
    delete_collection: bool = True

    def collection_path(self, namespace: str, api_version: str | None = None) -> str:
        """``/api/v1/namespaces/<ns>/<plural>`` or ``/apis/<group>/<version>/...``."""
        version = api_version or self.api_versions[0]
        root = "/api" if "/" not in version else "/apis"
        return f"{root}/{version}/namespaces/{namespace}/{self.plural}"

    def object_path(self, namespace: str, name: str, api_version: str | None = None) -> str:
        return f"{self.collection_path(namespace, api_version)}/{name}"


_POD_TEMPLATE = (("spec", "template"),)

KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        Kind("Service", ("v1",), "services", 0, delete_collection=False),
        Kind("ServiceAccount", ("v1",), "serviceaccounts", 1),
        Kind("Secret", ("v1",), "secrets", 2),
        Kind("ConfigMap", ("v1",), "configmaps", 3),
        Kind("PersistentVolumeClaim", ("v1",), "persistentvolumeclaims", 4),
        Kind("Role", ("rbac.authorization.k8s.io/v1",), "roles", 5),
        Kind("RoleBinding", ("rbac.authorization.k8s.io/v1",), "rolebindings", 6),
        Kind("NetworkPolicy", ("networking.k8s.io/v1",), "networkpolicies", 7),
        Kind("Pod", ("v1",), "pods", 10),
        Kind("ReplicaSet", ("apps/v1",), "replicasets", 11, _POD_TEMPLATE),
        Kind("Deployment", ("apps/v1",), "deployments", 12, _POD_TEMPLATE),
        Kind("StatefulSet", ("apps/v1",), "statefulsets", 13, _POD_TEMPLATE),
        Kind("DaemonSet", ("apps/v1",), "daemonsets", 14, _POD_TEMPLATE),
        Kind("Job", ("batch/v1",), "jobs", 15, _POD_TEMPLATE),
        Kind(
            "CronJob",
            ("batch/v1", "batch/v1beta1"),
            "cronjobs",
            16,
            (("spec", "jobTemplate"), ("spec", "jobTemplate", "spec", "template")),
        ),
        Kind(
            "HorizontalPodAutoscaler",
            ("autoscaling/v2", "autoscaling/v2beta2", "autoscaling/v1"),
            "horizontalpodautoscalers",
            17,
        ),
        Kind("PodDisruptionBudget", ("policy/v1", "policy/v1beta1"), "poddisruptionbudgets", 18),
        Kind(
            "Ingress",
            ("networking.k8s.io/v1", "networking.k8s.io/v1beta1"),
            "ingresses",
            19,
        ),
    )
}
"""Every kind a template may hold, by kind name."""

CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CertificateSigningRequest",
        "ClusterRole",
        "ClusterRoleBinding",
        "CSIDriver",
        "CSINode",
        "CustomResourceDefinition",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PodSecurityPolicy",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)
"""Cluster-scoped kinds, named in the error that refuses them."""


def creation_order(kinds: list[str]) -> list[int]:
    """Indexes of ``kinds`` in the order to create them (stable within a kind)."""
    return sorted(range(len(kinds)), key=lambda i: (KINDS[kinds[i]].rank, i))


def deletion_kinds() -> list[Kind]:
    """Every kind, in the order to delete a service's objects (the reverse of creation)."""
    return sorted(KINDS.values(), key=lambda k: -k.rank)
