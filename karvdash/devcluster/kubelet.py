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

Run: ``python -m karvdash.devcluster.kubelet --kubeconfig K --state-dir D``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import shutil
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from . import podstatus as ps
from .addresses import AddressPool
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


class LocalKubelet:
    def __init__(
        self,
        kubeconfig: Path,
        state_dir: Path,
        node_name: str = "karvdash-dev",
        pod_cidr: str = "127.0.16.0/20",
        host_ip: str = "127.0.0.1",
    ) -> None:
        self.kubeconfig = kubeconfig
        self.state_dir = state_dir
        self.node_name = node_name
        self.host_ip = host_ip
        self.pool = AddressPool(pod_cidr)
        self.records: dict[str, PodRecord] = {}
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
                    for pod in data.get("items") or []:
                        present.add(pod["metadata"]["uid"])
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
                            self._schedule_forget(obj["metadata"]["uid"])
                        else:
                            self._schedule(obj)
            except (ApiException, aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                log.warning("pod watch interrupted (%s); resuming", exc)
                if isinstance(exc, ApiException) and exc.status == 410:
                    rv = None
                await asyncio.sleep(1)

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
        directory = (
            self.state_dir / "pods" / f"{meta['namespace']}_{meta['name']}_{meta['uid'][:8]}"
        )
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
        inits = [
            ps.container_status(
                c,
                record.uid,
                ps.terminated_state(0, record.start_time, record.start_time),
                ready=False,
            )
            for c in spec.get("initContainers") or []
        ]
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
            finished = ps.terminated_state(code, proc.started_at, ps.now())
            restarts = record.restarts.get(name, 0)
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

    async def run(self) -> None:
        await self.connect()
        await self.node.register()
        await asyncio.gather(self.node.heartbeat(), self.watch_pods(), self.supervise())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Karvdash dev cluster local kubelet")
    parser.add_argument("--kubeconfig", required=True, type=Path)
    parser.add_argument("--state-dir", required=True, type=Path)
    parser.add_argument("--node-name", default="karvdash-dev")
    parser.add_argument("--pod-cidr", default="127.0.16.0/20")
    parser.add_argument("--host-ip", default="127.0.0.1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    kubelet = LocalKubelet(
        args.kubeconfig, args.state_dir, args.node_name, args.pod_cidr, args.host_ip
    )

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        main_task = asyncio.ensure_future(kubelet.run())
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, main_task.cancel)
        try:
            await main_task
        except asyncio.CancelledError:
            pass
        finally:
            kubelet.stop_all()
            with contextlib.suppress(Exception):
                await kubelet.api.close()

    asyncio.run(runner())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
