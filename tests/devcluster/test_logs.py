"""``kubectl logs`` on the dev cluster: the API server's ``pods/log`` reaches the local
kubelet's ``/containerLogs``, which only the API server may call."""

from __future__ import annotations

import http.client
import json
import re
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from kubernetes import client

from karvdash import pki
from karvdash.devcluster.cluster import DevCluster
from karvdash.devcluster.kubeletpki import make_client
from karvdash.devstack import DevStack

from ..helpers import wait_for
from .test_cluster import running_pod


@pytest.fixture
def dev(cluster: DevStack) -> DevCluster:
    if not isinstance(cluster.cluster, DevCluster):
        pytest.skip("only the dev cluster runs the local kubelet")
    return cluster.cluster


def process_pod(name: str, script: str, restart_policy: str = "Always") -> dict[str, Any]:
    """A pod the local kubelet runs as a local process (a single-user server's label)."""
    return {
        "metadata": {"name": name, "labels": {"component": "singleuser-server"}},
        "spec": {
            "automountServiceAccountToken": False,
            "restartPolicy": restart_policy,
            "containers": [
                {"name": "notebook", "image": "x", "command": [sys.executable, "-u", "-c", script]}
            ],
        },
    }


def image_pod(name: str) -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "web", "image": "x"}]}}


def refusal(call: Any) -> tuple[int, str]:
    with pytest.raises(client.ApiException) as refused:
        call()
    return refused.value.status, json.loads(refused.value.body)["message"]


TALKER = """
import sys, time
for n in range(1, 6):
    print(f"line {n}")
time.sleep(0.3)
print("oops on stderr", file=sys.stderr)
time.sleep(3600)
"""


def test_logs_are_what_the_process_printed(
    dev: DevCluster, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, process_pod("talker", TALKER))
    wait_for(running_pod(core, "talker", namespace), what="the pod Running")

    def printed() -> str | None:
        text: str = core.read_namespaced_pod_log("talker", namespace)
        return text if "oops" in text else None

    text = wait_for(printed, 30, "the process's output in its log")
    assert text == "line 1\nline 2\nline 3\nline 4\nline 5\noops on stderr\n"
    tail = core.read_namespaced_pod_log("talker", namespace, tail_lines=2)
    assert tail == "line 5\noops on stderr\n"
    assert core.read_namespaced_pod_log("talker", namespace, limit_bytes=8) == "line 1\nl"
    stamped = core.read_namespaced_pod_log("talker", namespace, timestamps=True).splitlines()
    assert len(stamped) == 6
    for line, expected in zip(stamped, text.splitlines(), strict=True):
        stamp, rest = line.split(" ", 1)
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", stamp), line
        assert rest == expected
    assert refusal(lambda: core.read_namespaced_pod_log("talker", namespace, previous=True)) == (
        400,
        'previous terminated container "notebook" in pod "talker" not found',
    )


def test_a_pod_whose_image_cannot_run_here_has_an_empty_log(
    dev: DevCluster, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, image_pod("web"))
    wait_for(running_pod(core, "web", namespace), what="the pod Running")
    assert core.read_namespaced_pod_log("web", namespace) == ""
    assert core.read_namespaced_pod_log("web", namespace, container="web", tail_lines=5) == ""
    assert refusal(lambda: core.read_namespaced_pod_log("web", namespace, container="nope")) == (
        400,
        "container nope is not valid for pod web",
    )


def test_a_container_waiting_for_its_image_has_no_log_yet(
    dev: DevCluster, core: client.CoreV1Api, namespace: str
) -> None:
    pod = image_pod("broken")
    pod["metadata"]["annotations"] = {"dev.karvdash.io/simulate": "ErrImagePull"}
    core.create_namespaced_pod(namespace, pod)

    def pending() -> bool:
        statuses = core.read_namespaced_pod("broken", namespace).status.container_statuses
        return bool(statuses and statuses[0].state.waiting)

    wait_for(pending, what="the container waiting")
    assert refusal(lambda: core.read_namespaced_pod_log("broken", namespace)) == (
        400,
        'container "web" in pod "broken" is waiting to start: image can\'t be pulled',
    )


RESTARTER = """
import os, pathlib, sys, time
runs = pathlib.Path(os.environ["HOME"]) / "runs"
n = len(runs.read_text()) if runs.exists() else 0
runs.write_text("x" * (n + 1))
print(f"instance {n}")
if n == 0:
    sys.exit(3)
time.sleep(3600)
"""


def test_previous_is_the_log_of_the_instance_that_ended(
    dev: DevCluster, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, process_pod("crasher", RESTARTER))

    def restarted() -> bool:
        pod = core.read_namespaced_pod("crasher", namespace)
        statuses = pod.status.container_statuses or []
        return bool(statuses and statuses[0].restart_count == 1 and statuses[0].state.running)

    wait_for(restarted, 40, "the container restarted after its back-off")
    previous = core.read_namespaced_pod_log("crasher", namespace, previous=True)
    assert previous == "instance 0\n"

    def current() -> str | None:
        text: str = core.read_namespaced_pod_log("crasher", namespace)
        return text or None

    assert wait_for(current, 10, "the second instance's output") == "instance 1\n"


TICKER = """
import time
for n in range(15):
    print(f"tick {n}")
    time.sleep(0.2)
"""


def test_follow_streams_new_output_until_the_container_ends(
    dev: DevCluster, core: client.CoreV1Api, namespace: str
) -> None:
    core.create_namespaced_pod(namespace, process_pod("ticker", TICKER, restart_policy="Never"))
    wait_for(running_pod(core, "ticker", namespace), what="the pod Running")
    stream = core.read_namespaced_pod_log(
        "ticker", namespace, follow=True, _preload_content=False, _request_timeout=30
    )
    try:
        followed = stream.read().decode()
    finally:
        stream.release_conn()
    assert followed == "".join(f"tick {n}\n" for n in range(15))
    assert (
        core.read_namespaced_pod("ticker", namespace).status.container_statuses[0].state.terminated
    )


def kubelet_get(port: int, ca: Path, path: str, cert: tuple[Path, Path] | None) -> tuple[int, str]:
    ctx = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    try:
        conn.request("GET", path)
        answer = conn.getresponse()
        return answer.status, answer.read().decode()
    finally:
        conn.close()


def _client_cert(folder: Path, name: str, ca_dir: Path) -> tuple[Path, Path]:
    ca = x509.load_pem_x509_certificate((ca_dir / "ca.crt").read_bytes())
    key = serialization.load_pem_private_key((ca_dir / "ca.key").read_bytes(), password=None)
    assert isinstance(key, pki.SigningKey)
    cert, cert_key = make_client(name, ca, key, groups=("system:masters",))
    (folder / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(pki.key_pem(cert_key))
    return folder / f"{name}.crt", folder / f"{name}.key"


def test_the_kubelet_api_answers_the_api_server_only(
    dev: DevCluster, core: client.CoreV1Api, namespace: str, tmp_path: Path
) -> None:
    node = core.read_node(dev.node_name)
    port = node.status.daemon_endpoints.kubelet_endpoint.port
    assert port > 0
    core.create_namespaced_pod(namespace, image_pod("web"))
    wait_for(running_pod(core, "web", namespace), what="the pod Running")
    pki_dir = dev.state_dir / "pki"
    ca = pki_dir / "ca.crt"
    path = f"/containerLogs/{namespace}/web/web"

    assert kubelet_get(port, ca, path, None) == (401, "Unauthorized")
    admin_like = _client_cert(tmp_path, "mallory", pki_dir)
    assert kubelet_get(port, ca, path, admin_like) == (
        403,
        "Forbidden (user=mallory, verb=get, resource=nodes, subresource=proxy)",
    )
    stranger_ca = trustme.CA()
    stranger = stranger_ca.issue_cert("kube-apiserver-kubelet-client")
    stranger.cert_chain_pems[0].write_to_path(str(tmp_path / "s.crt"))
    stranger.private_key_pem.write_to_path(str(tmp_path / "s.key"))
    with pytest.raises((ssl.SSLError, ConnectionError)):
        kubelet_get(port, ca, path, (tmp_path / "s.crt", tmp_path / "s.key"))

    apiserver = (pki_dir / "apiserver-kubelet-client.crt", pki_dir / "apiserver-kubelet-client.key")
    assert kubelet_get(port, ca, path, apiserver) == (200, "")
    assert kubelet_get(port, ca, f"/containerLogs/{namespace}/ghost/web", apiserver) == (
        404,
        'pod "ghost" does not exist',
    )
    assert kubelet_get(port, ca, f"/containerLogs/{namespace}/web/nope", apiserver) == (
        404,
        'container "nope" not found in pod "web"',
    )
    assert kubelet_get(port, ca, f"{path}?tailLines=-1", apiserver) == (
        422,
        '{"message": "Invalid request."}',
    )
