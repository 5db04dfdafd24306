"""Helpers of the registry tests: feed an archive to the gateway as a client would."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

from karvdash.devcluster.registry import DevRegistry
from karvdash.registry import BytePipe, RegistryGateway, UploadProgress
from karvdash.registry import mediatypes as mt

from .images import sha256


async def feed(pipe: BytePipe, data: bytes, chunk: int = 65536) -> None:
    try:
        for start in range(0, len(data), chunk):
            await pipe.feed(data[start : start + chunk])
    except Exception:
        return  # the reader failed: the upload reports why
    pipe.finish()


async def push_tiny(gateway: RegistryGateway, repo: str, tag: str, note: str = "") -> str:
    """Push a minimal image (a configuration, one small layer) straight to the registry."""
    config = json.dumps(
        {"architecture": "arm64", "os": "linux", "created": "2023-01-01T00:00:00Z",
         "rootfs": {"type": "layers", "diff_ids": []}, "note": note or repo + tag}
    ).encode()  # fmt: skip
    client = gateway.client
    await client.push_blob(repo, config, sha256(config))
    body = json.dumps(
        {"schemaVersion": 2, "mediaType": mt.DOCKER_MANIFEST,
         "config": {"mediaType": mt.DOCKER_CONFIG, "size": len(config),
                    "digest": sha256(config)},
         "layers": []}
    ).encode()  # fmt: skip
    return await client.put_manifest(repo, tag, mt.DOCKER_MANIFEST, body)


async def upload(
    gateway: RegistryGateway, data: bytes, repo: str, tag: str = "v1", **kwargs: Any
) -> UploadProgress:
    """Upload ``data`` (an archive) through the gateway, fed in 64 KiB pieces."""
    pipe = BytePipe(limit=256 * 1024)
    result, _ = await asyncio.gather(gateway.upload(pipe, repo, tag, **kwargs), feed(pipe, data))
    return result


def skopeo(*args: str) -> str:
    """Run skopeo; its output."""
    done = subprocess.run(
        ["skopeo", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def skopeo_inspect_raw(registry: DevRegistry, ref: str) -> dict[str, Any]:
    creds = f"{registry.username}:{registry.password}"
    out = skopeo(
        "inspect", "--raw", "--cert-dir", str(registry.cert_dir), "--creds", creds,
        f"docker://{registry.host}/{ref}",
    )  # fmt: skip
    data = json.loads(out)
    assert isinstance(data, dict)
    return data
