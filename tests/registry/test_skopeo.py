"""skopeo, an independent registry client, agrees with the gateway both ways."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

from karvdash.devcluster.registry import DevRegistry
from karvdash.registry import RegistryGateway

from .helpers import skopeo, skopeo_inspect_raw, upload
from .images import Image, layer, random_layer, sha256

IMAGE = Image([layer({"etc/os-release": b"ID=test\n"}), random_layer(200_000)])


def creds(registry: DevRegistry) -> str:
    return f"{registry.username}:{registry.password}"


async def test_an_uploaded_image_is_inspected_and_copied_back_by_skopeo(
    gateway: RegistryGateway, registry: DevRegistry, repo: str, tmp_path: Path
) -> None:
    result = await upload(gateway, IMAGE.docker_archive(), repo)
    raw = skopeo_inspect_raw(registry, f"{repo}:v1")
    assert [x["digest"] for x in raw["layers"]] == IMAGE.diff_ids  # stored as they came
    assert raw["config"]["digest"] == sha256(IMAGE.config())
    inspected = json.loads(
        skopeo(
            "inspect", "--cert-dir", str(registry.cert_dir), "--creds",
            creds(registry), f"docker://{registry.host}/{repo}:v1",
        )
    )  # fmt: skip
    assert inspected["Digest"] == result.digest
    assert inspected["Architecture"] == "amd64"
    back = tmp_path / "back.tar"
    skopeo(
        "copy", "--src-cert-dir", str(registry.cert_dir), "--src-creds",
        creds(registry), f"docker://{registry.host}/{repo}:v1", f"docker-archive:{back}",
    )  # fmt: skip
    with tarfile.open(back) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        manifest = json.loads(member.read())[0]
        layers = []
        for path in manifest["Layers"]:
            data = tar.extractfile(path)
            assert data is not None
            layers.append(sha256(data.read()))
    assert layers == IMAGE.diff_ids


async def test_archives_written_by_skopeo_upload_through_the_gateway(
    gateway: RegistryGateway, registry: DevRegistry, repo: str, tmp_path: Path
) -> None:
    layout = IMAGE.oci_layout(tmp_path / "layout")
    for transport in ("docker-archive", "oci-archive"):
        archive = tmp_path / f"{transport}.tar"
        reference = f"{archive}:demo/app:v1" if transport == "docker-archive" else f"{archive}:v1"
        skopeo("copy", f"oci:{layout}:v1", f"{transport}:{reference}")
        result = await upload(gateway, archive.read_bytes(), repo, transport)
        assert result.state == "done"
        raw = skopeo_inspect_raw(registry, f"{repo}:{transport}")
        assert len(raw["layers"]) == 2
        details = await gateway.details(repo, transport)
        assert details["layers"] == 2
        assert details["architecture"] == "amd64"
