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
import ipaddress
import json
import logging
import shutil
import signal
import socket
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import yaml
from kubernetes_asyncio import client, config
from kubernetes_asyncio.client.exceptions import ApiException

from . import podstatus as ps
from .runtime import LocalContainer, PodFiles, start_container

log = logging.getLogger("karvdash.kubelet")
Json = dict[str, Any]
MERGE = "application/merge-patch+json"
API_AUDIENCE = "https://kubernetes.default.svc"
TOKEN_SECONDS = 365 * 24 * 3600


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


class AddressPool:
    """Loopback addresses for pods, from a CIDR such as ``127.0.16.0/20``."""

    def __init__(self, cidr: str) -> None:
        self.network = ipaddress.ip_network(cidr)
        self.taken: set[str] = set()

    def contains(self, ip: str) -> bool:
        try:
            return ipaddress.ip_address(ip) in self.network
        except ValueError:
            return False

    def claim(self, ip: str) -> bool:
        if not self.contains(ip) or ip in self.taken:
            return False
        self.taken.add(ip)
        return True

    def allocate(self) -> str:
        for host in self.network.hosts():
            ip = str(host)
            if ip.endswith((".0", ".1", ".255")) or ip in self.taken:
                continue
            self.taken.add(ip)
            return ip
        raise RuntimeError(f"no free pod address left in {self.network}")

    def release(self, ip: str) -> None:
        self.taken.discard(ip)


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
        self.coord = client.CoordinationV1Api(self.api)

    async def register_node(self) -> None:
        node = ps.make_node(self.node_name, self.host_ip)
        try:
            await self.v1.create_node(node)
        except ApiException as exc:
            if exc.status != 409:
                raise
        await self.post_node_status()
        raw = await self.v1.read_node(self.node_name, _preload_content=False)
        current = json.loads(await raw.read())
        taints = (current.get("spec") or {}).get("taints") or []
        kept = [
            t for t in taints if not t.get("key", "").startswith("node.kubernetes.io/not-ready")
        ]
        if kept != taints:
            await self.v1.patch_node(
                self.node_name, {"spec": {"taints": kept or None}}, _content_type=MERGE
            )
        log.info("node %s registered and Ready", self.node_name)

    async def post_node_status(self) -> None:
        await self.v1.patch_node_status(
            self.node_name, ps.make_node_status(self.node_name, self.host_ip), _content_type=MERGE
        )

    async def heartbeat(self) -> None:
        """Renew the node Lease every 10 s and the Ready condition every 40 s."""
        beats = 0
        while True:
            try:
                await self._renew_lease()
                if beats % 4 == 3:
                    await self.post_node_status()
            except (ApiException, aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("heartbeat failed: %s", exc)
            beats += 1
            await asyncio.sleep(10)

    async def _renew_lease(self) -> None:
        now = _micro_now()
        body = {
            "metadata": {"name": self.node_name, "namespace": "kube-node-lease"},
            "spec": {
                "holderIdentity": self.node_name,
                "leaseDurationSeconds": 40,
                "renewTime": now,
            },
        }
        try:
            await self.coord.patch_namespaced_lease(
                self.node_name, "kube-node-lease", {"spec": body["spec"]}, _content_type=MERGE
            )
        except ApiException as exc:
            if exc.status != 404:
                raise
            await self.coord.create_namespaced_lease("kube-node-lease", body)

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
            files = await self.pod_files(pod)
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
            files = await self.pod_files(record.pod)
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

    async def pod_files(self, pod: Json) -> PodFiles:
        """The token, secrets and config maps the pod's containers need."""
        meta, spec = pod["metadata"], pod.get("spec") or {}
        ns = meta["namespace"]
        files = PodFiles()
        sa = spec.get("serviceAccountName") or "default"
        automount = spec.get("automountServiceAccountToken")
        if automount is None:
            try:
                account = await self.v1.read_namespaced_service_account(sa, ns)
                automount = account.automount_service_account_token
            except ApiException:
                automount = None
        if automount is not False:
            body = {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {
                    "audiences": [API_AUDIENCE],
                    "expirationSeconds": TOKEN_SECONDS,
                    "boundObjectRef": {
                        "kind": "Pod",
                        "apiVersion": "v1",
                        "name": meta["name"],
                        "uid": meta["uid"],
                    },
                },
            }
            resp = await self.v1.create_namespaced_service_account_token(sa, ns, body)
            files.token = resp.status.token
        secret_names: set[str] = set()
        cm_names: set[str] = set()
        for v in spec.get("volumes") or []:
            if "secret" in v:
                secret_names.add(v["secret"].get("secretName", ""))
            if "configMap" in v:
                cm_names.add(v["configMap"].get("name", ""))
        for c in spec.get("containers") or []:
            for e in c.get("env") or []:
                src = e.get("valueFrom") or {}
                if "secretKeyRef" in src:
                    secret_names.add(src["secretKeyRef"].get("name", ""))
                if "configMapKeyRef" in src:
                    cm_names.add(src["configMapKeyRef"].get("name", ""))
        for name in filter(None, secret_names):
            with contextlib.suppress(ApiException):
                files.secrets[name] = (await self.v1.read_namespaced_secret(name, ns)).data or {}
        for name in filter(None, cm_names):
            with contextlib.suppress(ApiException):
                files.config_maps[name] = (
                    await self.v1.read_namespaced_config_map(name, ns)
                ).data or {}
        return files

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
                if not record.statuses[name]["ready"] and await _probe(c, record.ip):
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
        await self.register_node()
        await asyncio.gather(self.heartbeat(), self.watch_pods(), self.supervise())


async def _probe(container: Mapping[str, Any], ip: str) -> bool:
    probe = container.get("readinessProbe") or {}
    if "httpGet" in probe:
        get = probe["httpGet"]
        port = _port(container, get.get("port"))
        scheme = (get.get("scheme") or "HTTP").lower()
        url = f"{scheme}://{ip}:{port}{get.get('path') or '/'}"
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE

        def fetch() -> bool:
            try:
                with urllib.request.urlopen(url, timeout=1, context=ctx) as resp:  # noqa: S310
                    return bool(200 <= resp.status < 400)
            except OSError:
                return False

        return await asyncio.to_thread(fetch)
    if "tcpSocket" in probe:
        port = _port(container, probe["tcpSocket"].get("port"))

        def connect() -> bool:
            try:
                with socket.create_connection((ip, port), timeout=1):
                    return True
            except OSError:
                return False

        return await asyncio.to_thread(connect)
    return True  # exec probes cannot run here: report ready


def _port(container: Mapping[str, Any], port: Any) -> int:
    if isinstance(port, int):
        return port
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    return int(port)


def _micro_now() -> str:
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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
