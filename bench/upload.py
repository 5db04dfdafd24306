"""Benchmark of image uploads: the registry gateway next to skopeo, into the same registry.

    python bench/upload.py [--sizes 100,1024] [--runs 1] [--check]

Starts the dev registry (Debian's docker-registry, TLS, htpasswd) and a real JupyterHub
with configurable-http-proxy and the Karvdash hub service, all on 127.0.0.1, in a
temporary folder. For each size (MiB) it writes a ``docker save`` archive of random
(incompressible) layers, then, in the same run:

* **gateway**: announces the upload and sends the archive with ``curl -T`` to
  ``/services/karvdash/api/registry/uploads/<id>`` (through the proxy, as a user's
  token), timed from the announcement to the final answer;
* **skopeo**: ``skopeo copy docker-archive:<file> docker://<registry>/...``, timed.

Both end with the image tagged in the registry. They do not store the same bytes:
skopeo gzip-compresses uncompressed layers before pushing (as ``docker push`` does),
the gateway stores layers as the archive holds them (see docs/registry.md); the stored
sizes are printed. The hub service's peak memory is its ``VmHWM`` (from
``/proc/<pid>/status``) after each size. Prints the figures, then one line per target:
``<metric>: <value> <unit> (target <target>) met|not met``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from karvdash.devcluster.registry import DevRegistry  # noqa: E402
from tests.hubproc import Hub  # noqa: E402
from tests.registry.images import write_docker_archive  # noqa: E402
from tests.registry.registry_hub import USER, start_registry_hub  # noqa: E402

MIB = 1024 * 1024
MEMORY_TARGET_MIB = 150


def layer_sizes(total_mib: int) -> list[int]:
    """Three layers of about half, a third and a sixth of the total."""
    half, third = total_mib * MIB // 2, total_mib * MIB // 3
    return [half, third, total_mib * MIB - half - third - 64 * 1024]


def vm_hwm_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def gateway_upload(hub: Hub, archive: Path, repo: str, tag: str) -> float:
    started = time.perf_counter()
    announced = hub.call(USER, "POST", "/uploads", json={"repository": repo, "tag": tag})
    if announced.status_code != 201:
        raise RuntimeError(f"announce failed: {announced.text}")
    url = f"{hub.registry_api}/uploads/{announced.json()['id']}"
    done = subprocess.run(
        ["curl", "-sS", "--fail-with-body", "-T", str(archive), "-X", "PUT", url,
         "-H", f"Authorization: token {hub.tokens[USER]}", "-H", "Expect:"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or json.loads(done.stdout).get("state") != "done":
        raise RuntimeError(f"gateway upload failed: {done.stdout} {done.stderr}")
    return elapsed


def skopeo_upload(registry: DevRegistry, archive: Path, repo: str, tag: str) -> float:
    home = Path(tempfile.mkdtemp(prefix="skopeo-home-"))
    started = time.perf_counter()
    done = subprocess.run(
        ["skopeo", "copy", "--quiet", "--dest-cert-dir", str(registry.cert_dir),
         "--dest-creds", f"{registry.username}:{registry.password}",
         f"docker-archive:{archive}", f"docker://{registry.host}/{repo}:{tag}"],
        capture_output=True, text=True, check=False,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    subprocess.run(["rm", "-rf", str(home)], check=False)
    if done.returncode != 0:
        raise RuntimeError(f"skopeo failed: {done.stderr}")
    return elapsed


def stored_size(hub: Hub, repo: str, tag: str) -> int:
    return int(hub.call(USER, "GET", f"/repositories/{repo}/tags/{tag}").json()["size"])


def run(sizes: list[int], runs: int, folder: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with (
        DevRegistry(folder / "registry") as registry,
        start_registry_hub(folder / "hub", registry) as hub,
    ):
        pid = hub.service_pid()
        print(f"hub service pid {pid}, VmHWM at start {vm_hwm_mib(pid):.1f} MiB", flush=True)
        for size in sizes:
            gateway, skopeo = [], []
            for i in range(runs):
                # new random layers and new repositories for every run: neither client can
                # find a blob in the registry (skopeo keeps a blob-info cache and would
                # mount or skip blobs it pushed before)
                archive = write_docker_archive(folder / f"image-{size}.tar", layer_sizes(size))
                actual = archive.stat().st_size
                repos = f"bench/gateway{size}-{i}", f"bench/skopeo{size}-{i}"
                for tool in ("gateway", "skopeo") if i % 2 == 0 else ("skopeo", "gateway"):
                    if tool == "gateway":
                        gateway.append(gateway_upload(hub, archive, repos[0], "v1"))
                    else:
                        skopeo.append(skopeo_upload(registry, archive, repos[1], "v1"))
                archive.unlink()
                print(
                    f"  {size} MiB run {i + 1}: gateway {gateway[-1]:.2f} s, "
                    f"skopeo {skopeo[-1]:.2f} s",
                    flush=True,
                )
            results[str(size)] = {
                "archive_bytes": actual,
                "gateway_s": statistics.median(gateway),
                "skopeo_s": statistics.median(skopeo),
                "gateway_stored": stored_size(hub, f"bench/gateway{size}-0", "v1"),
                "skopeo_stored": stored_size(hub, f"bench/skopeo{size}-0", "v1"),
                "peak_mib": vm_hwm_mib(pid),
            }
    return results


def report(results: dict[str, Any], runs: int, check: bool) -> int:
    print()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    print(f"method: median of {runs} run(s); random layers; loopback; TLS registry")
    head = f"{'size':>8} {'gateway s':>10} {'skopeo s':>9} {'ratio':>6} {'MB/s gw':>8} "
    print(head + f"{'stored gw':>10} {'stored sk':>10} {'peak MiB':>9}")
    for size, r in results.items():
        rate = r["archive_bytes"] / r["gateway_s"] / 1e6
        print(
            f"{size + ' MiB':>8} {r['gateway_s']:>10.2f} {r['skopeo_s']:>9.2f} "
            f"{r['gateway_s'] / r['skopeo_s']:>6.2f} {rate:>8.0f} "
            f"{r['gateway_stored'] / MIB:>9.0f}M {r['skopeo_stored'] / MIB:>9.0f}M "
            f"{r['peak_mib']:>9.1f}"
        )
    print(
        "(ratio = gateway time / skopeo time; skopeo gzips layers, the gateway stores them as sent)"
    )
    all_met = True
    for size, r in results.items():
        ratio = r["gateway_s"] / r["skopeo_s"]
        for metric, value, unit, op, target in (
            (f"gateway/skopeo time {size} MiB", ratio, "x", "<=", 1.0),
            (f"gateway peak memory {size} MiB", r["peak_mib"], "MiB", "<", MEMORY_TARGET_MIB),
        ):
            met = value <= target if op == "<=" else value < target
            all_met = all_met and met
            verdict = "met" if met else "not met"
            print(f"{metric}: {value:.2f} {unit} (target {op} {target:g} {unit}) {verdict}")
    return 0 if all_met or not check else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="100,1024", help="archive sizes in MiB (default 100,1024)")
    p.add_argument("--runs", type=int, default=1, help="runs per size (median reported)")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is not met")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    folder = Path(tempfile.mkdtemp(prefix="karvdash-bench-upload-"))
    try:
        results = run(sizes, args.runs, folder)
    finally:
        if not args.keep:
            subprocess.run(["rm", "-rf", str(folder)], check=False)
    return report(results, args.runs, args.check)


if __name__ == "__main__":
    sys.exit(main())
