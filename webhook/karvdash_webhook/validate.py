"""Refusals: what a pod (or a workload's pod template) in a user namespace may not do.

:func:`pod_spec_denials` returns one sentence per problem, naming the container or
volume, what was refused and why; an empty list means allowed. The rules:

* ``hostPath`` volumes only at the user's own storage folders (or below them) and at
  the operator's ``allowed_host_paths``; paths are normalised first; in a user namespace
  whose owner is unknown (:mod:`.ownership`) only at the ``allowed_host_paths``;
* no ``hostNetwork``, ``hostPID``, ``hostIPC`` (``allow_host_namespaces``);
* no ``hostPort`` (``allow_host_ports``);
* no privileged or Windows ``hostProcess`` containers (``allow_privileged``);
* no added capability beyond the Kubernetes "baseline" list (``allowed_capabilities``);
* and the other cheap "baseline" rules, all lifted by ``allow_privileged``: ``procMount``
  other than ``Default``, unsafe sysctls, custom SELinux types, users or roles, and
  ``Unconfined`` seccomp or AppArmor profiles.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import MalformedReview
from .policy import (
    SAFE_SYSCTLS,
    Policy,
    capability_name,
    describe_paths,
    normalize_path,
)

APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
SELINUX_TYPES = frozenset(
    {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
CONTAINER_KINDS = (
    ("initContainers", "init container"),
    ("containers", "container"),
    ("ephemeralContainers", "ephemeral container"),
)
HOST_NAMESPACES = (
    ("hostNetwork", "the node's network (its addresses and every port)"),
    ("hostPID", "the node's processes"),
    ("hostIPC", "the node's shared memory"),
)

# (API group, kind) -> where the pod spec lives in such an object
POD_SPEC_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): ("spec",),
    ("", "EphemeralContainers"): (),  # the alpha subresource object of Kubernetes < 1.22
    ("", "ReplicationController"): ("spec", "template", "spec"),
    ("apps", "Deployment"): ("spec", "template", "spec"),
    ("apps", "StatefulSet"): ("spec", "template", "spec"),
    ("apps", "DaemonSet"): ("spec", "template", "spec"),
    ("apps", "ReplicaSet"): ("spec", "template", "spec"),
    ("batch", "Job"): ("spec", "template", "spec"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}


def _q(value: Any) -> str:
    """A user-supplied name, double-quoted for a sentence."""
    return json.dumps(value if isinstance(value, str) else str(value))


def _obj(parent: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = parent.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedReview(f"{where}.{key} must be an object")
    return value


def _items(parent: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = parent.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise MalformedReview(f"{where}.{key} must be a list of objects")
    return value


def pod_template(
    group: str, kind: str, obj: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``(metadata, spec)`` of the pod (template) in ``obj``; ``None`` for other kinds.

    Both are ``{}`` when absent (the API server's own validation refuses that).
    """
    path = POD_SPEC_PATHS.get((group, kind))
    if path is None:
        return None
    if not path:
        return {}, obj
    node = obj
    for i, step in enumerate(path[:-1]):
        node = _obj(node, step, ".".join((kind, *path[:i])))
    where = ".".join((kind, *path[:-1]))
    return _obj(node, "metadata", where), _obj(node, path[-1], where)


def _outside(allowed: tuple[str, ...], slug: str | None, policy: Policy) -> str:
    """Why a node folder is refused, and what is allowed instead (end of a sentence)."""
    if slug is None:
        extra = (
            f"; pods here may only mount {describe_paths(allowed)} from the node" if allowed else ""
        )
        return (
            "but the owner of this namespace is unknown (its karvdash.io/user label is "
            "missing, invalid or does not match its name), so it has no storage folders"
            f"{extra}. Ask an administrator to restore the label."
        )
    below = (
        "(or folders below them)"
        if policy.allow_host_subpaths
        else "(for a folder below them, mount the storage volume with subPath)"
    )
    return (
        "which is outside your storage folders; pods in user namespaces may only mount "
        f"{describe_paths(allowed)} {below} from the node."
    )


def _host_path_denials(spec: dict[str, Any], slug: str | None, policy: Policy) -> list[str]:
    allowed = policy.host_paths_for(slug)
    denials = []
    for i, volume in enumerate(_items(spec, "volumes", "pod spec")):
        if volume.get("hostPath") is None:
            continue
        host_path = _obj(volume, "hostPath", f"pod spec.volumes[{i}]")
        raw = host_path.get("path")
        if not isinstance(raw, str):
            raise MalformedReview(f"pod spec.volumes[{i}].hostPath.path must be a string")
        name = _q(volume.get("name", f"#{i}"))
        if not raw.startswith("/"):
            denials.append(
                f"Volume {name} mounts the node folder {_q(raw)}, which is not an absolute "
                "path; hostPath volumes must name an absolute path."
            )
            continue
        path = normalize_path(raw)
        if policy.host_path_allowed(path, slug):
            continue
        shown = _q(raw) if path == raw else f"{_q(raw)} (that is, {path})"
        denials.append(
            f"Volume {name} mounts the node folder {shown}, {_outside(allowed, slug, policy)}"
        )
    return denials


def _hardening_denials(sc: dict[str, Any], who: str, where: str) -> list[str]:
    """The cheap "baseline" rules on a (pod or container) securityContext."""
    denials = []
    selinux = _obj(sc, "seLinuxOptions", where)
    selinux_type = selinux.get("type") or ""
    if (
        not isinstance(selinux_type, str)
        or selinux_type not in SELINUX_TYPES
        or selinux.get("user")
        or selinux.get("role")
    ):
        denials.append(
            f"{who} sets a custom SELinux type, user or role, which could lift its confinement; "
            "only the container_t family of types is allowed in user namespaces."
        )
    for key, what in (("seccompProfile", "seccomp"), ("appArmorProfile", "AppArmor")):
        if _obj(sc, key, where).get("type") == "Unconfined":
            denials.append(
                f"{who} asks for an Unconfined {what} profile, which removes a layer of "
                "isolation from the node; unconfined profiles are not allowed in user namespaces."
            )
    return denials


def _container_denials(
    container: dict[str, Any], who: str, where: str, policy: Policy
) -> list[str]:
    denials = []
    sc = _obj(container, "securityContext", where)
    where_sc = where + ".securityContext"
    if not policy.allow_privileged:
        if sc.get("privileged"):
            denials.append(
                f"{who} asks for privileged mode, which would give it the whole node; "
                "privileged containers are not allowed in user namespaces."
            )
        if _obj(sc, "windowsOptions", where_sc).get("hostProcess"):
            denials.append(
                f"{who} asks to be a Windows host process, which would run it on the node "
                "itself; host processes are not allowed in user namespaces."
            )
        if sc.get("procMount") not in (None, "Default"):
            denials.append(
                f"{who} asks for procMount {_q(sc['procMount'])}, which unmasks the node's "
                "/proc; only the Default procMount is allowed in user namespaces."
            )
        denials.extend(_hardening_denials(sc, who, where_sc))
    added = _obj(sc, "capabilities", where_sc).get("add") or []
    if not isinstance(added, list):
        raise MalformedReview(f"{where_sc}.capabilities.add must be a list")
    allowed = policy.capabilities_allowed
    refused = [str(c) for c in added if not isinstance(c, str) or capability_name(c) not in allowed]
    if refused:
        plural = "capability" if len(refused) == 1 else "capabilities"
        denials.append(
            f"{who} adds the {plural} {describe_paths(refused)}, beyond what the Kubernetes "
            "baseline policy allows; containers in user namespaces may only add "
            f"{describe_paths(sorted(allowed))}."
        )
    if not policy.allow_host_ports:
        for j, port in enumerate(_items(container, "ports", where)):
            host_port = port.get("hostPort")
            if host_port not in (None, 0):
                denials.append(
                    f"{who} asks for hostPort {host_port} (ports[{j}]), which would take that "
                    "port on the node itself; host ports are not allowed in user namespaces."
                )
    return denials


def _pod_denials(metadata: dict[str, Any], spec: dict[str, Any], policy: Policy) -> list[str]:
    denials = []
    if not policy.allow_host_namespaces:
        for field, what in HOST_NAMESPACES:
            if spec.get(field):
                denials.append(
                    f"The pod asks for {field}, which would share {what} with it; host "
                    "namespaces are not allowed in user namespaces."
                )
    if policy.allow_privileged:
        return denials
    sc = _obj(spec, "securityContext", "pod spec")
    if _obj(sc, "windowsOptions", "pod spec.securityContext").get("hostProcess"):
        denials.append(
            "The pod asks to run as a Windows host process, which would run it on the node "
            "itself; host processes are not allowed in user namespaces."
        )
    denials.extend(_hardening_denials(sc, "The pod", "pod spec.securityContext"))
    for sysctl in _items(sc, "sysctls", "pod spec.securityContext"):
        name = sysctl.get("name")
        if not isinstance(name, str) or name not in SAFE_SYSCTLS:
            denials.append(
                f"The pod sets the sysctl {_q(name)}, which is not namespaced "
                "safely and could affect the node; only the baseline's safe sysctls are "
                "allowed in user namespaces."
            )
    annotations = _obj(metadata, "annotations", "pod metadata")
    for key, value in annotations.items():
        if key.startswith(APPARMOR_PREFIX) and not (
            value == "runtime/default"
            or (isinstance(value, str) and value.startswith("localhost/"))
        ):
            denials.append(
                f"Container {_q(key[len(APPARMOR_PREFIX) :])} asks for the AppArmor profile "
                f"{_q(value)} by annotation, which lifts its confinement; only runtime/default "
                "and localhost/ profiles are allowed in user namespaces."
            )
    return denials


def pod_spec_denials(
    metadata: dict[str, Any], spec: dict[str, Any], slug: str | None, policy: Policy
) -> list[str]:
    """Every reason to refuse this pod (template) of user ``slug``; ``[]`` if allowed.

    ``slug`` is ``None`` in a user namespace whose owner is unknown: no storage folders.
    """
    denials = _pod_denials(metadata, spec, policy)
    denials.extend(_host_path_denials(spec, slug, policy))
    for key, label in CONTAINER_KINDS:
        for i, container in enumerate(_items(spec, key, "pod spec")):
            who = f"{label.capitalize()} {_q(container.get('name', f'#{i}'))}"
            denials.extend(_container_denials(container, who, f"pod spec.{key}[{i}]", policy))
    return denials
