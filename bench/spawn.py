"""Spawn time of KarvdashSpawner next to plain KubeSpawner, on the same dev cluster.

    python bench/spawn.py [--users 20] [--singles 3] [--check]

Brings up the dev stack (real control plane, local kubelet, webhook, JupyterHub + proxy)
in a temporary folder, then, with the same hub restarted between the two:

* ``karvdash``: ``KarvdashSpawner`` as shipped (namespace + RoleBinding provisioning, the
  webhook's mounts, the service-account token);
* ``kubespawner``: plain ``KubeSpawner`` with ``enable_user_namespaces`` (it creates the
  namespace too), same image, command and timeouts.

``--singles`` rounds of one spawn with each (the hub restarted with the other spawner in
between, the order alternating, so warm-up and drift hit both alike; median), then
``--users`` users spawning at once with each. Besides request-to-ready (which includes
the start-up of the server process, several seconds and most of the noise), it times
request-to-pod-created, which is where the spawners differ: Karvdash's namespace,
RoleBinding and quota work happens before the pod is created. The time of a spawn is from
the REST request (``POST /hub/api/users/<name>/server``) to the hub reporting it ready; every
server is a real ``jupyterhub-singleuser`` process started by the local kubelet, so the
figures include its start-up. Ends with one line per target,
``<metric>: <value> <unit> (target <target>) met|not met``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests
from kubernetes import client, config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.pop("KUBECONFIG", None)

from karvdash.devcluster.cluster import DevCluster
from karvdash.devstack import DevStack

PLAIN_KUBESPAWNER = """
# ruff: noqa: F821
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.enable_user_namespaces = True
c.KubeSpawner.user_namespace_template = "kubespawner-{username}"
c.KubeSpawner.cmd = ["jupyterhub-singleuser"]
"""


class Hub:
    def __init__(self, url: str, token: str, kubeconfig: Path) -> None:
        self.url = url
        self.headers = {"Authorization": f"token {token}"}
        self.kube = client.CoreV1Api(config.new_client_from_config(str(kubeconfig)))
        self.namespace_of: dict[str, str] = {}
        self.created: dict[str, float] = {}

    def _watch_pod(self, name: str, began: float, stop: threading.Event) -> None:
        """When the user's pod exists (what the spawner's own work ends with)."""
        while not stop.is_set():
            namespace = self.namespace_of.get(name[:2], "")
            try:
                self.kube.read_namespaced_pod(f"jupyter-{name}", f"{namespace}{name}")
            except client.ApiException:
                time.sleep(0.01)
                continue
            self.created[name] = time.perf_counter() - began
            return

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.url}/hub/api{path}", headers=self.headers, timeout=60, **kwargs
        )

    def spawn_and_wait(self, name: str, results: dict[str, float], timeout: float = 300) -> None:
        began = time.perf_counter()
        stop = threading.Event()
        watcher = threading.Thread(target=self._watch_pod, args=(name, began, stop))
        watcher.start()
        try:
            self._spawn(name, began, results, timeout)
        finally:
            stop.set()
            watcher.join()

    def _spawn(self, name: str, began: float, results: dict[str, float], timeout: float) -> None:
        answer = self.call("POST", f"/users/{name}/server")
        if answer.status_code not in (201, 202):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.call("GET", f"/users/{name}").json()
            server = model.get("servers", {}).get("")
            if server and server.get("ready"):
                results[name] = time.perf_counter() - began
                return
            if not server and not model.get("pending"):
                return  # the spawn failed
            time.sleep(0.1)

    def stop(self, names: list[str]) -> None:
        for name in names:
            self.call("DELETE", f"/users/{name}/server")
        deadline = time.monotonic() + 120
        for name in names:
            while time.monotonic() < deadline:
                model = self.call("GET", f"/users/{name}").json()
                if not model.get("servers") and not model.get("pending"):
                    break
                time.sleep(0.2)


def admin_token(url: str, password: str) -> str:
    session = requests.Session()
    page = session.get(f"{url}/hub/login", timeout=10).text
    xsrf = page.split('name="_xsrf" value="', 1)[1].split('"', 1)[0]
    session.post(
        f"{url}/hub/login",
        data={"_xsrf": xsrf, "username": "admin", "password": password},
        timeout=30,
    )
    headers = {"X-XSRFToken": session.cookies.get("_xsrf", path="/hub/") or ""}
    answer = session.post(
        f"{url}/hub/api/users/admin/tokens", json={"note": "bench"}, headers=headers, timeout=10
    )
    answer.raise_for_status()
    return str(answer.json()["token"])


def run_batch(hub: Hub, names: list[str]) -> dict[str, float]:
    hub.call("POST", "/users", json={"usernames": names})
    results: dict[str, float] = {}
    threads = [threading.Thread(target=hub.spawn_and_wait, args=(n, results)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    hub.stop(names)
    return results


def measure(
    stack: DevStack, hub: Hub, configs: dict[str, list[Path]], singles: int, users: int
) -> dict[str, dict[str, Any]]:
    """Single spawns in alternating rounds (so drift and warm-up hit both), then crowds."""
    times: dict[str, list[float]] = {name: [] for name in configs}
    for round_ in range(singles):
        order = list(configs) if round_ % 2 == 0 else list(reversed(configs))
        for name in order:
            stack.restart_hub(configs[name])
            times[name].extend(run_batch(hub, [f"{name[:2]}-single{round_}"]).values())
    results = {}
    for name, extra in configs.items():
        stack.restart_hub(extra)
        crowd = run_batch(hub, [f"{name[:2]}-crowd{i}" for i in range(users)])
        results[name] = {
            "single": statistics.median(times[name]) if times[name] else float("nan"),
            "created": statistics.median(
                hub.created[f"{name[:2]}-single{i}"]
                for i in range(singles)
                if f"{name[:2]}-single{i}" in hub.created
            ),
            "singles": times[name],
            "crowd_median": statistics.median(crowd.values()) if crowd else float("nan"),
            "crowd_max": max(crowd.values()) if crowd else float("nan"),
            "crowd_ok": len(crowd),
        }
    return results


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--users", type=int, default=20)
    p.add_argument("--singles", type=int, default=7)
    p.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    p.add_argument("--logs", type=Path, help="copy the stack's logs (hub, kubelet) here")
    args = p.parse_args()

    with tempfile.TemporaryDirectory(prefix="karvdash-bench-spawn-") as tmp:
        state = Path(tmp)
        plain = state / "plain_kubespawner.py"
        plain.write_text(PLAIN_KUBESPAWNER)
        cluster = DevCluster(state, pod_cidr="127.0.224.0/20", node_name="bench")
        stack = DevStack(cluster, state_dir=state, progress=lambda m: print(f"  [{m}]"))
        stack.start()
        try:
            assert stack.hub is not None
            assert stack.hub.admin_password
            token = admin_token(stack.hub.url, stack.hub.admin_password)
            hub = Hub(stack.hub.url, token, cluster.kubeconfig)
            hub.namespace_of = {"ka": "karvdash-", "ku": "kubespawner-"}
            print(f"dev stack up; {args.singles} single spawns, then {args.users} at once")
            configs = {"karvdash": [], "kubespawner": [plain]}
            results = measure(stack, hub, configs, args.singles, args.users)
        finally:
            stack.stop()
            if args.logs:
                shutil.copytree(state / "logs", args.logs, dirs_exist_ok=True)

    print(f"\n{'spawner':<12} {'1 user (median)':>16} {'N: median':>10} {'N: max':>8} {'N ok':>6}")
    for name, r in results.items():
        print(
            f"{name:<12} {r['single']:>14.2f} s {r['crowd_median']:>8.2f} s "
            f"{r['crowd_max']:>6.2f} s {r['crowd_ok']:>3}/{args.users}"
        )
    for name, r in results.items():
        print(f"{name}: request -> pod created, median of singles: {r['created'] * 1000:.0f} ms")
    kd, ks = results["karvdash"], results["kubespawner"]
    ratio_created = kd["created"] / ks["created"]
    ratio_single = kd["single"] / ks["single"]
    ratio_crowd = kd["crowd_median"] / ks["crowd_median"]
    for name, r in results.items():
        print(f"{name} single spawns (s): " + ", ".join(f"{t:.2f}" for t in r["singles"]))
    print(
        f"\nratio karvdash/kubespawner: 1 user {ratio_single:.2f}x, {args.users} users "
        f"{ratio_crowd:.2f}x (median)\n"
    )
    checks = [
        (
            "spawner's own work ratio (request -> pod created), 1 user",
            ratio_created,
            "x",
            "<= 1.25",
            ratio_created <= 1.25,
        ),
        ("spawn time ratio, 1 user", ratio_single, "x", "<= 1.25", ratio_single <= 1.25),
        (f"spawn time ratio, {args.users} users", ratio_crowd, "x", "<= 1.25", ratio_crowd <= 1.25),
        (
            "concurrent spawns succeeded",
            kd["crowd_ok"],
            f"of {args.users}",
            f"{args.users}",
            kd["crowd_ok"] == args.users,
        ),
    ]
    for metric, value, unit, target, met in checks:
        shown = f"{value:.2f}" if isinstance(value, float) else str(value)
        print(f"{metric}: {shown} {unit} (target {target}) {'met' if met else 'not met'}")
    return 0 if all(c[4] for c in checks) or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
