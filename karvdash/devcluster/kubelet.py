"""The dev cluster's local kubelet: the one simulation in the stack.

It does what a kubelet does that the rest of Karvdash can observe: it registers a Ready
Node (removing the ``not-ready`` taint the API server puts on new nodes), renews its
Lease, takes the pods the scheduler binds to it, gives each its own loopback address,
writes their status through the status subresource, and finishes deletions (delete with
grace period 0 and a uid precondition) so nothing stays Terminating.

JupyterHub single-user server pods run for real, as local processes (see ``runtime.py``).
Every other pod is reported Running with complete container statuses, because container
images cannot run here. The annotation ``dev.karvdash.io/simulate`` makes a pod act out
``ErrImagePull``, ``ImagePullBackOff`` or ``CrashLoopBackOff`` so failure paths can be tested.

Given a serving certificate (``--tls-cert-file``, ``--tls-private-key-file``) and the CA of
its callers (``--client-ca-file``), it serves the kubelet API's ``/containerLogs`` over
HTTPS for the API server (``kubeletserver.py``), so ``kubectl logs`` works: the real output
of process-backed containers, and an empty log for the others (they print nothing).

Run: ``python -m karvdash.devcluster.kubeletmain --kubeconfig K --state-dir D`` (see there).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from aiohttp import web
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from . import logrequest
from . import podstatus as ps
from .addresses import AddressPool
from .kubeletserver import KubeletTLS, PodLogs, make_app, serve
from .logwriter import LogLimits
from .node import NodeAgent
from .podfiles import fetch_pod_files
from .probes import readiness
from .runtime import LocalContainer, PodFiles, start_container

log = logging.getLogger("karvdash.kubelet")
Json = dict[str, Any]
MERGE = "application/merge-patch+json"


@dataclass
class PodRecord:
    uid: str
    namespace: str
    name: str
    ip: str
    start_time: str
    directory: Path
    pod: Json
    containers: dict[str, LocalContainer] = field(default_factory=dict)
    statuses: dict[str, Json] = field(default_factory=dict)
    restarts: dict[str, int] = field(default_factory=dict)
    restart_at: dict[str, float] = field(default_factory=dict)
    finished: bool = False


def pod_directory(state_dir: Path, meta: Json) -> Path:
    """The pod's folder: its root, its volumes, its logs."""
    return state_dir / "pods" / f"{meta['namespace']}_{meta['name']}_{meta['uid'][:8]}"


class LocalKubelet:
    def __init__(
        self,
        kubeconfig: Path,
        state_dir: Path,
        node_name: str = "karvdash-dev",
        pod_cidr: str = "127.0.16.0/20",
        host_ip: str = "127.0.0.1",
        *,
        tls: KubeletTLS | None = None,
        port: int = 0,
        log_limits: LogLimits | None = None,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.state_dir = state_dir
        self.node_name = node_name
        self.host_ip = host_ip
        self.tls = tls
        self.port = port
        self.log_limits = log_limits or LogLimits()
        self.runner: web.AppRunner | None = None
        self.pool = AddressPool(pod_cidr)
        self.records: dict[str, PodRecord] = {}
        self.known: dict[tuple[str, str], Json] = {}  # every pod bound here, by namespace/name
        self.locks: dict[str, asyncio.Lock] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        kc = yaml.safe_load(kubeconfig.read_text())
        cluster = kc["clusters"][0]["cluster"]
        self.server: str = cluster["server"]
        self.ca_file = Path(cluster["certificate-authority"])

    # -- set-up -----------------------------------------------------------------
    async def connect(self) -> None:
        cfg = client.Configuration()
        await config.load_kube_config(config_file=str(self.kubeconfig), client_configuration=cfg)
        self.api = client.ApiClient(cfg)
        self.v1 = client.CoreV1Api(self.api)
        self.node = NodeAgent(
            self.v1, client.CoordinationV1Api(self.api), self.node_name, self.host_ip
        )

    # -- pods ---------------------------------------------------------------------
    async def watch_pods(self) -> None:
        selector = f"spec.nodeName={self.node_name}"
        rv: str | None = None
        while True:
            try:
                if rv is None:
                    raw = await self.v1.list_pod_for_all_namespaces(
                        field_selector=selector, _preload_content=False
                    )
                    data = json.loads(await raw.read())
                    rv = data["metadata"]["resourceVersion"]
                    present = set()
                    self.known = {}
                    for pod in data.get("items") or []:
                        present.add(pod["metadata"]["uid"])
                        self._know(pod)
                        self._schedule(pod)
                    for uid in list(self.records):
                        if uid not in present:
                            self._schedule_forget(uid)
                resp = await self.v1.list_pod_for_all_namespaces(
                    field_selector=selector,
                    watch=True,
                    resource_version=rv,
                    timeout_seconds=240,
                    allow_watch_bookmarks=True,
                    _preload_content=False,
                    _request_timeout=300,
                )
                async with resp:
                    async for line in resp.content:
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        obj = event.get("object") or {}
                        if event.get("type") == "ERROR":
                            if obj.get("code") == 410:
                                rv = None
                            break
                        rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                        if event.get("type") == "BOOKMARK":
                            continue
                        if event.get("type") == "DELETED":
                            self._know(obj, gone=True)
                            self._schedule_forget(obj["metadata"]["uid"])
                        else:
                            self._know(obj)
                            self._schedule(obj)
            except (ApiException, aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                log.warning("pod watch interrupted (%s); resuming", exc)
                if isinstance(exc, ApiException) and exc.status == 410:
                    rv = None
                await asyncio.sleep(1)

    def _know(self, pod: Json, gone: bool = False) -> None:
        key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
        if gone:
            if (self.known.get(key) or {}).get("metadata", {}).get("uid") == pod["metadata"]["uid"]:
                del self.known[key]
        else:
            self.known[key] = pod

    def _spawn(self, uid: str, coro: Any) -> None:
        lock = self.locks.setdefault(uid, asyncio.Lock())

        async def guarded() -> None:
            async with lock:
                try:
                    await coro
                except Exception:
                    log.exception("handling pod %s failed", uid)

        task = asyncio.ensure_future(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _schedule(self, pod: Json) -> None:
        self._spawn(pod["metadata"]["uid"], self.reconcile(pod))

    def _schedule_forget(self, uid: str) -> None:
        self._spawn(uid, self.forget(uid))

    async def reconcile(self, pod: Json) -> None:
        meta = pod["metadata"]
        uid = meta["uid"]
        if meta.get("deletionTimestamp"):
            await self.terminate(pod)
            return
        record = self.records.get(uid)
        if record is not None:
            record.pod = pod
            return
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            return
        await self.admit(pod)

    async def admit(self, pod: Json) -> None:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        if spec.get("hostNetwork"):
            ip = self.host_ip
        else:
            old = status.get("podIP")
            ip = old if old and self.pool.claim(old) else self.pool.allocate()
        directory = pod_directory(self.state_dir, meta)
        directory.mkdir(parents=True, exist_ok=True)
        record = PodRecord(
            uid=meta["uid"],
            namespace=meta["namespace"],
            name=meta["name"],
            ip=ip,
            start_time=status.get("startTime") or ps.now(),
            directory=directory,
            pod=pod,
        )
        self.records[record.uid] = record
        previous = {c["name"]: c for c in status.get("containerStatuses") or []}
        simulation = (meta.get("annotations") or {}).get(ps.SIMULATE_ANNOTATION)
        if simulation in ps.SIMULATIONS:
            body = ps.simulated_status(
                pod, simulation, pod_ip=ip, host_ip=self.host_ip, start_time=record.start_time
            )
            record.statuses = {s["name"]: s for s in body["containerStatuses"]}
            await self.write_status(record, body)
            return
        for c in spec.get("containers") or []:
            # a pod already running before a kubelet restart counts a restart, like a reboot
            record.restarts[c["name"]] = (
                int(previous.get(c["name"], {}).get("restartCount", -1)) + 1
            )
        if ps.is_singleuser_pod(pod):
            files = await fetch_pod_files(self.v1, pod)
            for c in spec.get("containers") or []:
                await self.start(record, c, files)
        else:
            for c in spec.get("containers") or []:
                record.statuses[c["name"]] = ps.container_status(
                    c,
                    record.uid,
                    ps.running_state(record.start_time),
                    ready=True,
                    restarts=record.restarts[c["name"]],
                )
        await self.publish(record)

    async def start(
        self, record: PodRecord, container: Json, files: PodFiles | None = None
    ) -> None:
        if files is None:
            files = await fetch_pod_files(self.v1, record.pod)
        name = container["name"]
        restarts = record.restarts.get(name, 0)
        started_at = ps.now()
        try:
            proc = await asyncio.to_thread(
                start_container,
                record.pod,
                container,
                pod_dir=record.directory,
                pod_ip=record.ip,
                host_ip=self.host_ip,
                files=files,
                api_server=self.server,
                ca_file=self.ca_file,
                started_at=started_at,
                instance=restarts,
                log_limits=self.log_limits,
            )
        except (OSError, ValueError) as exc:
            record.statuses[name] = ps.container_status(
                container,
                record.uid,
                ps.waiting_state("RunContainerError", str(exc)),
                ready=False,
                restarts=restarts,
            )
            log.warning("pod %s/%s: cannot start %s: %s", record.namespace, record.name, name, exc)
            return
        record.containers[name] = proc
        ready = "readinessProbe" not in container
        record.statuses[name] = ps.container_status(
            container,
            record.uid,
            ps.running_state(started_at),
            ready=ready,
            restarts=restarts,
            last_state=(record.statuses.get(name) or {}).get("lastState"),
        )
        log.info(
            "pod %s/%s: started %s as pid %s on %s",
            record.namespace,
            record.name,
            name,
            proc.popen.pid,
            record.ip,
        )

    async def publish(self, record: PodRecord) -> None:
        spec = record.pod.get("spec") or {}
        containers = [
            record.statuses[c["name"]]
            for c in spec.get("containers") or []
            if c["name"] in record.statuses
        ]
        inits = self._init_statuses(record)
        phase = None
        if record.finished:
            codes = [s["state"].get("terminated", {}).get("exitCode", 1) for s in containers]
            phase = "Succeeded" if all(code == 0 for code in codes) else "Failed"
        body = ps.pod_status(
            record.pod,
            pod_ip=record.ip,
            host_ip=self.host_ip,
            start_time=record.start_time,
            containers=containers,
            init_containers=inits,
            phase=phase,
        )
        await self.write_status(record, body)

    def _init_statuses(self, record: PodRecord) -> list[Json]:
        """Init containers count as run and completed (nothing of theirs can run here)."""
        return [
            ps.container_status(
                c,
                record.uid,
                ps.terminated_state(
                    0,
                    record.start_time,
                    record.start_time,
                    container=ps.container_id(record.uid, c["name"], 0),
                ),
                ready=False,
            )
            for c in (record.pod.get("spec") or {}).get("initContainers") or []
        ]

    def pod_logs(self, namespace: str, name: str) -> PodLogs | None:
        """What the kubelet API needs for a pod's logs: the statuses this kubelet holds
        (or, for a pod it does not run now, those the API server has) and its log folder."""
        pod = self.known.get((namespace, name))
        if pod is None:
            return None
        meta = pod["metadata"]
        record = self.records.get(meta["uid"])
        if record is not None:
            statuses = list(record.statuses.values()) + self._init_statuses(record)
        else:
            status = pod.get("status") or {}
            statuses = list(status.get("containerStatuses") or []) + list(
                status.get("initContainerStatuses") or []
            )
        return PodLogs(
            name=name,
            uid=meta["uid"],
            containers=logrequest.container_names(pod),
            statuses=statuses,
            log_dir=pod_directory(self.state_dir, meta) / "logs",
        )

    async def write_status(self, record: PodRecord, status: Json) -> None:
        try:
            await self.v1.patch_namespaced_pod_status(
                record.name, record.namespace, {"status": status}, _content_type=MERGE
            )
        except ApiException as exc:
            if exc.status != 404:
                raise

    async def supervise(self) -> None:
        """Notice exited processes, restart them per restartPolicy, run readiness probes."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.5)
            for uid, record in list(self.records.items()):
                if uid in self.locks and self.locks[uid].locked():
                    continue
                self._spawn(uid, self._check(record, loop.time()))

    async def _check(self, record: PodRecord, now: float) -> None:
        if record.uid not in self.records or record.finished:
            return
        spec = record.pod.get("spec") or {}
        policy = spec.get("restartPolicy") or "Always"
        changed = False
        for c in spec.get("containers") or []:
            name = c["name"]
            proc = record.containers.get(name)
            if proc is None:
                due = record.restart_at.pop(name, None)
                if due is not None:
                    if due > now:
                        record.restart_at[name] = due
                        continue
                    await self.start(record, c)
                    changed = True
                continue
            code = proc.exit_code()
            if code is None:
                if not record.statuses[name]["ready"] and await readiness(c, record.ip):
                    record.statuses[name]["ready"] = True
                    changed = True
                continue
            del record.containers[name]
            restarts = record.restarts.get(name, 0)
            finished = ps.terminated_state(
                code,
                proc.started_at,
                ps.now(),
                container=ps.container_id(record.uid, name, restarts),
            )
            if policy == "Never" or (policy == "OnFailure" and code == 0):
                record.statuses[name] = ps.container_status(
                    c, record.uid, finished, ready=False, restarts=restarts
                )
            else:
                backoff = min(10 * 2**restarts, 300)
                record.restarts[name] = restarts + 1
                record.restart_at[name] = now + backoff
                waiting = ps.waiting_state(
                    "CrashLoopBackOff",
                    f"back-off {backoff}s restarting failed container={name} pod={record.name}",
                )
                record.statuses[name] = ps.container_status(
                    c, record.uid, waiting, ready=False, restarts=restarts + 1, last_state=finished
                )
            log.info("pod %s/%s: %s exited with %s", record.namespace, record.name, name, code)
            changed = True
        if record.statuses and all("terminated" in s["state"] for s in record.statuses.values()):
            record.finished = True
        if changed:
            await self.publish(record)

    async def terminate(self, pod: Json) -> None:
        """Stop the pod's processes within its grace period, then finish the deletion."""
        meta = pod["metadata"]
        record = self.records.pop(meta["uid"], None)
        grace = float(meta.get("deletionGracePeriodSeconds") or 0)
        if record is not None:
            await self._stop(record, grace)
        try:
            await self.v1.delete_namespaced_pod(
                meta["name"],
                meta["namespace"],
                body={"gracePeriodSeconds": 0, "preconditions": {"uid": meta["uid"]}},
            )
        except ApiException as exc:
            if exc.status not in (404, 409):
                raise

    async def forget(self, uid: str) -> None:
        record = self.records.pop(uid, None)
        if record is not None:
            await self._stop(record, 0)
        self.locks.pop(uid, None)

    async def _stop(self, record: PodRecord, grace: float) -> None:
        for proc in record.containers.values():
            await asyncio.to_thread(proc.stop, grace)
        record.containers.clear()
        if record.ip != self.host_ip:
            self.pool.release(record.ip)
        await asyncio.to_thread(shutil.rmtree, record.directory, True)
        log.info("pod %s/%s stopped", record.namespace, record.name)

    def stop_all(self) -> None:
        for record in self.records.values():
            for proc in record.containers.values():
                proc.stop(2)

    async def serve_api(self) -> None:
        """Serve the kubelet API on the node's address; the Node announces its port."""
        if self.tls is None:
            return
        self.runner, self.node.port = await serve(make_app(self), self.host_ip, self.port, self.tls)
        log.info("kubelet API on https://%s:%s", self.host_ip, self.node.port)

    async def run(self) -> None:
        await self.connect()
        await self.serve_api()
        await self.node.register()
        await asyncio.gather(self.node.heartbeat(), self.watch_pods(), self.supervise())
