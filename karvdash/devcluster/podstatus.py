"""Pure builders of what the local kubelet reports: the Node and pod statuses.

They follow what a real kubelet (v1.20) writes, field by field, because JupyterHub's
KubeSpawner and Karvdash read these objects exactly as they would on a real cluster:
a Running pod has ``podIP``/``podIPs``, ``hostIP``, ``startTime``, the four conditions and
one complete ``containerStatuses`` entry (with ``state``) per container.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
from collections.abc import Mapping
from typing import Any

KUBELET_VERSION = "v1.20.2"
RUNTIME = "karvdash-local://0.1"
SIMULATE_ANNOTATION = "dev.karvdash.io/simulate"
"""Pod annotation the local kubelet obeys to act out failures: ``ErrImagePull``,
``ImagePullBackOff`` (the image cannot be pulled) or ``CrashLoopBackOff``."""

SIMULATIONS = ("ErrImagePull", "ImagePullBackOff", "CrashLoopBackOff")

Json = dict[str, Any]


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_now() -> str:
    """A timestamp with microseconds, as Leases carry."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_singleuser_pod(pod: Mapping[str, Any]) -> bool:
    """A JupyterHub single-user server pod (KubeSpawner's ``component`` label)."""
    labels = (pod.get("metadata") or {}).get("labels") or {}
    return labels.get("component") == "singleuser-server"


def make_node(name: str) -> Json:
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        "karvdash.io/dev-node": "true",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {},
    }


def make_node_status(
    name: str, host_ip: str = "127.0.0.1", *, heartbeat: str | None = None, port: int = 0
) -> Json:
    """The Node's status; ``port`` is where the kubelet serves its API (0: it serves none)."""
    stamp = heartbeat or now()
    cpus = str(os.cpu_count() or 1)
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f"{pages // 1024}Ki"
    except (ValueError, OSError):
        memory = "4Gi"
    resources = {"cpu": cpus, "memory": memory, "pods": "110", "ephemeral-storage": "100Gi"}

    def cond(kind: str, status: str, reason: str, message: str) -> Json:
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastHeartbeatTime": stamp,
            "lastTransitionTime": stamp,
        }

    uname = platform.uname()
    return {
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": [
                cond(
                    "MemoryPressure",
                    "False",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                cond(
                    "DiskPressure",
                    "False",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                cond(
                    "PIDPressure",
                    "False",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
                cond(
                    "Ready",
                    "True",
                    "KubeletReady",
                    "karvdash local kubelet is posting ready status",
                ),
            ],
            "addresses": [
                {"type": "InternalIP", "address": host_ip},
                {"type": "Hostname", "address": name},
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
            "nodeInfo": {
                "machineID": hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(),
                "systemUUID": hashlib.md5(name.encode(), usedforsecurity=False).hexdigest(),
                "bootID": "",
                "kernelVersion": uname.release,
                "osImage": "Karvdash dev node (local processes)",
                "containerRuntimeVersion": RUNTIME,
                "kubeletVersion": KUBELET_VERSION,
                "kubeProxyVersion": KUBELET_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        }
    }


def _image_id(image: str) -> str:
    digest = hashlib.sha256(image.encode()).hexdigest()
    base = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image or ":" in image else image
    return f"docker-pullable://{base}@sha256:{digest}"


def container_id(pod_uid: str, name: str, restarts: int) -> str:
    """The ID of one instance (``restarts``) of a pod's container."""
    digest = hashlib.sha256(f"{pod_uid}/{name}/{restarts}".encode()).hexdigest()
    return f"{RUNTIME.split(':', 1)[0]}://{digest}"


def container_status(
    container: Mapping[str, Any],
    pod_uid: str,
    state: Json,
    *,
    ready: bool,
    restarts: int = 0,
    last_state: Json | None = None,
) -> Json:
    """One ``containerStatuses`` entry. ``state`` is ``{"running": ...}``, ``{"waiting": ...}``
    or ``{"terminated": ...}``."""
    image = str(container.get("image") or "")
    entry: Json = {
        "name": container["name"],
        "state": state,
        "lastState": last_state or {},
        "ready": ready,
        "restartCount": restarts,
        "image": image,
        "imageID": "" if "waiting" in state else _image_id(image),
        "started": "running" in state,
    }
    if "waiting" not in state:
        entry["containerID"] = container_id(pod_uid, container["name"], restarts)
    return entry


def running_state(started_at: str) -> Json:
    return {"running": {"startedAt": started_at}}


def waiting_state(reason: str, message: str) -> Json:
    return {"waiting": {"reason": reason, "message": message}}


def terminated_state(
    exit_code: int,
    started_at: str,
    finished_at: str,
    reason: str | None = None,
    *,
    container: str | None = None,
) -> Json:
    """A terminated state; ``container`` is the ID of the instance that ended (a kubelet
    names it, and ``kubectl logs --previous`` reads that instance's log)."""
    terminated: Json = {
        "exitCode": exit_code,
        "reason": reason or ("Completed" if exit_code == 0 else "Error"),
        "startedAt": started_at,
        "finishedAt": finished_at,
    }
    if container:
        terminated["containerID"] = container
    return {"terminated": terminated}


def _conditions(stamp: str, *, initialized: bool, ready: bool, reason: str | None) -> list[Json]:
    def cond(kind: str, ok: bool, why: str | None = None) -> Json:
        c: Json = {
            "type": kind,
            "status": "True" if ok else "False",
            "lastProbeTime": None,
            "lastTransitionTime": stamp,
        }
        if not ok and why:
            c["reason"] = why
        return c

    return [
        cond("Initialized", initialized),
        cond("Ready", ready, reason),
        cond("ContainersReady", ready, reason),
        cond("PodScheduled", True),
    ]


def pod_status(
    pod: Mapping[str, Any],
    *,
    pod_ip: str,
    host_ip: str,
    start_time: str,
    containers: list[Json],
    init_containers: list[Json] | None = None,
    phase: str | None = None,
) -> Json:
    """The status a kubelet writes for a pod, given its container statuses."""
    all_ready = bool(containers) and all(c["ready"] for c in containers)
    if phase is None:
        if any("running" in c["state"] for c in containers) or all_ready:
            phase = "Running"
        else:
            phase = "Pending"
    reason = None if all_ready else "ContainersNotReady"
    status: Json = {
        "phase": phase,
        "conditions": _conditions(now(), initialized=True, ready=all_ready, reason=reason),
        "hostIP": host_ip,
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": start_time,
        "containerStatuses": containers,
        "qosClass": ((pod.get("status") or {}).get("qosClass")) or "BestEffort",
    }
    if init_containers:
        status["initContainerStatuses"] = init_containers
    return status


def simulated_status(
    pod: Mapping[str, Any], simulation: str, *, pod_ip: str, host_ip: str, start_time: str
) -> Json:
    """The status of a pod whose images cannot be pulled, or whose containers crash."""
    uid = pod["metadata"]["uid"]
    spec = pod.get("spec") or {}
    containers = []
    for c in spec.get("containers") or []:
        image = c.get("image", "")
        if simulation == "CrashLoopBackOff":
            stamp = now()
            state = waiting_state(
                "CrashLoopBackOff",
                f"back-off 5m0s restarting failed container={c['name']} "
                f"pod={pod['metadata']['name']}",
            )
            last = terminated_state(1, stamp, stamp, container=container_id(uid, c["name"], 4))
            containers.append(
                container_status(c, uid, state, ready=False, restarts=5, last_state=last)
            )
        else:
            message = (
                f'Back-off pulling image "{image}"'
                if simulation == "ImagePullBackOff"
                else f'rpc error: code = Unknown desc = failed to pull and unpack image "{image}"'
            )
            containers.append(
                container_status(c, uid, waiting_state(simulation, message), ready=False)
            )
    status = pod_status(
        pod,
        pod_ip=pod_ip,
        host_ip=host_ip,
        start_time=start_time,
        containers=containers,
        phase="Running" if simulation == "CrashLoopBackOff" else "Pending",
    )
    return status
