"""Pure parts of the dev cluster: build checks, kubelet status builders, the local runtime."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from karvdash.devcluster import build, podstatus, runtime
from karvdash.devcluster.addresses import AddressPool


def test_not_debian_is_named_clearly(tmp_path: Path) -> None:
    with pytest.raises(build.BuildError, match=r"not Debian.*--kubeconfig"):
        build._check_debian(marker=tmp_path / "debian_version")


def test_missing_packages_without_root_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(build, "_missing_packages", lambda pkgs: ["etcd-server"])
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(build.BuildError, match=r"etcd-server.*needs root"):
        build._ensure_debian_packages(["etcd-server"], lambda m: None)


def test_openapi_inputs_follow_the_kubernetes_makefile(tmp_path: Path) -> None:
    def go(rel: str, text: str = "package x\n") -> None:
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    tag = "// +k8s:openapi-gen=true\npackage v1\n"
    go("pkg/apis/abac/v1/types.go", tag)
    go("pkg/other/x.go")
    go("staging/src/k8s.io/api/core/v1/types.go", tag)
    go("staging/src/k8s.io/code-generator/foo/types.go", tag)
    go("vendor/github.com/x/types.go", tag)
    go("_output/x/types.go", tag)
    assert build.openapi_input_dirs(tmp_path) == [
        "k8s.io/kubernetes/pkg/apis/abac/v1",
        "k8s.io/kubernetes/vendor/k8s.io/api/core/v1",
    ]


def test_cache_root_honours_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KARVDASH_CACHE_DIR", str(tmp_path))
    assert build.cache_root() == tmp_path
    monkeypatch.delenv("KARVDASH_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert build.cache_root() == tmp_path / "xdg" / "karvdash"


POD = {
    "metadata": {
        "name": "p",
        "namespace": "ns",
        "uid": "u-1",
        "labels": {"component": "singleuser-server"},
    },
    "spec": {
        "containers": [
            {"name": "notebook", "image": "jupyter/base:1"},
            {"name": "side", "image": "busybox"},
        ],
        "initContainers": [{"name": "init", "image": "busybox"}],
    },
    "status": {"qosClass": "Burstable"},
}


def test_running_status_is_complete_for_kubespawner() -> None:
    containers = [
        podstatus.container_status(c, "u-1", podstatus.running_state("T"), ready=True)
        for c in POD["spec"]["containers"]
    ]
    status = podstatus.pod_status(
        POD, pod_ip="127.0.16.2", host_ip="127.0.0.1", start_time="T", containers=containers
    )
    assert status["phase"] == "Running"
    assert status["podIP"] == "127.0.16.2"
    assert status["podIPs"] == [{"ip": "127.0.16.2"}]
    assert status["qosClass"] == "Burstable"
    for c in status["containerStatuses"]:
        assert c["ready"] is True
        assert c["state"] == {"running": {"startedAt": "T"}}
        assert c["containerID"].startswith("karvdash-local://")
        assert "@sha256:" in c["imageID"]
    assert {c["type"]: c["status"] for c in status["conditions"]} == {
        "Initialized": "True",
        "Ready": "True",
        "ContainersReady": "True",
        "PodScheduled": "True",
    }


def test_image_pull_failure_status_is_pending_and_not_ready() -> None:
    status = podstatus.simulated_status(
        POD, "ErrImagePull", pod_ip="ip", host_ip="h", start_time="T"
    )
    assert status["phase"] == "Pending"
    reasons = {c["state"]["waiting"]["reason"] for c in status["containerStatuses"]}
    assert reasons == {"ErrImagePull"}
    ready = next(c for c in status["conditions"] if c["type"] == "Ready")
    assert ready == {**ready, "status": "False", "reason": "ContainersNotReady"}


def test_crash_loop_keeps_the_last_exit() -> None:
    status = podstatus.simulated_status(
        POD, "CrashLoopBackOff", pod_ip="ip", host_ip="h", start_time="T"
    )
    first = status["containerStatuses"][0]
    assert first["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert first["lastState"]["terminated"]["exitCode"] == 1
    assert first["restartCount"] > 0


def test_node_status_reports_ready_and_loopback() -> None:
    status = podstatus.make_node_status("n", "127.0.0.1")["status"]
    assert {"type": "InternalIP", "address": "127.0.0.1"} in status["addresses"]
    assert next(c for c in status["conditions"] if c["type"] == "Ready")["status"] == "True"
    assert status["nodeInfo"]["kubeletVersion"] == "v1.20.2"


def test_address_pool_gives_distinct_loopback_addresses() -> None:
    pool = AddressPool("127.0.16.0/29")
    got = {pool.allocate() for _ in range(5)}
    assert len(got) == 5
    assert all(ip.startswith("127.0.16.") for ip in got)
    with pytest.raises(RuntimeError, match="no free pod address"):
        pool.allocate()
    pool.release("127.0.16.3")
    assert pool.allocate() == "127.0.16.3"
    assert not pool.claim("10.0.0.1")


def test_env_is_resolved_like_a_kubelet() -> None:
    container = {
        "name": "notebook",
        "env": [
            {"name": "PLAIN", "value": "1"},
            {"name": "EMPTY"},
            {"name": "IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
            {"name": "S", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
            {"name": "C", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k"}}},
            {"name": "JUPYTERHUB_SERVICE_URL", "value": "http://0.0.0.0:8888/user/alice/"},
        ],
    }
    files = runtime.PodFiles(
        secrets={"s": {"k": base64.b64encode(b"secret").decode()}}, config_maps={"c": {"k": "conf"}}
    )
    env = runtime.resolve_env(POD, container, files, "127.0.16.9", "127.0.0.1")
    assert env == {
        "PLAIN": "1",
        "EMPTY": "",
        "IP": "127.0.16.9",
        "S": "secret",
        "C": "conf",
        "JUPYTERHUB_SERVICE_URL": "http://127.0.16.9:8888/user/alice/",
    }


def test_jupyter_servers_bind_the_pod_address() -> None:
    argv = runtime.build_argv({"args": ["jupyterhub-singleuser", "--port=8888"]}, "127.0.16.4")
    assert argv[:2] == ["jupyterhub-singleuser", "--port=8888"]
    assert "--ip=127.0.16.4" in argv
    assert runtime.build_argv({"command": ["python", "x.py"]}, "ip") == ["python", "x.py"]


def test_mount_paths_cannot_leave_the_pod_root(tmp_path: Path) -> None:
    assert runtime._safe_join(tmp_path, "/local") == tmp_path / "local"
    with pytest.raises(ValueError, match="leaves the container"):
        runtime._safe_join(tmp_path, "/../../etc")
