"""The dev cluster is a real Kubernetes, usable by both official Python clients."""

from __future__ import annotations

import asyncio
import ipaddress
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from kubernetes_asyncio import client as aclient
from kubernetes_asyncio import watch as awatch

from karvdash.devcluster.cluster import DevCluster
from karvdash.devstack import DevStack

from ..helpers import deployment, wait_for, wait_until_pods_admitted


def running_pod(core: client.CoreV1Api, name: str, ns: str) -> Callable[[], client.V1Pod | None]:
    def probe() -> client.V1Pod | None:
        pod = core.read_namespaced_pod(name, ns)
        return pod if pod.status.phase == "Running" else None

    return probe


def gone(read: Callable[[], Any]) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            read()
        except client.ApiException as exc:
            return exc.status == 404
        return False

    return probe


def test_server_is_kubernetes_1_20(api_client: client.ApiClient) -> None:
    info = client.VersionApi(api_client).get_code()
    assert info.git_version.startswith("v1.")
    assert int(info.minor.rstrip("+")) >= 20


def test_node_is_ready_and_schedulable(core: client.CoreV1Api, cluster: DevStack) -> None:
    nodes = core.list_node().items
    assert nodes, "no node registered"
    for node in nodes:
        ready = [c for c in node.status.conditions if c.type == "Ready"]
        assert ready
        assert ready[0].status == "True"
        assert not [t for t in node.spec.taints or [] if "not-ready" in t.key]


def test_rbac_denies_a_limited_service_account(
    core: client.CoreV1Api, namespace: str, api_client: client.ApiClient
) -> None:
    core.create_namespaced_service_account(namespace, {"metadata": {"name": "limited"}})
    token = core.create_namespaced_service_account_token(
        "limited", namespace, {"spec": {"audiences": ["https://kubernetes.default.svc"]}}
    ).status.token
    cfg = client.Configuration()
    cfg.host = api_client.configuration.host
    cfg.ssl_ca_cert = api_client.configuration.ssl_ca_cert
    cfg.api_key = {"authorization": f"Bearer {token}"}
    limited = client.CoreV1Api(client.ApiClient(cfg))
    with pytest.raises(client.ApiException) as denied:
        limited.list_namespaced_secret(namespace)
    assert denied.value.status == 403
    assert "cannot list resource" in json.loads(denied.value.body)["message"]

    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role(
        namespace,
        {
            "metadata": {"name": "read-config"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]}],
        },
    )
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "read-config"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "Role",
                "name": "read-config",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "limited", "namespace": namespace}],
        },
    )
    wait_for(lambda: _can_list_configmaps(limited, namespace), 10, "the RoleBinding to apply")
    with pytest.raises(client.ApiException) as still:
        limited.list_namespaced_secret(namespace)
    assert still.value.status == 403
    with pytest.raises(client.ApiException) as other:
        limited.list_namespaced_config_map("default")
    assert other.value.status == 403


def _can_list_configmaps(api: client.CoreV1Api, ns: str) -> bool:
    try:
        api.list_namespaced_config_map(ns)
    except client.ApiException:
        return False
    return True


async def test_watch_resumes_from_a_resource_version(
    aapi_client: aclient.ApiClient, namespace: str
) -> None:
    v1 = aclient.CoreV1Api(aapi_client)
    first = await v1.create_namespaced_config_map(namespace, {"metadata": {"name": "first"}})
    resume_from = first.metadata.resource_version
    await v1.create_namespaced_config_map(namespace, {"metadata": {"name": "second"}})
    await v1.create_namespaced_config_map(namespace, {"metadata": {"name": "third"}})
    seen: list[tuple[str, str]] = []
    w = awatch.Watch()
    async with asyncio.timeout(20):
        async for event in w.stream(
            v1.list_namespaced_config_map,
            namespace,
            resource_version=resume_from,
            timeout_seconds=10,
        ):
            seen.append((event["type"], event["object"].metadata.name))
            if len(seen) == 2:
                w.stop()
    assert seen == [("ADDED", "second"), ("ADDED", "third")]


def test_pod_gets_running_with_its_own_address(core: client.CoreV1Api, namespace: str) -> None:
    for name in ("web-a", "web-b"):
        core.create_namespaced_pod(
            namespace,
            {
                "metadata": {"name": name},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
            },
        )
    pods = [
        wait_for(running_pod(core, n, namespace), what=f"{n} Running") for n in ("web-a", "web-b")
    ]
    addresses = {p.status.pod_ip for p in pods}
    assert len(addresses) == 2
    for pod in pods:
        assert ipaddress.ip_address(pod.status.pod_ip).is_loopback
        assert pod.status.host_ip
        (status,) = pod.status.container_statuses
        assert status.ready
        assert status.state.running.started_at
        assert {c.type for c in pod.status.conditions} >= {
            "Ready",
            "ContainersReady",
            "PodScheduled",
        }


def test_image_pull_failure_can_be_simulated(core: client.CoreV1Api, namespace: str) -> None:
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {
                "name": "broken",
                "annotations": {"dev.karvdash.io/simulate": "ImagePullBackOff"},
            },
            "spec": {"containers": [{"name": "app", "image": "registry.invalid/nothing:1"}]},
        },
    )

    def waiting() -> str | None:
        pod = core.read_namespaced_pod("broken", namespace)
        statuses = pod.status.container_statuses or []
        return statuses[0].state.waiting.reason if statuses and statuses[0].state.waiting else None

    assert wait_for(waiting, what="a waiting reason") == "ImagePullBackOff"
    assert core.read_namespaced_pod("broken", namespace).status.phase == "Pending"


NOTEBOOK_SCRIPT = """
import http.server, json, os, pathlib, sys
from kubernetes import client, config
api = config.new_client_from_config(os.environ["KUBECONFIG"])
v1 = client.CoreV1Api(api)
ns = os.environ["POD_NAMESPACE"]
def can(call):
    try:
        call(); return True
    except client.ApiException as e:
        return e.status
facts = {
    "own_pods": can(lambda: v1.list_namespaced_pod(ns)),
    "other_pods": can(lambda: v1.list_namespaced_pod("default")),
    "data_files": sorted(os.listdir("data")),
    "cwd": os.getcwd(),
}
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(facts).encode()
        self.send_response(200); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
host = os.environ["POD_IP"]
http.server.HTTPServer((host, 8888), H).serve_forever()
"""


def test_notebook_pod_runs_as_a_process_with_the_pods_rights(
    core: client.CoreV1Api, namespace: str, api_client: client.ApiClient, tmp_path: Path
) -> None:
    """A single-user pod runs locally: its address answers HTTP, its mounts are folders,
    its token has exactly the pod's rights, and after delete the process and pod are gone."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "hello.txt").write_text("hi")
    rbac = client.RbacAuthorizationV1Api(api_client)
    rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "default-admin"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
        },
    )
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "jupyter-alice", "labels": {"component": "singleuser-server"}},
            "spec": {
                "containers": [
                    {
                        "name": "notebook",
                        "image": "jupyterhub/singleuser:5",
                        "command": [sys.executable, "-c", NOTEBOOK_SCRIPT],
                        "env": [
                            {
                                "name": "POD_NAMESPACE",
                                "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}},
                            },
                            {
                                "name": "POD_IP",
                                "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}},
                            },
                        ],
                        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    }
                ],
                "volumes": [
                    {"name": "data", "hostPath": {"path": str(data), "type": "DirectoryOrCreate"}}
                ],
            },
        },
    )
    pod = wait_for(running_pod(core, "jupyter-alice", namespace), what="the notebook pod Running")
    url = f"http://{pod.status.pod_ip}:8888/"

    def answer() -> dict[str, Any] | None:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return dict(json.loads(resp.read()))
        except OSError:
            return None

    facts = wait_for(answer, 30, "the notebook process to answer HTTP")
    assert facts["own_pods"] is True
    assert facts["other_pods"] == 403
    assert facts["data_files"] == ["hello.txt"]

    core.delete_namespaced_pod("jupyter-alice", namespace, grace_period_seconds=1)
    wait_for(
        gone(lambda: core.read_namespaced_pod("jupyter-alice", namespace)), 20, "the pod to go"
    )
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=1)


def test_deployment_yields_running_pods(api_client: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api_client)
    apps.create_namespaced_deployment(
        namespace,
        deployment("web", {"containers": [{"name": "web", "image": "nginx:1.25"}]}, replicas=2),
    )

    def available() -> int | None:
        return apps.read_namespaced_deployment("web", namespace).status.available_replicas

    assert wait_for(available, 60, "2 available replicas") == 2


def test_namespace_deletion_completes(core: client.CoreV1Api) -> None:
    name = f"doomed-{int(time.time() * 1000) % 100000}"
    core.create_namespace({"metadata": {"name": name}})
    core.create_namespaced_config_map(name, {"metadata": {"name": "stuff"}})
    wait_until_pods_admitted(core, name)
    core.create_namespaced_pod(
        name,
        {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
    )
    wait_for(running_pod(core, "p", name), what="the pod Running")
    core.delete_namespace(name)
    wait_for(gone(lambda: core.read_namespace(name)), 60, "the namespace to be deleted")


def test_real_jupyter_server_pod_serves_its_mounted_folders(
    core: client.CoreV1Api, namespace: str, tmp_path: Path
) -> None:
    """A pod running the real jupyter-server answers on its own address, shows a hostPath
    mount as a folder in its contents API, and stops when the pod is deleted."""
    data = tmp_path / "alice"
    data.mkdir()
    (data / "results.csv").write_text("a,b\n1,2\n")
    token = "t0ken-for-test"
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "jupyter-real", "labels": {"component": "singleuser-server"}},
            "spec": {
                "automountServiceAccountToken": False,
                "containers": [
                    {
                        "name": "notebook",
                        "image": "quay.io/jupyter/base-notebook",
                        "args": [
                            "jupyter-server",
                            "--port=8888",
                            f"--IdentityProvider.token={token}",
                        ],
                        "volumeMounts": [{"name": "local", "mountPath": "/local"}],
                    }
                ],
                "volumes": [
                    {"name": "local", "hostPath": {"path": str(data), "type": "DirectoryOrCreate"}}
                ],
            },
        },
    )
    pod = wait_for(running_pod(core, "jupyter-real", namespace), what="the pod Running")
    base = f"http://{pod.status.pod_ip}:8888"

    def contents() -> dict[str, Any] | None:
        req = urllib.request.Request(  # noqa: S310 - http URL of the pod
            f"{base}/api/contents/local", headers={"Authorization": f"token {token}"}
        )
        try:
            with urllib.request.urlopen(req, timeout=2) as resp:  # noqa: S310
                return dict(json.loads(resp.read()))
        except OSError:
            return None

    listing = wait_for(contents, 60, "jupyter-server to answer")
    assert [item["name"] for item in listing["content"]] == ["results.csv"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/contents/local", timeout=2)  # noqa: S310
    assert refused.value.code == 403
    refused.value.close()

    core.delete_namespaced_pod("jupyter-real", namespace)
    wait_for(gone(lambda: core.read_namespaced_pod("jupyter-real", namespace)), 40, "the pod to go")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base}/api/status", timeout=1)  # noqa: S310


def test_kubelet_restart_takes_its_pods_again(
    core: client.CoreV1Api, namespace: str, cluster: DevStack
) -> None:
    """Like a node reboot: plain pods keep their address, notebook processes start again
    (restartCount 1) and answer on the same address."""
    if not isinstance(cluster.cluster, DevCluster):
        pytest.skip("only the dev cluster has a local kubelet to restart")
    script = (
        "import http.server, os\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'up')\n"
        "http.server.HTTPServer((os.environ['POD_IP'], 8888), H).serve_forever()\n"
    )
    ip_env = {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}
    core.create_namespaced_pod(
        namespace,
        {"metadata": {"name": "plain"}, "spec": {"containers": [{"name": "c", "image": "x"}]}},
    )
    core.create_namespaced_pod(
        namespace,
        {
            "metadata": {"name": "nb", "labels": {"component": "singleuser-server"}},
            "spec": {
                "automountServiceAccountToken": False,
                "containers": [
                    {
                        "name": "notebook",
                        "image": "x",
                        "command": [sys.executable, "-c", script],
                        "env": [ip_env],
                    }
                ],
            },
        },
    )
    plain = wait_for(running_pod(core, "plain", namespace), what="plain Running")
    nb = wait_for(running_pod(core, "nb", namespace), what="notebook Running")
    url = f"http://{nb.status.pod_ip}:8888/"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                return bool(resp.read() == b"up")
        except OSError:
            return False

    wait_for(answers, 20, "the notebook process")
    cluster.cluster.restart_kubelet()

    def restarted() -> client.V1Pod | None:
        pod = core.read_namespaced_pod("nb", namespace)
        statuses = pod.status.container_statuses or []
        return pod if statuses and statuses[0].restart_count == 1 else None

    again = wait_for(restarted, 30, "the notebook restarted")
    assert again.status.pod_ip == nb.status.pod_ip
    wait_for(answers, 20, "the restarted notebook process")
    assert core.read_namespaced_pod("plain", namespace).status.pod_ip == plain.status.pod_ip
