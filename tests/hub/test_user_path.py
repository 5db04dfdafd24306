"""A new user's whole path on the real hub, proxy and dev cluster: sign up, approval, log
in, JupyterLab in their own namespace with their data folders, stop, start again."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import requests
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for, user_slug

from .hubclient import HubClient, api, user_model, wait_server, wait_stopped

PASSWORD = "a-Long-passw0rd-for-tests"


def _pod(core: client.CoreV1Api, namespace: str) -> client.V1Pod:
    pods = core.list_namespaced_pod(namespace, label_selector="component=singleuser-server")
    assert len(pods.items) == 1, [p.metadata.name for p in pods.items]
    return pods.items[0]


def test_unapproved_user_cannot_log_in(hub_url: str, new_username: Callable[[str], str]) -> None:
    name = new_username("carol")
    browser = HubClient(hub_url)
    page = browser.sign_up(name, PASSWORD, f"{name}@example.org")
    assert "Your information has been sent to the admin." in page

    answer = browser.log_in(name, PASSWORD)

    assert f"User {name} has not been authorized by an administrator yet." in answer.text
    assert not browser.logged_in


def test_wrong_password_is_refused_after_approval(
    hub_url: str, admin: HubClient, new_username: Callable[[str], str]
) -> None:
    name = new_username("dave")
    HubClient(hub_url).sign_up(name, PASSWORD, f"{name}@example.org")
    admin.session.get(f"{hub_url}/hub/authorize/{name}", timeout=10).raise_for_status()

    browser = HubClient(hub_url)
    answer = browser.log_in(name, PASSWORD + "x")

    assert "Invalid username or password" in answer.text
    assert not browser.logged_in


def test_approved_user_gets_jupyterlab_in_own_namespace_with_data(
    cluster: DevStack,
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    core: client.CoreV1Api,
    api_client: client.ApiClient,
    new_username: Callable[[str], str],
) -> None:
    name = new_username("alice")
    namespace = namespace_for(name)
    browser = HubClient(hub_url)
    browser.sign_up(name, PASSWORD, f"{name}@example.org")
    # the admin approves the sign-up on NativeAuthenticator's page
    assert name in admin.session.get(f"{hub_url}/hub/authorize", timeout=10).text
    admin.session.get(f"{hub_url}/hub/authorize/{name}", timeout=10).raise_for_status()

    # logging in lands on the spawn page: the server starts by itself, as in a browser
    landed = browser.log_in(name, PASSWORD)
    assert browser.logged_in, landed.text[-500:]
    assert landed.url.endswith(f"/hub/spawn-pending/{name}")
    server = wait_server(hub_url, admin_token, name)
    assert server["url"] == f"/user/{name}/"

    # in their own namespace, labelled, where the default account is cluster-admin
    ns = core.read_namespace(namespace)
    assert ns.metadata.labels["karvdash.io/user"] == user_slug(name)
    assert ns.metadata.annotations["karvdash.io/username"] == name
    binding = client.RbacAuthorizationV1Api(api_client).read_namespaced_role_binding(
        "karvdash-user", namespace
    )
    assert (binding.role_ref.kind, binding.role_ref.name) == ("ClusterRole", "cluster-admin")
    assert [(s.kind, s.name, s.namespace) for s in binding.subjects] == [
        ("ServiceAccount", "default", namespace)
    ]
    pod = _pod(core, namespace)
    assert pod.spec.service_account_name == "default"
    assert pod.spec.automount_service_account_token is True
    env = {e.name: e.value for e in pod.spec.containers[0].env}
    assert env["KARVDASH_USER"] == name
    assert env["KARVDASH_NAMESPACE"] == namespace
    mounts = {m.mount_path for m in pod.spec.containers[0].volume_mounts}
    assert {"/local", "/remote", "/shared"} <= mounts
    # the registry's credentials stay with the hub service
    assert cluster.registry is not None
    assert cluster.registry.password not in {e.value for e in pod.spec.containers[0].env}
    assert "KARVDASH_REGISTRY_PASSWORD" not in env

    # JupyterLab answers through the proxy, and their /local folder is their data folder
    token = admin.new_token(name, note="user server access")
    lab = requests.get(
        f"{hub_url}/user/{name}/lab", headers={"Authorization": f"token {token}"}, timeout=30
    )
    assert lab.status_code == 200
    assert "JupyterLab" in lab.text
    put = requests.put(
        f"{hub_url}/user/{name}/api/contents/local/notes.txt",
        json={"type": "file", "format": "text", "content": "my results"},
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert put.status_code in (200, 201), put.text
    data_file = Path(cluster.state_dir) / "data" / "local" / user_slug(name) / "notes.txt"
    assert data_file.read_text() == "my results"
    listing = requests.get(
        f"{hub_url}/user/{name}/api/contents",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    ).json()
    assert {"local", "remote", "shared"} <= {item["name"] for item in listing["content"]}

    # the sidebar's API reaches the image registry: server extension -> hub service -> registry
    repositories = requests.get(
        f"{hub_url}/user/{name}/karvdash/api/images/repositories",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert repositories.status_code == 200, repositories.text

    # stop: the pod goes, the namespace and the data stay
    versions = {
        "namespace": ns.metadata.resource_version,
        "binding": binding.metadata.resource_version,
    }
    stopped = api(hub_url, admin_token, "DELETE", f"/users/{name}/server")
    assert stopped.status_code in (202, 204)
    wait_stopped(hub_url, admin_token, name)
    assert not core.list_namespaced_pod(namespace).items
    assert core.read_namespace(namespace).status.phase == "Active"
    assert data_file.read_text() == "my results"

    # a second spawn changes nothing in the namespace, and finds the data again
    assert api(hub_url, admin_token, "POST", f"/users/{name}/server").status_code in (201, 202)
    wait_server(hub_url, admin_token, name)
    again = core.read_namespace(namespace)
    binding_again = client.RbacAuthorizationV1Api(api_client).read_namespaced_role_binding(
        "karvdash-user", namespace
    )
    assert again.metadata.resource_version == versions["namespace"]
    assert binding_again.metadata.resource_version == versions["binding"]
    notes = requests.get(
        f"{hub_url}/user/{name}/api/contents/local/notes.txt",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert notes.json()["content"] == "my results"


def test_spawn_progress_names_the_namespace(
    hub_url: str, admin_token: str, new_username: Callable[[str], str]
) -> None:
    from .hubclient import progress_events

    name = new_username("erin")
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    assert api(hub_url, admin_token, "POST", f"/users/{name}/server").status_code in (201, 202)

    messages = [e.get("message", "") for e in progress_events(hub_url, admin_token, name)]

    assert f"Creating your namespace {namespace_for(name)}" in messages
    assert "Waiting for your server to start" in messages
    assert any("ready" in m.lower() for m in messages[-1:]), messages


def test_image_pull_failure_fails_the_spawn_early_with_a_clear_message(
    hub_url: str, admin_token: str, new_username: Callable[[str], str]
) -> None:
    from .hubclient import progress_events

    name = new_username("brokenimage")
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    began = time.monotonic()
    assert api(hub_url, admin_token, "POST", f"/users/{name}/server").status_code in (201, 202)

    events = list(progress_events(hub_url, admin_token, name))

    took = time.monotonic() - began
    assert events[-1].get("failed") is True, events
    assert "image cannot be pulled" in events[-1]["message"]
    assert "registry.invalid/karvdash/nothing:1" in events[-1]["message"]
    assert took < 30, f"the failure took {took:.0f} s to surface (start_timeout is 300 s)"
    assert not user_model(hub_url, admin_token, name)["servers"]


def test_quota_refusal_fails_the_spawn_with_the_quota_message(
    hub_url: str,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    from .hubclient import progress_events

    name = new_username("quota")
    namespace = namespace_for(name)
    # an operator capped this user's namespace at zero pods
    core.create_namespace({"metadata": {"name": namespace}})
    core.create_namespaced_resource_quota(
        namespace, {"metadata": {"name": "cap"}, "spec": {"hard": {"pods": "0"}}}
    )
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    assert api(hub_url, admin_token, "POST", f"/users/{quote(name)}/server").status_code in (
        201,
        202,
    )

    events = list(progress_events(hub_url, admin_token, name))

    assert events[-1].get("failed") is True, events
    message = events[-1]["message"]
    assert f"Your namespace {namespace} has no room for your server" in message
    assert "exceeded quota: cap" in message
