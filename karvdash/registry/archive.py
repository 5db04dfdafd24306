"""What an image archive holds, and the manifests to push for it (pure, no I/O).

Two layouts are understood, both as ``docker save``, ``skopeo copy`` and ``buildah``
write them:

* **OCI image layout** (``oci-layout``, ``index.json``, ``blobs/<alg>/<hex>``; also what
  Docker 25+ ``docker save`` writes): blobs and manifests are pushed unchanged, so the
  image keeps its digest. ``index.json`` may name several images: the one whose
  ``org.opencontainers.image.ref.name`` (or ``io.containerd.image.name``) matches the tag
  is taken, or the only one. An image index (multi-platform) is pushed with its children.
* **Docker archive** (``manifest.json`` with ``Config``/``Layers`` paths, as older
  ``docker save`` and ``skopeo copy docker-archive:`` write): a Docker schema 2 manifest
  is made for the layers as they are in the archive (uncompressed tar, or gzip).

Every blob's digest is computed as it streams by (see :mod:`.upload`); here they are
checked against what the archive claims: the file name of an OCI blob, the size and
digest in each descriptor, and each layer's ``diff_id`` in the image configuration.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from . import mediatypes as mt
from .errors import ArchiveError

METADATA = frozenset({"manifest.json", "index.json", "oci-layout", "repositories"})
"""Top-level files that describe the archive (kept in memory, never pushed)."""

MAX_METADATA = 4 * 1024 * 1024
MAX_JSON_BLOB = 4 * 1024 * 1024
"""JSON members up to this size (configurations, manifests) are kept in memory."""

_OCI_BLOB = re.compile(r"blobs/(sha256|sha512)/([a-f0-9]+)")
_LEGACY_EXTRA = re.compile(r"[a-f0-9]{64}/(json|VERSION)")
_HEX_NAME = re.compile(r"(?:.*/)?([a-f0-9]{64})(?:\.json)?")
MAX_LINK_DEPTH = 16


def claimed_digest(path: str) -> str | None:
    """The digest an OCI layout's blob path names (``blobs/sha256/<hex>``), if any."""
    match = _OCI_BLOB.fullmatch(path)
    return f"{match.group(1)}:{match.group(2)}" if match else None


def skipped(path: str) -> bool:
    """Members of the legacy Docker layout that nothing needs (``<id>/json``, ``<id>/VERSION``)."""
    return bool(_LEGACY_EXTRA.fullmatch(path))


def sniff(head: bytes) -> str:
    """What a blob's first bytes look like: ``tar``, ``gzip``, ``zstd``, ``json`` or ``data``."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] == b"\x28\xb5\x2f\xfd":
        return "zstd"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    if len(head) >= 1024 and head[:1024] == bytes(1024):
        return "tar"  # an empty layer: only the end-of-archive marker
    return "data"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Blob:
    """One file of the archive as it went by: digest, size, and data if it was kept."""

    path: str
    digest: str
    size: int
    kind: str
    diff_id: str | None = None
    data: bytes | None = None
    pushed: bool = False


@dataclass
class ArchiveContents:
    """Everything learnt from one pass over the archive."""

    blobs: dict[str, Blob] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    metadata: dict[str, bytes] = field(default_factory=dict)

    def resolve(self, path: str, what: str) -> Blob:
        """The blob at ``path``, following links inside the archive."""
        seen = 0
        while path in self.links:
            path = self.links[path]
            seen += 1
            if seen > MAX_LINK_DEPTH:
                raise ArchiveError(f"{what} {path!r} is a loop of links")
        blob = self.blobs.get(path)
        if blob is None:
            raise ArchiveError(f"the archive lacks {what} {path!r}")
        return blob

    def by_digest(self, digest: str, what: str) -> Blob:
        path = "blobs/" + digest.replace(":", "/", 1)
        if path in self.blobs or path in self.links:
            return self.resolve(path, what)
        for blob in self.blobs.values():
            if blob.digest == digest:
                return blob
        raise ArchiveError(f"the archive lacks {what} {digest}")


@dataclass(frozen=True)
class ManifestPush:
    """A manifest to store: by digest (children of an index) or under the tag (last)."""

    reference: str
    media_type: str
    body: bytes
    digest: str


@dataclass
class Plan:
    """What to push once the archive has streamed by, in this order."""

    blobs: list[Blob]
    manifests: list[ManifestPush]
    layout: str

    @property
    def digest(self) -> str:
        return self.manifests[-1].digest


def _json(data: bytes | None, what: str) -> Any:
    if data is None:
        raise ArchiveError(f"{what} is too large or not JSON")
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArchiveError(f"{what} is not valid JSON: {exc}") from exc


def plan(contents: ArchiveContents, tag: str) -> Plan:
    """The blobs and manifests to push for the archive's image (see the module docstring)."""
    if "index.json" in contents.metadata:
        return _plan_oci(contents, tag)
    if "manifest.json" in contents.metadata:
        return _plan_docker(contents, tag)
    raise ArchiveError(
        "the archive has no manifest.json or index.json: it is not a `docker save` "
        "or OCI image archive"
    )


# --- OCI image layout ---------------------------------------------------------------------


def _choose(descriptors: list[Any], tag: str) -> dict[str, Any]:
    if not descriptors or not all(isinstance(d, dict) for d in descriptors):
        raise ArchiveError("index.json names no image")
    if len(descriptors) == 1:
        return dict(descriptors[0])
    names: list[str] = []
    for desc in descriptors:
        notes = desc.get("annotations") or {}
        ref = str(notes.get("org.opencontainers.image.ref.name", ""))
        full = str(notes.get("io.containerd.image.name", ""))
        names.append(full or ref or str(desc.get("digest")))
        if tag in (ref, full.rpartition(":")[2]):
            return dict(desc)
    raise ArchiveError(
        f"the archive holds {len(descriptors)} images ({', '.join(names)}) and none is "
        f"tagged {tag!r}: upload them one at a time or use one of these tags"
    )


def _descriptor(desc: Any, what: str) -> tuple[str, int, str]:
    if not isinstance(desc, dict):
        raise ArchiveError(f"{what} is not a descriptor")
    digest, size = desc.get("digest"), desc.get("size")
    if not isinstance(digest, str) or not isinstance(size, int):
        raise ArchiveError(f"{what} lacks a digest or size")
    return digest, size, str(desc.get("mediaType") or "")


def _referenced(contents: ArchiveContents, desc: Any, what: str) -> Blob:
    digest, size, _ = _descriptor(desc, what)
    blob = contents.by_digest(digest, what)
    if blob.digest != digest:
        raise ArchiveError(
            f"digest mismatch: {what} should be {digest}, the archive has {blob.digest}"
        )
    if blob.size != size:
        raise ArchiveError(
            f"size mismatch: {what} {digest} should be {size} bytes, not {blob.size}"
        )
    return blob


def _plan_oci(contents: ArchiveContents, tag: str) -> Plan:
    index = _json(contents.metadata["index.json"], "index.json")
    if not isinstance(index, dict):
        raise ArchiveError("index.json is not an OCI image index")
    top = _choose(list(index.get("manifests") or []), tag)
    blobs: dict[str, Blob] = {}
    manifests: list[ManifestPush] = []

    def visit(desc: dict[str, Any], reference: str | None, what: str, depth: int) -> None:
        if depth > 4:
            raise ArchiveError("image indexes nest too deeply")
        blob = _referenced(contents, desc, what)
        body = _json(blob.data, f"{what} {blob.digest}")
        if not isinstance(body, dict):
            raise ArchiveError(f"{what} {blob.digest} is not a JSON object")
        media_type = str(body.get("mediaType") or desc.get("mediaType") or "")
        if media_type in mt.INDEXES or (not media_type and "manifests" in body):
            media_type = media_type or mt.OCI_INDEX
            for i, child in enumerate(body.get("manifests") or []):
                visit(child, None, f"manifest {i + 1} of index", depth + 1)
        elif media_type in mt.IMAGE_MANIFESTS or (not media_type and "config" in body):
            media_type = media_type or mt.OCI_MANIFEST
            config = _referenced(contents, body.get("config"), f"the configuration of {what}")
            blobs[config.digest] = config
            for i, layer in enumerate(body.get("layers") or []):
                found = _referenced(contents, layer, f"layer {i + 1} of {what}")
                blobs[found.digest] = found
        else:
            raise ArchiveError(f"{what} {blob.digest} has unsupported type {media_type!r}")
        assert blob.data is not None
        manifests.append(ManifestPush(reference or blob.digest, media_type, blob.data, blob.digest))

    visit(top, tag, "the image manifest", 0)
    return Plan([b for b in blobs.values() if not b.pushed], manifests, "oci")


# --- Docker archive -----------------------------------------------------------------------


def _choose_entry(entries: Any, tag: str) -> dict[str, Any]:
    if (
        not isinstance(entries, list)
        or not entries
        or not all(isinstance(e, dict) for e in entries)
    ):
        raise ArchiveError("manifest.json lists no image")
    if len(entries) == 1:
        return dict(entries[0])
    names: list[str] = []
    for entry in entries:
        tags = [str(t) for t in entry.get("RepoTags") or []]
        names.extend(tags or [str(entry.get("Config"))])
        if any(t.rpartition(":")[2] == tag for t in tags):
            return dict(entry)
    raise ArchiveError(
        f"the archive holds {len(entries)} images ({', '.join(names)}) and none is tagged "
        f"{tag!r}: upload them one at a time or use one of these tags"
    )


def _plan_docker(contents: ArchiveContents, tag: str) -> Plan:
    entry = _choose_entry(_json(contents.metadata["manifest.json"], "manifest.json"), tag)
    config_path, layer_paths = entry.get("Config"), entry.get("Layers")
    if not isinstance(config_path, str) or not isinstance(layer_paths, list):
        raise ArchiveError("manifest.json lacks Config or Layers")
    config = contents.resolve(config_path, "the image configuration")
    named = claimed_digest(config_path) or _hex_digest(config_path)
    if named and named != config.digest:
        raise ArchiveError(
            f"digest mismatch: the image configuration {config_path!r} has digest {config.digest}"
        )
    body = _json(config.data, f"the image configuration {config_path!r}")
    diff_ids = (body.get("rootfs") or {}).get("diff_ids") if isinstance(body, dict) else None
    if not isinstance(diff_ids, list) or len(diff_ids) != len(layer_paths):
        raise ArchiveError(
            f"the image configuration lists {len(diff_ids or [])} layers, manifest.json "
            f"{len(layer_paths)}"
        )
    layers: list[dict[str, Any]] = []
    blobs: dict[str, Blob] = {config.digest: config}
    for i, (path, diff_id) in enumerate(zip(layer_paths, diff_ids, strict=True)):
        blob = contents.resolve(str(path), f"layer {i + 1}")
        if blob.kind not in ("tar", "gzip"):
            raise ArchiveError(
                f"layer {i + 1} ({path}) is {blob.kind}, not a tar or gzip-compressed tar"
            )
        if blob.diff_id != diff_id:
            raise ArchiveError(
                f"digest mismatch: layer {i + 1} ({path}) has content {blob.diff_id}, the image "
                f"configuration expects {diff_id}"
            )
        media = mt.DOCKER_LAYER if blob.kind == "tar" else mt.DOCKER_LAYER_GZIP
        layers.append({"mediaType": media, "size": blob.size, "digest": blob.digest})
        blobs[blob.digest] = blob
    manifest = {
        "schemaVersion": 2,
        "mediaType": mt.DOCKER_MANIFEST,
        "config": {"mediaType": mt.DOCKER_CONFIG, "size": config.size, "digest": config.digest},
        "layers": layers,
    }
    data = json.dumps(manifest, indent=3).encode()
    push = ManifestPush(tag, mt.DOCKER_MANIFEST, data, sha256(data))
    return Plan([b for b in blobs.values() if not b.pushed], [push], "docker")


def _hex_digest(path: str) -> str | None:
    match = _HEX_NAME.fullmatch(path)
    return f"sha256:{match.group(1)}" if match and path.endswith(".json") else None
