"""The hub runs with the ``karvdash-hub`` account of deploy/hub/rbac.yaml, not as admin,
and that account can do what spawning needs and little else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

from karvdash.devstack import DevStack


def _hub_process_env(cluster: DevStack) -> dict[str, str]:
    (hub,) = [c for c in cluster.supervisor.children if c.name == "hub"]
    raw = Path(f"/proc/{hub.pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def test_the_hub_acts_as_its_own_service_account(cluster: DevStack) -> None:
    assert cluster.hub is not None
    env = _hub_process_env(cluster)
    assert env["KUBECONFIG"] == str(cluster.hub.kubeconfig)
    kubeconfig = yaml.safe_load(cluster.hub.kubeconfig.read_text())
    (user,) = kubeconfig["users"]
    assert set(user["user"]) == {"token"}  # no client certificate, no admin token


@pytest.mark.parametrize(
    ("verb", "resource", "group", "namespace", "name", "allowed"),
    [
        ("create", "namespaces", "", None, None, True),
        ("watch", "pods", "", None, None, True),
        ("create", "pods", "", "karvdash-someone", None, True),
        ("bind", "clusterroles", "rbac.authorization.k8s.io", None, "cluster-admin", True),
        ("create", "resourcequotas", "", "karvdash-someone", None, True),
        # not needed, so not granted
        ("list", "secrets", "", None, None, False),
        ("list", "secrets", "", "kube-system", None, False),
        ("create", "deployments", "apps", "karvdash-someone", None, False),
        ("delete", "nodes", "", None, None, False),
        ("create", "clusterrolebindings", "rbac.authorization.k8s.io", None, None, False),
        ("bind", "clusterroles", "rbac.authorization.k8s.io", None, "admin", False),
        ("escalate", "clusterroles", "rbac.authorization.k8s.io", None, None, False),
        ("create", "pods/exec", "", "karvdash-someone", None, False),
        # the admin page: lists, and "stop service" as a namespace's default account only
        ("list", "services", "", None, None, True),
        ("list", "resourcequotas", "", None, None, True),
        ("impersonate", "serviceaccounts", "", "karvdash-someone", "default", True),
        ("impersonate", "serviceaccounts", "", "kube-system", "replicaset-controller", False),
        ("impersonate", "users", "", None, "admin", False),
        ("impersonate", "groups", "", None, "system:masters", False),
        ("delete", "deployments", "apps", "karvdash-someone", None, False),
    ],
)
def test_hub_account_rights(
    cluster: DevStack,
    verb: str,
    resource: str,
    group: str,
    namespace: str | None,
    name: str | None,
    allowed: bool,
) -> None:
    assert cluster.hub is not None
    api = config.new_client_from_config(str(cluster.hub.kubeconfig))
    try:
        attributes = {"verb": verb, "resource": resource, "group": group}
        if namespace:
            attributes["namespace"] = namespace
        if name:
            attributes["name"] = name
        if resource == "pods/exec":
            attributes.update(resource="pods", subresource="exec")
        review = client.AuthorizationV1Api(api).create_self_subject_access_review(
            {"spec": {"resourceAttributes": attributes}}
        )
        assert review.status.allowed is allowed, (attributes, review.status.reason)
    finally:
        api.close()
