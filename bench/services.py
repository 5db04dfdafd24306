"""Benchmark of listing services (``ServiceManager.list``) on the dev cluster.

    python bench/services.py [--sizes 1,100,1000] [--rounds 15] [--kubeconfig PATH] [--check]

Starts its own dev stack (control plane, local kubelet and the admission webhook, in a
temporary folder) unless ``--kubeconfig`` names a cluster. In a fresh user namespace it
launches services from a small template (a Service, a Pod and an Ingress, like a web
service), up to each size in turn, waits until their pods run (one node takes 110
pods, the kubelet's default; the others stay Pending, Unschedulable), then times
``list()`` against a peer: the same two label-selected list calls (the Services'
metadata, the Pods) with their bodies only, nothing decoded: the floor the API server
and the transfer set. It counts the API calls each ``list()`` makes; at the largest
size it also times decoding the pods with ``json.loads`` and a typed-model list of the
pods (``CoreV1Api``), to show why the core decodes with ``msgspec``.

Ends with one line per target, ``<metric>: <value> <unit> (target <target>) met|not met``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import fcntl
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from karvdash.kube import api_client, request_bytes, request_json
from karvdash.services import ServiceManager
from karvdash.services.listing import PARTIAL_METADATA
from karvdash.settings import load_settings
from karvdash.templates import SERVICE_LABEL, Template, TemplateStore, parse_template

USER = "benchuser"
NAMESPACE = f"karvdash-{USER}"
TEMPLATE = parse_template(
    """\
kind: Template
name: Bench
description: A web service in one pod.
variables:
- name: MESSAGE
  default: hello
  help: A message.
---
apiVersion: v1
kind: Service
metadata:
  name: $NAME
spec:
  ports: [{name: http, port: 80, targetPort: 8080}]
  selector: {app: $NAME}
---
apiVersion: v1
kind: Pod
metadata:
  name: $NAME
  labels: {app: $NAME}
spec:
  automountServiceAccountToken: false
  containers:
  - name: web
    image: nginx:1.27
    env: [{name: MESSAGE, value: "$MESSAGE"}]
    ports: [{containerPort: 8080}]
    resources: {requests: {cpu: 1m, memory: 8Mi}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: $NAME
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: $NAME, port: {name: http}}}}
""",
    "bench",
)


class OneTemplate(TemplateStore):
    """The bench template, without the Template custom resource (any cluster works)."""

    async def get(self, template_id: str) -> Template:
        return TEMPLATE


class CallCounter:
    """Counts the requests an ApiClient makes (wraps its ``call_api``)."""

    def __init__(self, api: Any) -> None:
        self.count = 0
        original = api.call_api

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        api.call_api = counted


@contextlib.contextmanager
def pod_block() -> Iterator[str]:
    """A /20 of pod addresses no test session holds (the tests' lock files)."""
    for block in range(11, -1, -1):
        lock = open(f"/tmp/karvdash-test-pods-{block}.lock", "w")  # noqa: SIM115
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        try:
            yield f"127.0.{32 + 16 * block}.0/20"
        finally:
            lock.close()
        return
    raise RuntimeError("every pod address block is taken by a test session")


def machine() -> str:
    cpu = platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}); load average {load}; Python "
        f"{platform.python_version()}; {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )


async def make_namespace(api: Any) -> None:
    body = {
        "metadata": {
            "name": NAMESPACE,
            "labels": {"karvdash.io/user": USER},
            "annotations": {"karvdash.io/username": USER},
        }
    }
    await request_json(api, "POST", "/api/v1/namespaces", body=body)
    probe = {"metadata": {"name": "probe"}, "spec": {"containers": [{"name": "c", "image": "x"}]}}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until the default ServiceAccount exists
        try:
            path = f"/api/v1/namespaces/{NAMESPACE}/pods"
            await request_json(api, "POST", path, query={"dryRun": "All"}, body=probe)
            return
        except Exception:
            await asyncio.sleep(0.2)
    raise RuntimeError(f"namespace {NAMESPACE} does not accept pods")


async def populate(manager: ServiceManager, have: int, target: int, concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        async with gate:
            await manager.create("bench", name=f"s{index:04d}")

    await asyncio.gather(*(one(i) for i in range(have, target)))


async def wait_settled(manager: ServiceManager, timeout: float) -> int:
    """Until every service runs or cannot be scheduled (one node takes 110 pods, the
    kubelet's default); the number running."""
    deadline = time.monotonic() + timeout
    running = 0
    while time.monotonic() < deadline:
        services = await manager.list()
        running = sum(s.status == "Running" for s in services)
        if all(s.status == "Running" or s.reason == "Unschedulable" for s in services):
            break
        await asyncio.sleep(1)
    return running


async def raw_lists(api: Any) -> int:
    """The peer: the two label-selected list calls ``list()`` makes (the Services'
    metadata, the Pods), their bodies only: what the API server and transfer cost."""
    query = {"labelSelector": SERVICE_LABEL}
    bodies = await asyncio.gather(
        request_bytes(
            api,
            "GET",
            f"/api/v1/namespaces/{NAMESPACE}/services",
            query=query,
            accept=f"{PARTIAL_METADATA}, application/json",
            compressed=False,
        ),
        request_bytes(
            api, "GET", f"/api/v1/namespaces/{NAMESPACE}/pods", query=query, compressed=False
        ),
    )
    return sum(len(b) for b in bodies)


async def timed(call: Callable[[], Any], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return times


async def typed_pods_ms(api: Any) -> float:
    from kubernetes_asyncio import client

    started = time.perf_counter()
    await client.CoreV1Api(api).list_namespaced_pod(NAMESPACE, label_selector=SERVICE_LABEL)
    return (time.perf_counter() - started) * 1000


async def json_pods_ms(api: Any) -> float:
    path = f"/api/v1/namespaces/{NAMESPACE}/pods"
    body = await request_bytes(api, "GET", path, query={"labelSelector": SERVICE_LABEL})
    times = []
    for _ in range(5):
        started = time.perf_counter()
        json.loads(body)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def bench(kubeconfig: str, sizes: list[int], rounds: int, concurrency: int) -> dict[str, Any]:
    api = await api_client(kubeconfig)
    results: dict[str, Any] = {"sizes": {}}
    try:
        await make_namespace(api)
        settings = load_settings(env={})
        manager = ServiceManager(
            api, settings, USER, NAMESPACE, templates=OneTemplate(api, settings, NAMESPACE)
        )
        have = 0
        for size in sizes:
            started = time.monotonic()
            await populate(manager, have, size, concurrency)
            launched = time.monotonic() - started
            running = await wait_settled(manager, timeout=120 + size * 0.5)
            have = size
            counter = CallCounter(api)
            for _ in range(2):  # warm-up: connections, caches
                await manager.list()
                await raw_lists(api)
            before = counter.count
            listed = len(await manager.list())
            calls = counter.count - before
            core_times, peer_times = [], []
            for _ in range(rounds):  # interleaved
                core_times += await timed(manager.list, 1)
                peer_times += await timed(lambda: raw_lists(api), 1)
            results["sizes"][size] = {
                "listed": listed,
                "running": running,
                "calls": calls,
                "core": core_times,
                "peer": peer_times,
                "launch_s": launched,
            }
        results["typed_pods_ms"] = await typed_pods_ms(api)
        results["json_pods_ms"] = await json_pods_ms(api)
    finally:
        with contextlib.suppress(Exception):
            await request_json(api, "DELETE", f"/api/v1/namespaces/{NAMESPACE}")
        await api.close()
    return results


def report(results: dict[str, Any], rounds: int) -> bool:
    print(
        f"{'services':>8} {'listed':>7} {'running':>8} {'API calls':>9} {'list() p50 ms':>14}"
        f" {'p90 ms':>7} {'raw calls p50 ms':>17} {'ratio':>6} {'launch s':>9}"
    )
    sizes = results["sizes"]
    for size, r in sizes.items():
        core50 = statistics.median(r["core"])
        core90 = statistics.quantiles(r["core"], n=10)[-1] if len(r["core"]) > 1 else core50
        peer50 = statistics.median(r["peer"])
        print(
            f"{size:>8} {r['listed']:>7} {r['running']:>8} {r['calls']:>9} {core50:>14.1f}"
            f" {core90:>7.1f} {peer50:>17.1f} {core50 / peer50:>5.2f}x {r['launch_s']:>9.1f}"
        )
    largest = max(sizes)
    print(
        f"at {largest} services: decoding the pods with json.loads alone "
        f"{results['json_pods_ms']:.0f} ms; a typed-model list of the pods (CoreV1Api) "
        f"{results['typed_pods_ms']:.0f} ms"
    )
    print()
    calls = {r["calls"] for r in sizes.values()}
    all_listed = all(r["listed"] == size for size, r in sizes.items())
    t_large = statistics.median(sizes[largest]["core"])
    verdicts = []
    constant = len(calls) == 1
    verdicts.append(
        (
            "API calls per list()",
            "/".join(str(r["calls"]) for r in sizes.values()),
            "calls",
            "constant over the sizes",
            constant and all_listed,
        )
    )
    if len(sizes) >= 2:
        small, large = sorted(sizes)[-2:]
        growth = t_large / statistics.median(sizes[small]["core"])
        verdicts.append(
            (
                f"list() time growth from {small} to {large} services",
                f"{growth:.1f}",
                "x",
                f"<= {large / small:g}x (linear)",
                growth <= large / small,
            )
        )
    verdicts.append(
        (f"list() of {largest} services", f"{t_large:.0f}", "ms", "< 300 ms", t_large < 300)
    )
    for metric, value, unit, target, met in verdicts:
        print(f"{metric}: {value} {unit} (target {target}) {'met' if met else 'not met'}")
    return all(v[-1] for v in verdicts)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1,100,1000", help="service counts, ascending")
    p.add_argument("--rounds", type=int, default=15, help="timed list() calls per size")
    p.add_argument("--concurrency", type=int, default=16, help="launches at a time")
    p.add_argument("--kubeconfig", help="use this cluster instead of a fresh dev stack")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    options = p.parse_args()
    sizes = sorted(int(s) for s in options.sizes.split(","))
    started = time.monotonic()
    print(f"machine: {machine()}")
    if options.kubeconfig:
        results = asyncio.run(bench(options.kubeconfig, sizes, options.rounds, options.concurrency))
    else:
        from karvdash.devcluster.cluster import DevCluster
        from karvdash.devstack import DevStack

        with pod_block() as cidr, tempfile.TemporaryDirectory(prefix="karvdash-bench-") as tmp:
            state = Path(tmp)
            cluster = DevCluster(state, pod_cidr=cidr, node_name="karvdash-bench")
            stack = DevStack(cluster, state_dir=state, hub=False, progress=lambda m: None)
            stack.start()
            try:
                print("cluster: fresh dev stack (Kubernetes v1.20.2, local kubelet, webhook)")
                results = asyncio.run(
                    bench(str(cluster.kubeconfig), sizes, options.rounds, options.concurrency)
                )
            finally:
                stack.stop()
    print(
        f"method: median of {options.rounds} interleaved calls per size after 2 warm-ups; "
        f"one ApiClient; services launched {options.concurrency} at a time"
    )
    print(f"(took {time.monotonic() - started:.0f} s)")
    print()
    met = report(results, options.rounds)
    return 0 if met or not options.check else 1


if __name__ == "__main__":
    sys.exit(main())
