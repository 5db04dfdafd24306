"""Karvdash users on the dev cluster as the tests make them: a user namespace whose
``default`` service account is admin of that namespace only (as Karvdash provisions it),
and the kubeconfig a notebook pod gets for that account."""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import yaml
from kubernetes import client

from karvdash.naming import namespace_annotations, namespace_labels

from ..conftest import _drop_namespace, _make_namespace


def user_namespace(
    core: client.CoreV1Api, api_client: client.ApiClient, prefix: str = "user"
) -> Iterator[tuple[str, str]]:
    """A fresh user and their namespace, removed when the generator is closed."""
    user = f"{prefix}{secrets.token_hex(3)}"
    labels = {**namespace_labels(user), "karvdash.io/test": "true"}
    namespace = _make_namespace(core, f"karvdash-{user}", labels, namespace_annotations(user))
    grant_namespace_admin(api_client, namespace)
    yield user, namespace
    _drop_namespace(core, namespace)


def grant_namespace_admin(api: client.ApiClient, namespace: str) -> None:
    """Bind the namespace's ``default`` account to ``cluster-admin`` there, as Karvdash's
    provisioning does for every user namespace."""
    client.RbacAuthorizationV1Api(api).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "karvdash-test-admin"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
        },
    )


def _account_token(core: client.CoreV1Api, namespace: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        account = core.read_namespaced_service_account("default", namespace)
        for ref in account.secrets or []:
            secret = core.read_namespaced_secret(ref.name, namespace)
            if secret.data and "token" in secret.data:
                return base64.b64decode(secret.data["token"]).decode()
        time.sleep(0.2)
    raise AssertionError(f"no token for the default service account of {namespace}")


def user_kubeconfig(
    core: client.CoreV1Api, admin_kubeconfig: Path, namespace: str, path: Path
) -> Path:
    """A kubeconfig acting as ``system:serviceaccount:<namespace>:default``."""
    admin = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = admin["clusters"][0]["cluster"]
    if "certificate-authority" in cluster:
        ca = Path(cluster["certificate-authority"])
        if not ca.is_absolute():
            ca = admin_kubeconfig.parent / ca
        cluster = {"server": cluster["server"], "certificate-authority": str(ca)}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": "u", "user": {"token": _account_token(core, namespace)}}],
        "contexts": [
            {"name": "x", "context": {"cluster": "c", "user": "u", "namespace": namespace}}
        ],
        "current-context": "x",
    }
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path
