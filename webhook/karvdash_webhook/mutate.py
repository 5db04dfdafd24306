"""The storage domains of a user, added to a Pod as a JSON Patch built directly.

No copy of the pod is made and no diff is computed: the patch is written from what the
pod lacks, which keeps it minimal and the hot path fast. The rules:

* one ``hostPath`` volume (type ``DirectoryOrCreate``) per storage domain some
  container needs, named ``karvdash-<domain>`` (``-2``, ``-3``... if the pod already
  uses that name for something else); a volume of the pod that already points at the
  same node folder is reused instead;
* a ``volumeMount`` at the domain's mount path (``readOnly`` for read-only domains) in
  every container and init container that has nothing mounted there yet; a container
  that mounts something of its own at that path keeps it;
* ephemeral containers are left alone (they are added later, through a subresource);
* a pod annotated with the opt-out annotation set to ``"true"`` is left alone.

So a second invocation on the patched pod finds nothing missing and returns ``[]``.
"""

from __future__ import annotations

from typing import Any

from .errors import MalformedReview
from .policy import Policy, normalize_path
from .review import JSONPatch

VOLUME_PREFIX = "karvdash-"
CONTAINER_KEYS = ("initContainers", "containers")
"""Where the mounts go; ``ephemeralContainers`` are deliberately absent."""


def opted_out(pod: dict[str, Any], annotation: str) -> bool:
    """True when the pod carries ``annotation: "true"``."""
    metadata = pod.get("metadata")
    if not isinstance(metadata, dict):
        return False
    annotations = metadata.get("annotations")
    return isinstance(annotations, dict) and annotations.get(annotation) == "true"


def _list(parent: dict[str, Any], key: str, where: str) -> list[Any] | None:
    value = parent.get(key)
    if value is None or isinstance(value, list):
        return value
    raise MalformedReview(f"{where}.{key} must be a list")


def _unique_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


class _Container:
    """A container of the pod: where it is and which paths it mounts already."""

    __slots__ = ("additions", "has_mounts", "mounted", "pointer")

    def __init__(self, pointer: str, container: Any, where: str) -> None:
        if not isinstance(container, dict):
            raise MalformedReview(f"{where} must be an object")
        mounts = _list(container, "volumeMounts", where)
        self.pointer = pointer
        self.has_mounts = mounts is not None
        self.mounted = {
            normalize_path(m["mountPath"])
            for m in mounts or ()
            if isinstance(m, dict) and isinstance(m.get("mountPath"), str)
        }
        self.additions: list[dict[str, Any]] = []


def _containers(spec: dict[str, Any]) -> list[_Container]:
    found = []
    for key in CONTAINER_KEYS:
        for i, container in enumerate(_list(spec, key, "pod spec") or ()):
            found.append(_Container(f"/spec/{key}/{i}", container, f"pod spec.{key}[{i}]"))
    return found


def _existing_volumes(volumes: list[Any]) -> tuple[set[str], dict[str, str]]:
    """Names in use, and node folder (normalised) -> name of the pod's hostPath volumes."""
    taken: set[str] = set()
    by_path: dict[str, str] = {}
    for i, volume in enumerate(volumes):
        if not isinstance(volume, dict):
            raise MalformedReview(f"pod spec.volumes[{i}] must be an object")
        name = volume.get("name")
        if not isinstance(name, str):
            continue
        taken.add(name)
        host_path = volume.get("hostPath")
        if isinstance(host_path, dict) and isinstance(host_path.get("path"), str):
            by_path.setdefault(normalize_path(host_path["path"]), name)
    return taken, by_path


def pod_patch(pod: dict[str, Any], slug: str, policy: Policy) -> JSONPatch:
    """The JSON Patch adding user ``slug``'s storage domains to ``pod`` (``[]``: nothing).

    ``pod`` is read, never modified. Raises :class:`MalformedReview` when the pod's
    structure has wrong types (a real API server never sends those).
    """
    if opted_out(pod, policy.opt_out_annotation):
        return []
    spec = pod.get("spec")
    if spec is None:
        return []
    if not isinstance(spec, dict):
        raise MalformedReview("the pod's spec must be an object")
    containers = _containers(spec)
    if not containers:
        return []
    volumes = _list(spec, "volumes", "pod spec")
    taken, by_path = _existing_volumes(volumes or [])

    new_volumes: list[dict[str, Any]] = []
    for domain, path in zip(policy.domains, policy.node_paths(slug), strict=True):
        needing = [c for c in containers if domain.mount_path not in c.mounted]
        if not needing:
            continue
        name = by_path.get(path)
        if name is None:
            name = _unique_name(VOLUME_PREFIX + domain.name, taken)
            taken.add(name)
            by_path[path] = name
            new_volumes.append(
                {"name": name, "hostPath": {"path": path, "type": "DirectoryOrCreate"}}
            )
        mount: dict[str, Any] = {"name": name, "mountPath": domain.mount_path}
        if domain.read_only:
            mount["readOnly"] = True
        for container in needing:
            container.additions.append(mount)

    patch: JSONPatch = []
    if new_volumes:
        if volumes is None:
            patch.append({"op": "add", "path": "/spec/volumes", "value": new_volumes})
        else:
            patch.extend({"op": "add", "path": "/spec/volumes/-", "value": v} for v in new_volumes)
    for container in containers:
        if not container.additions:
            continue
        pointer = container.pointer + "/volumeMounts"
        if not container.has_mounts:
            patch.append({"op": "add", "path": pointer, "value": container.additions})
        else:
            append = pointer + "/-"
            patch.extend({"op": "add", "path": append, "value": m} for m in container.additions)
    return patch
