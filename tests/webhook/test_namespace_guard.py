"""The namespace guard through the real kube-apiserver, with a user's real rights.

The user is what the hub makes: the ``default`` ServiceAccount of their namespace, bound
to ``cluster-admin`` by the RoleBinding ``karvdash-user`` in that namespace. RBAC lets
that binding patch the Namespace object itself; the webhook must not.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import namespace_annotations, namespace_labels

from ..helpers import wait_for

GUARD = 'admission webhook "validate-namespace.karvdash.io" denied the request'
UNKNOWN_OWNER = "the owner of this namespace is unknown"


def token_client(api_client: client.ApiClient, account: str, namespace: str) -> client.ApiClient:
    """A client of the admin kubeconfig's server and CA, acting as ``namespace/account``."""
    core = client.CoreV1Api(api_client)
    request = {"spec": {"audiences": [], "expirationSeconds": 3600}}
    answer = wait_for(
        lambda: _token(core, account, namespace, request), 30, f"a token of {account}"
    )
    admin = api_client.configuration
    configuration = client.Configuration()
    configuration.host = admin.host
    configuration.ssl_ca_cert = admin.ssl_ca_cert
    configuration.api_key = {"authorization": f"Bearer {answer}"}
    return client.ApiClient(configuration)


def _token(core: client.CoreV1Api, account: str, namespace: str, body: Any) -> str | None:
    try:
        return str(
            core.create_namespaced_service_account_token(account, namespace, body).status.token
        )
    except client.ApiException as exc:
        if exc.status == 404:  # the ServiceAccount is not there yet
            return None
        raise


def bind(api_client: client.ApiClient, namespace: str, role: str, account: str) -> None:
    """The RoleBinding the hub makes: ``karvdash-user`` -> ``role`` for ``account``."""
    client.RbacAuthorizationV1Api(api_client).create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "karvdash-user"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": role,
            },
            "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
        },
    )


@pytest.fixture
def user(api_client: client.ApiClient, user_namespace: str) -> Iterator[client.CoreV1Api]:
    """The user of ``user_namespace``, admin of it exactly as the hub makes them."""
    bind(api_client, user_namespace, "cluster-admin", "default")
    api = token_client(api_client, "default", user_namespace)
    yield client.CoreV1Api(api)
    api.close()


def refusal(call: Callable[[], Any]) -> str:
    with pytest.raises(client.ApiException) as denied:
        call()
    assert denied.value.status == 403, denied.value.body
    return str(json.loads(denied.value.body)["message"])


def metadata(core: client.CoreV1Api, name: str) -> tuple[dict[str, str], dict[str, str]]:
    ns = core.read_namespace(name)
    return dict(ns.metadata.labels or {}), dict(ns.metadata.annotations or {})


def root_pod(name: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "containers": [{"name": "app", "image": "busybox"}],
            "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
        },
    }


def test_a_user_may_not_touch_the_karvdash_keys_of_their_namespace(
    core: client.CoreV1Api, user: client.CoreV1Api, user_namespace: str
) -> None:
    before = metadata(core, user_namespace)
    attempts = {
        "remove the label": lambda: user.patch_namespace(
            user_namespace, {"metadata": {"labels": {"karvdash.io/user": None}}}
        ),
        "change the label": lambda: user.patch_namespace(
            user_namespace, {"metadata": {"labels": {"karvdash.io/user": "someone-else"}}}
        ),
        "change the annotation": lambda: user.patch_namespace(
            user_namespace, {"metadata": {"annotations": {"karvdash.io/username": "root"}}}
        ),
        # the status subresource takes label changes too on this API server
        "change the label ": lambda: user.patch_namespace_status(
            user_namespace, {"metadata": {"labels": {"karvdash.io/user": "someone-else"}}}
        ),
    }
    for what, attempt in attempts.items():
        message = refusal(attempt)
        assert message.startswith(GUARD), message
        expected = f'"system:serviceaccount:{user_namespace}:default" may not {what.strip()} "'
        assert expected in message
        assert "only Karvdash and cluster administrators may set or change them" in message
    assert metadata(core, user_namespace) == before
    # The escape the label would have opened stays shut.
    message = refusal(lambda: user.create_namespaced_pod(user_namespace, root_pod("root")))
    assert "outside your storage folders" in message
    assert user.list_namespaced_pod(user_namespace).items == []


def test_the_guard_fails_closed_while_the_webhook_is_down(
    core: client.CoreV1Api, user: client.CoreV1Api, user_namespace: str, cluster: DevStack
) -> None:
    cluster.stop_webhook()
    try:
        with pytest.raises(client.ApiException) as failed:
            user.patch_namespace(
                user_namespace, {"metadata": {"labels": {"karvdash.io/user": None}}}
            )
        assert failed.value.status == 500
        assert "failed calling webhook" in json.loads(failed.value.body)["message"]
    finally:
        cluster.restart_webhook()
    assert metadata(core, user_namespace)[0]["karvdash.io/user"]


def test_other_labels_and_annotations_stay_the_users(
    core: client.CoreV1Api, user: client.CoreV1Api, user_namespace: str
) -> None:
    user.patch_namespace(
        user_namespace, {"metadata": {"labels": {"team": "a"}, "annotations": {"note": "mine"}}}
    )
    labels, annotations = metadata(core, user_namespace)
    assert labels["team"] == "a"
    assert annotations["note"] == "mine"


def test_the_user_may_still_delete_their_namespace(
    core: client.CoreV1Api, user: client.CoreV1Api, user_namespace: str
) -> None:
    user.delete_namespace(user_namespace)
    wait_for(lambda: _gone(core, user_namespace), 60, f"namespace {user_namespace} to go")


def _gone(core: client.CoreV1Api, name: str) -> bool:
    try:
        core.read_namespace(name)
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise
    return False


def test_an_administrator_may_change_them_and_pods_stay_confined(
    core: client.CoreV1Api, user: client.CoreV1Api, user_namespace: str, cluster: DevStack
) -> None:
    """``system:masters`` is a manager; a namespace named like a user's whose label an
    administrator removed, or set to another user, still gets no node folder at all."""
    data = cluster.state_dir / "data"
    other = f"other{secrets.token_hex(3)}"
    core.patch_namespace(user_namespace, {"metadata": {"labels": {"karvdash.io/user": None}}})
    assert "karvdash.io/user" not in metadata(core, user_namespace)[0]
    message = refusal(lambda: user.create_namespaced_pod(user_namespace, root_pod("root")))
    assert message.startswith('admission webhook "validate-unlabelled.karvdash.io" denied'), message
    assert 'Volume "root" mounts the node folder "/"' in message
    assert UNKNOWN_OWNER in message

    core.patch_namespace(
        user_namespace,
        {
            "metadata": {
                "labels": namespace_labels(other),
                "annotations": namespace_annotations(other),
            }
        },
    )
    assert metadata(core, user_namespace)[0]["karvdash.io/user"] == other
    theirs = root_pod("theirs")
    theirs["spec"]["volumes"] = [{"name": "x", "hostPath": {"path": f"{data}/local/{other}"}}]
    for body in (root_pod("root"), theirs):
        assert UNKNOWN_OWNER in refusal(
            lambda body=body: user.create_namespaced_pod(user_namespace, body)
        )
    privileged = {
        "metadata": {"name": "priv"},
        "spec": {
            "containers": [{"name": "a", "image": "x", "securityContext": {"privileged": True}}]
        },
    }
    assert "privileged" in refusal(lambda: user.create_namespaced_pod(user_namespace, privileged))
    plain = user.create_namespaced_pod(
        user_namespace,
        {"metadata": {"name": "plain"}, "spec": {"containers": [{"name": "a", "image": "x"}]}},
    )
    assert not [v for v in plain.spec.volumes or [] if v.host_path]  # nobody's storage


@pytest.fixture
def namespace_creator(api_client: client.ApiClient, namespace: str) -> Iterator[client.CoreV1Api]:
    """A ServiceAccount that may create namespaces (and is no namespace manager)."""
    rbac = client.RbacAuthorizationV1Api(api_client)
    name = f"karvdash-test-creator-{namespace}"
    rbac.create_cluster_role(
        {
            "metadata": {"name": name},
            "rules": [
                {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["create", "delete"]}
            ],
        }
    )
    rbac.create_cluster_role_binding(
        {
            "metadata": {"name": name},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": name,
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
        }
    )
    api = token_client(api_client, "default", namespace)
    try:
        yield client.CoreV1Api(api)
    finally:
        api.close()
        rbac.delete_cluster_role_binding(name)
        rbac.delete_cluster_role(name)


def test_nobody_else_may_create_a_namespace_with_a_karvdash_label(
    core: client.CoreV1Api, namespace_creator: client.CoreV1Api, namespace: str
) -> None:
    victim = f"victim{secrets.token_hex(3)}"
    name = f"karvdash-{victim}"
    body = {"metadata": {"name": name, "labels": namespace_labels(victim)}}
    message = refusal(lambda: namespace_creator.create_namespace(body))
    assert message.startswith(GUARD)
    assert (
        f'"system:serviceaccount:{namespace}:default" may not set the label "karvdash.io/user"'
        in message
    )
    assert _gone(core, name)
    plain = f"test-plain-{secrets.token_hex(3)}"
    namespace_creator.create_namespace({"metadata": {"name": plain, "labels": {"team": "a"}}})
    namespace_creator.delete_namespace(plain)


def test_the_hubs_account_makes_and_relabels_user_namespaces(
    api_client: client.ApiClient, core: client.CoreV1Api, cluster: DevStack
) -> None:
    """The default ``namespace_managers`` is the account the dev stack's hub runs as."""
    assert cluster.hub is not None
    api = token_client(api_client, "karvdash-hub", "karvdash")
    hub = client.CoreV1Api(api)
    user = f"hub{secrets.token_hex(3)}"
    name = f"karvdash-{user}"
    try:
        hub.create_namespace(
            {
                "metadata": {
                    "name": name,
                    "labels": namespace_labels(user),
                    "annotations": namespace_annotations(user),
                }
            }
        )
        hub.patch_namespace(name, {"metadata": {"labels": {"karvdash.io/user": user}}})
        hub.patch_namespace(name, {"metadata": {"labels": {"karvdash.io/user": None}}})
        assert "karvdash.io/user" not in metadata(core, name)[0]
    finally:
        hub.delete_namespace(name)
        api.close()
