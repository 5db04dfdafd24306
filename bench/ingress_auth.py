"""Benchmark of the ingress authorization endpoint against a floor, in one server.

    python bench/ingress_auth.py [--duration 3] [--rounds 3] [--check]

Starts the hub service's application (:func:`karvdash_hub.service.app.make_app`, the
routes of every part, Tornado's ``HTTPServer`` with ``xheaders`` as ``python -m
karvdash_hub.service`` runs it, the same logging) in a child process, with an
:class:`~karvdash_hub.service.ingress_authority.IngressAuthority` over a static owner map
(the cluster-backed one answers from the same kind of in-memory index) and one more route:

* ``/services/karvdash/ingress/auth``: the real decision for
  ``X-Original-URL: https://web-alice.karvdash.test/...`` with the owner's signed cookie
  among other cookies, as ingress-nginx sends it (every request a user makes to a service);
* ``/services/karvdash/ingress/floor``: the same handler class answering 200 without
  checking anything (the floor: Tornado, HTTP and logging alone).

Debian's ``wrk`` loads both, interleaved, at concurrency 1 (``-t1 -c1``) and 32
(``-t2 -c32``), the server pinned to one CPU and wrk to the other. Prints a table, the
ratio to the floor, and one line per target, ``<metric>: <value> <unit> (target
<target>) met|not met``. Everything listens on 127.0.0.1; the child exits by itself after
``--lifetime`` seconds even if this script is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any


def _webhook_bench() -> Any:
    """bench/webhook.py, for its wrk runner and machine description."""
    spec = importlib.util.spec_from_file_location(
        "karvdash_bench_webhook", Path(__file__).resolve().parent / "webhook.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _webhook_bench()
_median, _pin, cpu_seconds = _shared._median, _shared._pin, _shared.cpu_seconds
machine, run_wrk = _shared.machine, _shared.run_wrk

PREFIX = "/services/karvdash/"
DOMAIN = "karvdash.test"
HOST = f"web-alice.{DOMAIN}"
SECRET = bytes(range(32))
ORIGINAL = f"https://{HOST}/lab/tree/notebooks/analysis.ipynb?kernel=python3"


def owner_cookie(user: str = "alice") -> str:
    from karvdash_hub.service.ingress_cookie import Signer

    value = Signer(SECRET).cookie(user, HOST, admin=False, expires=int(time.time()) + 3600)
    return f"_xsrf=2|a1b2c3d4|e5f6a7b8c9d0e1f2|1717000000; karvdash-ingress={value}; theme=dark"


# ---- the server (child process) -------------------------------------------------------


async def _serve(lifetime: float) -> None:
    from jupyterhub.services.auth import HubOAuth  # type: ignore[import-untyped]
    from tornado import netutil
    from tornado.httpserver import HTTPServer

    from karvdash.registry import RegistryGateway
    from karvdash.settings import load_settings
    from karvdash_hub.service.app import make_app
    from karvdash_hub.service.ingress import QuietHandler
    from karvdash_hub.service.ingress_authority import IngressAuthority
    from karvdash_hub.service.ingress_cookie import Signer
    from karvdash_hub.service.ingress_owners import StaticOwners

    class FloorHandler(QuietHandler):
        async def prepare(self) -> None:
            return None

        def get(self) -> None:
            self.set_header("Cache-Control", "no-store")
            self.finish()

    settings = load_settings(env={})
    owners = StaticOwners(
        {**{f"svc{i}-user{i}.{DOMAIN}": f"user{i}" for i in range(2000)}, HOST: "alice"}
    )
    authority = IngressAuthority(owners, Signer(SECRET), domain=DOMAIN)
    hub_auth = HubOAuth(
        api_token="bench",  # noqa: S106 - no hub is asked: cookies only
        api_url="http://127.0.0.1:9/hub/api/",
        oauth_client_id="service-karvdash",
        cache_max_age=60,
    )
    app = make_app(
        prefix=PREFIX,
        hub_auth=hub_auth,
        gateway=RegistryGateway.from_settings(settings),
        ingress_authority=authority,
    )
    app.add_handlers(r".*", [(PREFIX + "ingress/floor", FloorHandler)])
    sockets = netutil.bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app, xheaders=True)
    server.add_sockets(sockets)
    print(f"PORT {sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(lifetime, stop.set)
    await stop.wait()
    server.stop()


def serve(lifetime: float) -> None:
    logging.basicConfig(  # as python -m karvdash_hub.service does
        level=logging.INFO,
        format="[%(levelname).1s %(asctime)s %(name)s] %(message)s",
        stream=sys.stderr,
    )
    asyncio.run(_serve(lifetime))


class Child:
    def __init__(self, lifetime: float, cpus: set[int] | None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve", f"--lifetime={lifetime}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("KARVDASH_", "JUPYTERHUB_"))
            },
            preexec_fn=_pin(cpus),
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        found = re.match(r"PORT (\d+)", line)
        if not found:
            self.stop()
            raise RuntimeError(f"the server did not start: {line!r}")
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


# ---- the load ---------------------------------------------------------------------------


def status_of(url: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            return int(answer.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def check_answers(port: int) -> None:
    """The endpoint decides: owner 200, another user 403, nobody 401, no service 403."""
    url = f"http://127.0.0.1:{port}{PREFIX}{TARGETS['auth']}"
    ghost = f"ghost-alice.{DOMAIN}"
    cases = [
        (url, {"X-Original-URL": ORIGINAL, "Cookie": owner_cookie()}, 200),
        (url, {"X-Original-URL": ORIGINAL, "Cookie": owner_cookie("bob")}, 403),
        (url, {"X-Original-URL": ORIGINAL}, 401),
        (
            url.replace(HOST, ghost),
            {"X-Original-URL": f"https://{ghost}/", "Cookie": owner_cookie()},
            403,
        ),
    ]
    for target, headers, expected in cases:
        got = status_of(target, headers)
        assert got == expected, f"{target} {headers}: {got}, expected {expected}"
    floor = f"http://127.0.0.1:{port}{PREFIX}ingress/floor"
    assert status_of(floor, {"X-Original-URL": ORIGINAL}) == 200


CONFIGS = ((1, 1), (2, 32))  # (wrk threads, connections)
TARGETS = {"auth": f"ingress/auth?host={HOST}", "floor": "ingress/floor"}
"""As the Ingress's auth-url names them (the host nginx served, karvdash.templates)."""


def wrk_script(folder: Path) -> Path:
    script = folder / "auth.lua"
    script.write_text(
        f'wrk.headers["X-Original-URL"] = "{ORIGINAL}"\n'
        f'wrk.headers["X-Original-Method"] = "GET"\n'
        'wrk.headers["X-Sent-From"] = "nginx-ingress-controller"\n'
        f'wrk.headers["Cookie"] = "{owner_cookie()}"\n'
    )
    return script


def measure(
    port: int, pid: int, script: Path, duration: int, rounds: int, pin: set[int] | None
) -> dict[tuple[str, int], dict[str, float]]:
    """Median over ``rounds`` of interleaved runs (auth, floor, auth, ...)."""
    base = f"http://127.0.0.1:{port}{PREFIX}"
    for path in TARGETS.values():  # warm-up
        run_wrk(base + path, script, 1, 4, 1, pin)
    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for _ in range(rounds):
        for threads, connections in CONFIGS:
            for name, path in TARGETS.items():
                before = cpu_seconds(pid)
                result = run_wrk(base + path, script, threads, connections, duration, pin)
                used = cpu_seconds(pid) - before
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
        f"{'target':<8} {'conc.':>5} {'decisions/s':>12} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'CPU us/req':>11} {'non-2xx':>8}"
    )
    for (name, connections), r in sorted(results.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(
            f"{name:<8} {connections:>5} {r['rps']:>12.0f} {r['p50']:>8.2f} {r['p99']:>8.2f}"
            f" {r['cpu_us']:>11.0f} {r['errors']:>8.0f}"
        )
    for _, connections in CONFIGS:
        ratio = results["auth", connections]["rps"] / results["floor", connections]["rps"]
        print(f"ratio to the floor at concurrency {connections}: {ratio:.2f}x")
    print()
    a1, a32 = results["auth", 1], results["auth", 32]
    ratio32 = a32["rps"] / results["floor", 32]["rps"]
    targets = [
        ("decisions at c32", a32["rps"], "decisions/s", ">=", 1500, f"{a32['rps']:.0f}"),
        ("decisions at c32 relative to the floor", ratio32, "x", ">=", 0.8, f"{ratio32:.2f}"),
        ("p99 latency at c1", a1["p99"], "ms", "<", 3.0, f"{a1['p99']:.2f}"),
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
    import tempfile

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = pin and len(cpus) >= 2
    pins: dict[str, Any] = (
        {"server": {cpus[0]}, "wrk": set(cpus[1:])} if pin else {"server": None, "wrk": None}
    )
    started = time.monotonic()
    child = Child(4 * rounds * (duration + 2) + 120, pins["server"])
    try:
        check_answers(child.port)
        with tempfile.TemporaryDirectory(prefix="karvdash-bench-") as tmp:
            script = wrk_script(Path(tmp))
            print(f"machine: {machine()}")
            print(
                f"request: GET with X-Original-URL ({len(ORIGINAL)} chars) and a Cookie header "
                f"of {len(owner_cookie())} bytes holding the owner's cookie; 2001 services known"
            )
            pinning = (
                f"server pinned to CPU {cpus[0]}, wrk to CPU {','.join(map(str, cpus[1:]))}"
                if pin
                else "no CPU pinning"
            )
            print(
                f"method: wrk -t1 -c1 and -t2 -c32, {duration} s per run, median of {rounds} "
                f"interleaved rounds; {pinning}"
            )
            results = measure(child.port, child.process.pid, script, duration, rounds, pins["wrk"])
    finally:
        child.stop()
    print(f"(took {time.monotonic() - started:.0f} s)")
    print()
    return report(results, check)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--duration", type=int, default=3, help="seconds per measured run")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    p.add_argument("--no-pin", action="store_true", help="do not pin the server and wrk to CPUs")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--lifetime", type=float, default=300.0, help=argparse.SUPPRESS)
    options = p.parse_args()
    if options.serve:
        serve(options.lifetime)
        return 0
    return bench(options.duration, options.rounds, not options.no_pin, options.check)


if __name__ == "__main__":
    sys.exit(main())
