"""Any user name gets a valid namespace of its own, and a user's server can act in that
namespace only (the API server's real RBAC decides)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from kubernetes import client, config

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for, user_slug

from .hubclient import api, wait_server, wait_stopped

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _server_kubeconfig(cluster: DevStack, namespace: str) -> Path:
    """The kubeconfig the user's server process was given (its pod's service account)."""
    state = Path(cluster.state_dir) / "kubelet" / "pods"
    found = list(
        state.glob(f"{namespace}_jupyter-*/root/var/run/secrets/kubernetes.io/*/kubeconfig")
    )
    assert len(found) == 1, found
    return found[0]


def _status(call: Callable[[], object]) -> int:
    try:
        call()
    except client.ApiException as exc:
        return int(exc.status)
    return 200


@pytest.fixture(scope="module")
def odd_users(hub_url: str, admin_token: str, core: client.CoreV1Api) -> Iterator[list[str]]:
    """Users whose names are not DNS labels, spawned all at once; removed afterwards."""
    tag = secrets.token_hex(2)
    wanted = [
        f"Alice.Smith{tag}",
        f"zoë-ünïcode{tag}",
        f"user.name{tag}",
        f"user-name{tag}",
        f"a.very.long.user.name.that.goes.on.and.on.and.on.for.sure{tag}",
    ]
    made = api(hub_url, admin_token, "POST", "/users", json={"usernames": wanted})
    assert made.status_code == 201, made.text
    names = [u["name"] for u in made.json()]
    try:
        for name in names:
            started = api(hub_url, admin_token, "POST", f"/users/{quote(name)}/server")
            assert started.status_code in (201, 202), started.text
        for name in names:
            wait_server(hub_url, admin_token, name, timeout=120)
        yield names
    finally:
        for name in names:
            api(hub_url, admin_token, "DELETE", f"/users/{quote(name)}/server")
        for name in names:
            wait_stopped(hub_url, admin_token, name)
            api(hub_url, admin_token, "DELETE", f"/users/{quote(name)}")
            core.delete_namespace(namespace_for(name))


def test_odd_user_names_get_valid_distinct_namespaces_and_working_servers(
    hub_url: str, admin_token: str, core: client.CoreV1Api, odd_users: list[str]
) -> None:
    assert any(len(n) > 60 for n in odd_users)
    namespaces = {name: namespace_for(name) for name in odd_users}
    assert len(set(namespaces.values())) == len(odd_users)
    for name, namespace in namespaces.items():
        assert DNS_LABEL.match(namespace), namespace
        assert len(namespace) <= 63
        ns = core.read_namespace(namespace)
        assert ns.metadata.labels["karvdash.io/user"] == user_slug(name)
        assert ns.metadata.annotations["karvdash.io/username"] == name
        pods = core.list_namespaced_pod(namespace, label_selector="component=singleuser-server")
        assert [p.status.phase for p in pods.items] == ["Running"]
        # each answers through the proxy at its own (escaped) address
        server = api(hub_url, admin_token, "GET", f"/users/{quote(name)}").json()["servers"][""]
        status = requests.get(
            f"{hub_url}{server['url']}api/status",
            headers={"Authorization": f"token {admin_token}"},
            timeout=30,
        )
        assert status.status_code == 200, (name, status.status_code)


def test_a_users_server_acts_in_their_namespace_only(
    cluster: DevStack, core: client.CoreV1Api, odd_users: list[str]
) -> None:
    mine, theirs = namespace_for(odd_users[0]), namespace_for(odd_users[1])
    own = config.new_client_from_config(str(_server_kubeconfig(cluster, mine)))
    try:
        as_user = client.CoreV1Api(own)
        rbac = client.RbacAuthorizationV1Api(own)
        # admin of their own namespace ...
        assert _status(lambda: as_user.list_namespaced_pod(mine)) == 200
        assert _status(lambda: as_user.list_namespaced_secret(mine)) == 200
        made = {"metadata": {"name": "mine"}, "data": {"k": "dg=="}}
        assert _status(lambda: as_user.create_namespaced_secret(mine, made)) == 200
        # ... and nothing elsewhere
        assert _status(lambda: as_user.list_namespaced_pod(theirs)) == 403
        assert _status(lambda: as_user.list_namespaced_secret(theirs)) == 403
        assert _status(lambda: as_user.create_namespaced_secret(theirs, made)) == 403
        assert _status(lambda: as_user.delete_namespace(theirs)) == 403
        assert _status(lambda: as_user.list_namespace()) == 403
        assert _status(lambda: as_user.list_node()) == 403
        steal = {
            "metadata": {"name": "steal"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": mine}],
        }
        assert _status(lambda: rbac.create_namespaced_role_binding(theirs, steal)) == 403
        assert _status(lambda: rbac.create_cluster_role_binding(steal)) == 403
    finally:
        own.close()
    assert core.read_namespace(theirs).status.phase == "Active"
