"""Benchmark of the admission webhook against a floor, over HTTPS on loopback.

    python bench/webhook.py [--duration 5] [--check]

Starts two servers in child processes, both on the same Tornado stack
(:func:`karvdash_webhook.server.make_http_server`, TLS from the self-signed helper):

* ``webhook``: the real webhook (static namespace directory ``karvdash-alice`` -> ``alice``);
* ``floor``: answers a bare "allowed" AdmissionReview after ``json.loads`` of the body.

Then Debian's ``wrk`` (a Lua script posting the review of a realistic notebook pod, the
one KubeSpawner creates) loads ``/mutate`` (which answers with a patch) and the floor
at concurrency 1 (``-t1 -c1``) and 16 (``-t2 -c16``). Prints a table, the ratio to the
floor, and one line per target, ``<metric>: <value> <unit> (target <target>) met|not met``.

Everything listens on 127.0.0.1 only; the children exit by themselves after
``--lifetime`` seconds even if this script is killed, and are stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import os
import platform
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from http.client import HTTPSConnection
from pathlib import Path
from typing import Any

UID = "b2f5e1c4-3a7d-4f4e-9c1a-5d2e8f7a6b90"
NAMESPACE = "karvdash-alice"


def notebook_pod() -> dict[str, Any]:
    """The pod KubeSpawner makes for user ``alice``, after the API server's defaulting."""
    env = {
        "JUPYTERHUB_API_TOKEN": "3f1c9a7e5b2d4c8fa1e6b9d0c7f2a4e8",
        "JPY_API_TOKEN": "3f1c9a7e5b2d4c8fa1e6b9d0c7f2a4e8",
        "JUPYTERHUB_ADMIN_ACCESS": "1",
        "JUPYTERHUB_CLIENT_ID": "jupyterhub-user-alice",
        "JUPYTERHUB_HOST": "",
        "JUPYTERHUB_OAUTH_CALLBACK_URL": "/user/alice/oauth_callback",
        "JUPYTERHUB_OAUTH_SCOPES": '["access:servers!server=alice/", "access:servers!user=alice"]',
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVER_NAME": "",
        "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
        "JUPYTERHUB_ACTIVITY_URL": "http://127.0.0.1:8081/hub/api/users/alice/activity",
        "JUPYTERHUB_BASE_URL": "/",
        "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
        "JUPYTERHUB_SERVICE_URL": "http://0.0.0.0:8888/user/alice/",
        "MEM_GUARANTEE": "1073741824",
        "MEM_LIMIT": "4294967296",
        "CPU_GUARANTEE": "0.5",
        "CPU_LIMIT": "2.0",
    }
    labels = {
        "app": "jupyterhub",
        "component": "singleuser-server",
        "heritage": "jupyterhub",
        "hub.jupyter.org/servername": "",
        "hub.jupyter.org/username": "alice",
        "app.kubernetes.io/name": "jupyterhub",
        "app.kubernetes.io/component": "singleuser-server",
        "app.kubernetes.io/managed-by": "kubespawner",
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "jupyter-alice",
            "namespace": NAMESPACE,
            "labels": labels,
            "annotations": {"hub.jupyter.org/username": "alice", "hub.jupyter.org/servername": ""},
        },
        "spec": {
            "automountServiceAccountToken": False,
            "containers": [
                {
                    "name": "notebook",
                    "image": "quay.io/jupyter/minimal-notebook:2024-05-27",
                    "args": ["jupyterhub-singleuser"],
                    "env": [{"name": k, "value": v} for k, v in env.items()],
                    "ports": [{"name": "notebook-port", "containerPort": 8888, "protocol": "TCP"}],
                    "resources": {
                        "limits": {"cpu": "2", "memory": "4G"},
                        "requests": {"cpu": "500m", "memory": "1G"},
                    },
                    "securityContext": {
                        "runAsUser": 1000,
                        "runAsGroup": 100,
                        "allowPrivilegeEscalation": False,
                    },
                    "volumeMounts": [
                        {"name": "home", "mountPath": "/home/jovyan"},
                        {
                            "name": "startup",
                            "mountPath": "/usr/local/bin/before-notebook.d",
                            "readOnly": True,
                        },
                    ],
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                }
            ],
            "volumes": [
                {"name": "home", "persistentVolumeClaim": {"claimName": "claim-alice"}},
                {"name": "startup", "configMap": {"name": "karvdash-startup", "defaultMode": 420}},
            ],
            "nodeSelector": {"hub.jupyter.org/node-purpose": "user"},
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "preference": {
                                "matchExpressions": [
                                    {
                                        "key": "hub.jupyter.org/node-purpose",
                                        "operator": "In",
                                        "values": ["user"],
                                    }
                                ]
                            },
                        }
                    ]
                }
            },
            "restartPolicy": "OnFailure",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "securityContext": {"fsGroup": 100},
            "schedulerName": "default-scheduler",
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 0,
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
        },
        "status": {},
    }


def notebook_review() -> bytes:
    """The AdmissionReview the API server sends for that pod's creation."""
    pod = notebook_pod()
    gvk = {"group": "", "version": "v1", "kind": "Pod"}
    gvr = {"group": "", "version": "v1", "resource": "pods"}
    review = {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": UID,
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": "jupyter-alice",
            "namespace": NAMESPACE,
            "operation": "CREATE",
            "userInfo": {
                "username": "system:serviceaccount:karvdash:hub",
                "uid": "8e2b7c1d-4f3a-4b6e-9d0c-1a2b3c4d5e6f",
                "groups": [
                    "system:serviceaccounts",
                    "system:serviceaccounts:karvdash",
                    "system:authenticated",
                ],
            },
            "object": pod,
            "oldObject": None,
            "dryRun": False,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }
    return json.dumps(review, separators=(",", ":")).encode()


# ---- the servers (child processes) -------------------------------------------------


def _floor_app() -> Any:
    from tornado import web

    class FloorHandler(web.RequestHandler):
        def post(self) -> None:
            doc = json.loads(self.request.body)
            answer = {
                "apiVersion": "admission.k8s.io/v1",
                "kind": "AdmissionReview",
                "response": {"uid": doc["request"]["uid"], "allowed": True},
            }
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(answer, separators=(",", ":")).encode())

    return web.Application([(r"/mutate", FloorHandler), (r"/validate", FloorHandler)])


async def _serve(kind: str, cert: str, key: str, lifetime: float) -> None:
    from karvdash_webhook.admission import Webhook
    from karvdash_webhook.app import make_app
    from karvdash_webhook.metrics import Metrics
    from karvdash_webhook.namespaces import StaticNamespaceDirectory
    from karvdash_webhook.policy import Policy
    from karvdash_webhook.server import make_http_server, ssl_context
    from tornado import netutil

    from karvdash.settings import load_settings

    if kind == "webhook":
        policy = Policy.from_settings(load_settings(env={}))
        webhook = Webhook(policy, StaticNamespaceDirectory({NAMESPACE: "alice"}))
        app = make_app(webhook, Metrics())
    else:
        app = _floor_app()
    sockets = netutil.bind_sockets(0, "127.0.0.1")
    server = make_http_server(app, ssl_context(cert, key))
    server.add_sockets(sockets)
    print(f"PORT {sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(lifetime, stop.set)
    await stop.wait()
    server.stop()


class Child:
    """A server child process, stopped (by its own id) at the end."""

    def __init__(
        self, kind: str, cert: str, key: str, lifetime: float, cpus: set[int] | None
    ) -> None:
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, __file__, f"--serve={kind}", f"--lifetime={lifetime}", cert, key],
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("KARVDASH_")},
            preexec_fn=_pin(cpus),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.match(r"PORT (\d+)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the {kind} server did not start: {line!r}")
        self.port = int(found.group(1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def _pin(cpus: set[int] | None) -> Any:
    """A ``preexec_fn`` pinning a child to ``cpus`` (``None``: no pinning)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


# ---- the load -----------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not found:
        raise ValueError(f"unknown wrk duration {text!r}")
    return float(found.group(1)) * UNITS[found.group(2)]


def run_wrk(
    url: str, script: Path, threads: int, connections: int, seconds: int, cpus: set[int] | None
) -> dict[str, float]:
    """One wrk run: requests (count, per second), p50 and p99 in ms, non-2xx answers."""
    out = subprocess.run(
        [*f"wrk -t{threads} -c{connections} -d{seconds}s --latency -s".split(), str(script), url],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
        preexec_fn=_pin(cpus),
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    count = re.search(r"(\d+) requests in", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    if not (rps and p50 and p99 and count):
        raise RuntimeError(f"cannot read wrk's output:\n{out}")
    if socket_errors:
        print(f"  wrk: {socket_errors.group(0)}", file=sys.stderr)
    return {
        "rps": float(rps.group(1)),
        "requests": float(count.group(1)),
        "p50": _ms(p50.group(1)),
        "p99": _ms(p99.group(1)),
        "errors": float(errors.group(1)) if errors else 0.0,
    }


def check_answer(port: int, ca_file: str, body: bytes, want_patch: bool) -> int:
    """One request by hand: the answer echoes the uid (and carries a patch). Its size."""
    context = ssl.create_default_context(cafile=ca_file)
    connection = HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    try:
        connection.request("POST", "/mutate", body, {"Content-Type": "application/json"})
        answer = connection.getresponse()
        data = answer.read()
    finally:
        connection.close()
    response = json.loads(data)["response"]
    assert answer.status == 200, data
    assert response["uid"] == UID, data
    assert response["allowed"] is True, data
    assert ("patch" in response) == want_patch, data
    return len(data)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({cpu}); load average {load}; Python "
        f"{platform.python_version()}; {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )


CONFIGS = ((1, 1), (2, 16))  # (wrk threads, connections)
TARGETS = ("webhook /mutate", "floor")


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    ports: dict[str, int],
    pids: dict[str, int],
    script: Path,
    duration: int,
    rounds: int,
    pins: dict[str, set[int] | None],
) -> dict[tuple[str, int], dict[str, float]]:
    """Median over ``rounds`` of interleaved runs (webhook, floor, webhook, ...)."""
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for name in TARGETS:  # warm-up: TLS sessions, caches, the allocator
        run_wrk(f"https://127.0.0.1:{ports[name]}/mutate", script, 1, 4, 1, pins["wrk"])
    for _ in range(rounds):
        for threads, connections in CONFIGS:
            for name in TARGETS:
                url = f"https://127.0.0.1:{ports[name]}/mutate"
                before = cpu_seconds(pids[name])
                result = run_wrk(url, script, threads, connections, duration, pins["wrk"])
                used = cpu_seconds(pids[name]) - before
                result["cpu_us"] = 1e6 * used / max(result["requests"], 1.0)
                runs.setdefault((name, connections), []).append(result)
    return {
        key: {
            k: _median([r[k] for r in rs]) if k != "errors" else sum(r[k] for r in rs)
            for k in rs[0]
        }
        for key, rs in runs.items()
    }


def report(results: dict[tuple[str, int], dict[str, float]], check: bool) -> int:
    print(
        f"{'target':<16} {'conc.':>5} {'reviews/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'CPU us/review':>14} {'non-2xx':>8}"
    )
    for (name, connections), r in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(
            f"{name:<16} {connections:>5} {r['rps']:>10.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}"
            f" {r['cpu_us']:>14.0f} {r['errors']:>8.0f}"
        )
    for connections in (1, 16):
        ratio = (
            results["webhook /mutate", connections]["rps"] / results["floor", connections]["rps"]
        )
        print(f"ratio to the floor at concurrency {connections}: {ratio:.2f}x")
    print()
    w1, w16 = results["webhook /mutate", 1], results["webhook /mutate", 16]
    ratio16 = w16["rps"] / results["floor", 16]["rps"]
    targets = [
        ("throughput at c16 relative to the floor", ratio16, "x", ">=", 0.8, f"{ratio16:.2f}"),
        ("throughput at c16", w16["rps"], "reviews/s", ">=", 1200, f"{w16['rps']:.0f}"),
        ("p50 latency at c1", w1["p50"], "ms", "<", 1.0, f"{w1['p50']:.2f}"),
        ("p99 latency at c1", w1["p99"], "ms", "<", 5.0, f"{w1['p99']:.2f}"),
    ]
    all_met = all(r["errors"] == 0 for r in results.values())
    for metric, value, unit, op, target, shown in targets:
        met = value >= target if op == ">=" else value < target
        all_met = all_met and met
        verdict = "met" if met else "not met"
        print(f"{metric}: {shown} {unit} (target {op} {target:g} {unit}) {verdict}")
    return 0 if all_met or not check else 1


def bench(duration: int, rounds: int, pin: bool, check: bool) -> int:
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install wrk", file=sys.stderr)
        return 2
    from karvdash_webhook.certs import ensure_self_signed

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = pin and len(cpus) >= 2
    pins: dict[str, set[int] | None] = (
        {"server": {cpus[0]}, "wrk": set(cpus[1:])} if pin else {"server": None, "wrk": None}
    )
    body = notebook_review()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="karvdash-bench-") as tmp:
        files = ensure_self_signed(Path(tmp) / "tls", extra_sans=["127.0.0.1"])
        review_file = Path(tmp) / "review.json"
        review_file.write_bytes(body)
        script = Path(tmp) / "post.lua"
        script.write_text(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f'local f = io.open("{review_file}", "rb")\n'
            'wrk.body = f:read("*a")\n'
            "f:close()\n"
        )
        lifetime = 4 * rounds * (duration + 2) + 120
        cert, key = str(files.cert_file), str(files.key_file)
        children = [
            Child("webhook", cert, key, lifetime, pins["server"]),
            Child("floor", cert, key, lifetime, pins["server"]),
        ]
        try:
            webhook, floor = children
            answer_size = check_answer(webhook.port, str(files.ca_file), body, want_patch=True)
            check_answer(floor.port, str(files.ca_file), body, want_patch=False)
            pinning = (
                f"servers pinned to CPU {cpus[0]}, wrk to CPU {','.join(map(str, cpus[1:]))}"
                if pin
                else "no CPU pinning"
            )
            print(f"machine: {machine()}")
            print(f"review: {len(body)} bytes; webhook answer with its patch: {answer_size} bytes")
            print(
                f"method: wrk -t1 -c1 and -t2 -c16, {duration} s per run, median of {rounds} "
                "interleaved rounds; " + pinning
            )
            results = measure(
                {"webhook /mutate": webhook.port, "floor": floor.port},
                {"webhook /mutate": webhook.process.pid, "floor": floor.process.pid},
                script,
                duration,
                rounds,
                pins,
            )
        finally:
            for child in children:
                child.stop()
    print(f"(took {time.monotonic() - started:.0f} s)")
    print()
    return report(results, check)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=3, help="seconds per measured run")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    p.add_argument(
        "--no-pin", action="store_true", help="do not pin the servers and wrk to separate CPUs"
    )
    p.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    p.add_argument("--serve", choices=["webhook", "floor"], help=argparse.SUPPRESS)
    p.add_argument("cert", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("key", nargs="?", help=argparse.SUPPRESS)
    p.add_argument("--lifetime", type=float, default=300.0, help=argparse.SUPPRESS)
    options = p.parse_args()
    if options.serve:
        asyncio.run(_serve(options.serve, options.cert, options.key, options.lifetime))
        return 0
    return bench(options.duration, options.rounds, not options.no_pin, options.check)


if __name__ == "__main__":
    sys.exit(main())
