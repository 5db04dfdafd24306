"""The webhook as the real kube-apiserver calls it (registered by `karvdash dev`'s stack)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import slug_from_namespace

from ..helpers import deployment, wait_for

MOUNTS = {"/local", "/remote", "/shared"}


def pod(name: str, **spec: Any) -> dict[str, Any]:
    containers = spec.pop("containers", [{"name": "app", "image": "busybox"}])
    return {"metadata": {"name": name}, "spec": {"containers": containers, **spec}}


def refusal(call: Any, codes: tuple[int, ...] = (400, 403, 422)) -> str:
    with pytest.raises(client.ApiException) as denied:
        call()
    assert denied.value.status in codes, denied.value.body
    return str(json.loads(denied.value.body)["message"])


@pytest.fixture
def slug(core: client.CoreV1Api, user_namespace: str) -> str:
    found = slug_from_namespace(core.read_namespace(user_namespace).to_dict())
    assert found
    return found


def test_user_pod_gets_the_three_storage_domains(
    core: client.CoreV1Api, user_namespace: str, slug: str, cluster: DevStack
) -> None:
    created = core.create_namespaced_pod(
        user_namespace, pod("p", initContainers=[{"name": "init", "image": "busybox"}])
    )
    for container in created.spec.containers + created.spec.init_containers:
        assert {m.mount_path for m in container.volume_mounts or []} >= MOUNTS
    host_paths = {v.host_path.path for v in created.spec.volumes if v.host_path}
    data = cluster.state_dir / "data"
    assert host_paths == {f"{data}/local/{slug}", f"{data}/remote/{slug}", f"{data}/shared"}


def test_deployment_pods_get_the_storage_domains(
    api_client: client.ApiClient, core: client.CoreV1Api, user_namespace: str
) -> None:
    apps = client.AppsV1Api(api_client)
    apps.create_namespaced_deployment(user_namespace, deployment("web", pod("x")["spec"]))
    pods = wait_for(
        lambda: core.list_namespaced_pod(user_namespace, label_selector="app=web").items,
        60,
        "the Deployment's pod",
    )
    assert {m.mount_path for m in pods[0].spec.containers[0].volume_mounts} >= MOUNTS


def test_namespace_without_the_label_is_untouched(core: client.CoreV1Api, namespace: str) -> None:
    created = core.create_namespaced_pod(namespace, pod("plain"))
    assert not created.spec.containers[0].volume_mounts or not (
        {m.mount_path for m in created.spec.containers[0].volume_mounts} & MOUNTS
    )
    assert not [v for v in created.spec.volumes or [] if v.host_path]


def test_opt_out_annotation_keeps_a_pod_bare(core: client.CoreV1Api, user_namespace: str) -> None:
    body = pod("bare")
    body["metadata"]["annotations"] = {"karvdash.io/no-storage": "true"}
    created = core.create_namespaced_pod(user_namespace, body)
    assert not [v for v in created.spec.volumes or [] if v.host_path]


def _escapes(slug: str, cluster: DevStack) -> Iterator[tuple[str, dict[str, Any], str]]:
    data = cluster.state_dir / "data"
    yield (
        "root-of-node",
        pod("a", volumes=[{"name": "root", "hostPath": {"path": "/"}}]),
        "outside your storage",
    )
    yield (
        "other-user",
        pod("b", volumes=[{"name": "x", "hostPath": {"path": f"{data}/local/someone-else"}}]),
        "outside your storage",
    )
    yield (
        "name-prefix",
        pod("b2", volumes=[{"name": "x", "hostPath": {"path": f"{data}/local/{slug}x"}}]),
        "outside your storage",
    )
    yield (
        "whole-domain",
        pod("b3", volumes=[{"name": "x", "hostPath": {"path": f"{data}/local"}}]),
        "outside your storage",
    )
    yield (
        "privileged",
        pod(
            "c", containers=[{"name": "app", "image": "x", "securityContext": {"privileged": True}}]
        ),
        "privileged",
    )
    yield ("host-network", pod("d", hostNetwork=True), "hostNetwork")
    yield ("host-pid", pod("e", hostPID=True), "hostPID")
    yield ("host-ipc", pod("f", hostIPC=True), "hostIPC")
    yield (
        "host-port",
        pod(
            "g",
            containers=[
                {"name": "app", "image": "x", "ports": [{"containerPort": 80, "hostPort": 80}]}
            ],
        ),
        "hostPort",
    )
    yield (
        "capability",
        pod(
            "h",
            containers=[
                {
                    "name": "app",
                    "image": "x",
                    "securityContext": {"capabilities": {"add": ["SYS_ADMIN"]}},
                }
            ],
        ),
        "SYS_ADMIN",
    )


def test_every_escape_is_refused_with_its_reason(
    core: client.CoreV1Api, user_namespace: str, slug: str, cluster: DevStack
) -> None:
    for what, body, expected in _escapes(slug, cluster):
        message = refusal(lambda body=body: core.create_namespaced_pod(user_namespace, body))
        assert "denied the request" in message, what
        assert expected in message, (what, message)
    assert core.list_namespaced_pod(user_namespace).items == []


def test_a_bad_deployment_fails_at_apply(api_client: client.ApiClient, user_namespace: str) -> None:
    apps = client.AppsV1Api(api_client)
    spec = pod("x", volumes=[{"name": "etc", "hostPath": {"path": "/etc"}}])["spec"]
    body = deployment("bad", spec)
    message = refusal(lambda: apps.create_namespaced_deployment(user_namespace, body))
    assert "/etc" in message
    assert apps.list_namespaced_deployment(user_namespace).items == []


def test_the_same_escape_is_allowed_outside_user_namespaces(
    core: client.CoreV1Api, namespace: str
) -> None:
    created = core.create_namespaced_pod(namespace, pod("free", hostNetwork=True))
    assert created.spec.host_network is True


def test_webhook_down_refuses_pods_in_user_namespaces_only(
    core: client.CoreV1Api, user_namespace: str, namespace: str, cluster: DevStack
) -> None:
    cluster.stop_webhook()
    try:
        message = refusal(
            lambda: core.create_namespaced_pod(user_namespace, pod("while-down")), codes=(500,)
        )
        assert "failed calling webhook" in message
        core.create_namespaced_pod(namespace, pod("unaffected"))
    finally:
        cluster.restart_webhook()
    created = core.create_namespaced_pod(user_namespace, pod("after"))
    assert {m.mount_path for m in created.spec.containers[0].volume_mounts} >= MOUNTS


def test_a_subfolder_is_mounted_with_subpath_not_hostpath(
    core: client.CoreV1Api, user_namespace: str, slug: str, cluster: DevStack
) -> None:
    """A hostPath below the user's folder could follow a planted symlink: refused. The
    safe way, subPath on the injected storage volume, is admitted."""
    below = f"{cluster.state_dir / 'data'}/local/{slug}/project"
    message = refusal(
        lambda: core.create_namespaced_pod(
            user_namespace, pod("below", volumes=[{"name": "p", "hostPath": {"path": below}}])
        )
    )
    assert "subPath" in message
    mount = {"name": "karvdash-local", "mountPath": "/project", "subPath": "project"}
    created = core.create_namespaced_pod(
        user_namespace,
        pod("own", containers=[{"name": "app", "image": "x", "volumeMounts": [mount]}]),
    )
    mounts = {m.mount_path: m for m in created.spec.containers[0].volume_mounts}
    assert mounts["/project"].sub_path == "project"
    assert set(mounts) >= MOUNTS
