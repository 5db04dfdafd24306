"""Helpers of the registry tests: feed an archive to the gateway as a client would."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

from karvdash.devcluster.registry import DevRegistry
from karvdash.registry import BytePipe, RegistryGateway, UploadProgress


async def feed(pipe: BytePipe, data: bytes, chunk: int = 65536) -> None:
    try:
        for start in range(0, len(data), chunk):
            await pipe.feed(data[start : start + chunk])
    except Exception:
        return  # the reader failed: the upload reports why
    pipe.finish()


async def upload(
    gateway: RegistryGateway, data: bytes, repo: str, tag: str = "v1", **kwargs: Any
) -> UploadProgress:
    """Upload ``data`` (an archive) through the gateway, fed in 64 KiB pieces."""
    pipe = BytePipe(limit=256 * 1024)
    result, _ = await asyncio.gather(gateway.upload(pipe, repo, tag, **kwargs), feed(pipe, data))
    return result


def skopeo(registry: DevRegistry, *args: str) -> str:
    """Run skopeo with the dev registry's CA and credentials; its output."""
    creds = f"{registry.username}:{registry.password}"
    done = subprocess.run(
        ["skopeo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin", "SKOPEO_CREDS": creds},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def skopeo_inspect_raw(registry: DevRegistry, ref: str) -> dict[str, Any]:
    creds = f"{registry.username}:{registry.password}"
    out = skopeo(
        registry, "inspect", "--raw", "--cert-dir", str(registry.cert_dir), "--creds", creds,
        f"docker://{registry.host}/{ref}",
    )  # fmt: skip
    data = json.loads(out)
    assert isinstance(data, dict)
    return data
