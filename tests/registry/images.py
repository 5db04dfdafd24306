"""Small real images for the tests, made in Python (layers are tar files we write).

* :func:`layer` - an uncompressed layer tar holding the given files;
* :class:`Image` - layers plus a configuration; :meth:`Image.docker_archive` writes the
  ``docker save`` layout (``<id>/layer.tar``, ``<hex>.json``, ``manifest.json``), with
  ``manifest.json`` first or last and repeated layers as symbolic links, as Docker does;
  :meth:`Image.oci_layout` writes an OCI image layout folder (for skopeo's ``oci:``) and
  :meth:`Image.oci_archive` the same as a tar.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1700000000
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def random_layer(size: int, name: str = "data.bin") -> bytes:
    return layer({name: os.urandom(size)})


def add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


def add_link(tar: tarfile.TarFile, name: str, target: str, hard: bool = False) -> None:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    tar.addfile(info)


@dataclass
class Image:
    layers: list[bytes]
    architecture: str = "amd64"
    os: str = "linux"
    created: str = "2024-05-06T07:08:09Z"
    extra_config: dict[str, Any] = field(default_factory=dict)

    @property
    def diff_ids(self) -> list[str]:
        return [sha256(layer) for layer in self.layers]

    def config(self) -> bytes:
        body = {
            "architecture": self.architecture,
            "os": self.os,
            "created": self.created,
            "config": {"Cmd": ["/bin/sh"]},
            "rootfs": {"type": "layers", "diff_ids": self.diff_ids},
            "history": [{"created_by": f"layer {i}"} for i in range(len(self.layers))],
            **self.extra_config,
        }
        return json.dumps(body).encode()

    def docker_archive(
        self, repo_tag: str = "demo/app:v1", *, manifest_first: bool = False,
        gzip_layers: bool = False,
    ) -> bytes:  # fmt: skip
        """A ``docker save`` archive (legacy layout); repeated layers are symlinks."""
        config = self.config()
        config_name = sha256(config)[7:] + ".json"
        out = io.BytesIO()
        paths: list[str] = []
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            entries = [{"Config": config_name, "RepoTags": [repo_tag], "Layers": paths}]
            seen: dict[str, str] = {}
            members: list[tuple[str, bytes | None, str | None]] = []
            for i, data in enumerate(self.layers):
                layer_id = hashlib.sha256(f"{i}:{sha256(data)}".encode()).hexdigest()
                path = f"{layer_id}/layer.tar"
                paths.append(path)
                members.append((f"{layer_id}/VERSION", b"1.0", None))
                members.append((f"{layer_id}/json", json.dumps({"id": layer_id}).encode(), None))
                digest = sha256(data)
                if digest in seen:
                    members.append((path, None, "../" + seen[digest]))
                else:
                    seen[digest] = path
                    members.append((path, gzip.compress(data) if gzip_layers else data, None))
            manifest = json.dumps(entries).encode()
            if manifest_first:
                add(tar, "manifest.json", manifest)
            for name, data, target in members:
                if target is not None:
                    add_link(tar, name, target)
                else:
                    assert data is not None
                    add(tar, name, data)
            add(tar, config_name, config)
            if not manifest_first:
                add(tar, "manifest.json", manifest)
            add(tar, "repositories", json.dumps({repo_tag.split(":")[0]: {}}).encode())
        return out.getvalue()

    def oci_blobs(self, ref: str = "v1") -> tuple[dict[str, bytes], dict[str, Any]]:
        """The blobs of an OCI layout and its ``index.json``."""
        blobs: dict[str, bytes] = {}
        config = self.config()
        blobs[sha256(config)] = config
        descs = []
        for data in self.layers:
            blobs[sha256(data)] = data
            descs.append(
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256(data),
                 "size": len(data)}
            )  # fmt: skip
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": sha256(config),
                    "size": len(config),
                },
                "layers": descs,
            }
        ).encode()
        blobs[sha256(manifest)] = manifest
        index = {
            "schemaVersion": 2,
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": sha256(manifest),
                    "size": len(manifest),
                    "annotations": {"org.opencontainers.image.ref.name": ref},
                }
            ],
        }
        return blobs, index

    def oci_layout(self, folder: Path, ref: str = "v1") -> Path:
        blobs, index = self.oci_blobs(ref)
        (folder / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        for digest, data in blobs.items():
            (folder / "blobs" / "sha256" / digest[7:]).write_bytes(data)
        (folder / "index.json").write_text(json.dumps(index))
        (folder / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
        return folder

    def oci_archive(self, ref: str = "v1") -> bytes:
        blobs, index = self.oci_blobs(ref)
        return oci_tar(blobs, index)


def oci_tar(blobs: dict[str, bytes], index: dict[str, Any]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        for digest, data in blobs.items():
            add(tar, f"blobs/sha256/{digest[7:]}", data)
        add(tar, "index.json", json.dumps(index).encode())
    return out.getvalue()


def multi_platform(images: dict[str, Image], ref: str = "v1") -> bytes:
    """An OCI archive whose index.json names an image index of several platforms."""
    blobs: dict[str, bytes] = {}
    children = []
    for platform, image in images.items():
        more, index = image.oci_blobs(ref)
        blobs.update(more)
        desc = dict(index["manifests"][0])
        desc.pop("annotations")
        os_name, arch = platform.split("/")
        desc["platform"] = {"os": os_name, "architecture": arch}
        children.append(desc)
    top = json.dumps(
        {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
         "manifests": children}
    ).encode()  # fmt: skip
    blobs[sha256(top)] = top
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.index.v1+json",
                "digest": sha256(top),
                "size": len(top),
                "annotations": {"org.opencontainers.image.ref.name": ref},
            }
        ],
    }
    return oci_tar(blobs, index)


def write_docker_archive(path: Path, layer_sizes: list[int], chunk: int = 1 << 20) -> Path:
    """A ``docker save`` archive of random layers written to ``path`` without holding it.

    Each layer is a tar holding one file of random bytes; layers are written to disk,
    hashed, then put into the archive with the configuration and ``manifest.json``.
    """
    work = path.parent / (path.name + ".layers")
    work.mkdir(parents=True, exist_ok=True)
    layers: list[tuple[Path, str]] = []
    for i, size in enumerate(layer_sizes):
        data_file = work / f"data{i}"
        with data_file.open("wb") as out:
            left = size
            while left:
                out.write(os.urandom(min(chunk, left)))
                left -= min(chunk, left)
        layer_file = work / f"layer{i}.tar"
        with tarfile.open(layer_file, "w", format=tarfile.PAX_FORMAT) as tar:
            tar.add(data_file, arcname=f"data/{i}.bin")
        data_file.unlink()
        digest = hashlib.sha256()
        with layer_file.open("rb") as f:
            while block := f.read(chunk):
                digest.update(block)
        layers.append((layer_file, "sha256:" + digest.hexdigest()))
    config = json.dumps(
        {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
         "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]}}
    ).encode()  # fmt: skip
    config_name = sha256(config)[7:] + ".json"
    names = [f"{d[7:]}/layer.tar" for _, d in layers]
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for (layer_file, _), name in zip(layers, names, strict=True):
            tar.add(layer_file, arcname=name)
            layer_file.unlink()
        add(tar, config_name, config)
        manifest = [{"Config": config_name, "RepoTags": ["bench/app:v1"], "Layers": names}]
        add(tar, "manifest.json", json.dumps(manifest).encode())
    work.rmdir()
    return path
