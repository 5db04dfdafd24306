"""What the webhook enforces, read once from the Karvdash settings.

:class:`Policy` is an immutable snapshot of the settings the webhook needs, so the hot
path never touches traitlets. Build it with :meth:`Policy.from_settings`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from karvdash.settings import Karvdash, StorageDomain

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""Capabilities the Kubernetes "baseline" Pod Security Standard lets containers add."""

SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
"""Sysctls the "baseline" Pod Security Standard allows (the namespaced, safe set)."""


def normalize_path(path: str) -> str:
    """``path`` with ``.``, ``..``, repeated and trailing slashes resolved lexically.

    ``/mnt/local/alice/../bob/`` -> ``/mnt/local/bob``; ``..`` never climbs above ``/``.
    Symbolic links on the node are not (cannot be) resolved here.
    """
    if path[:1] == "/" and path[-1:] != "/" and "//" not in path and "/." not in path:
        return path  # already normal: the common case, kept cheap
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/" + "/".join(parts)


def is_within(path: str, root: str) -> bool:
    """True when normalised ``path`` is ``root`` or below it (``/a/bc`` is not below ``/a/b``)."""
    return path == root or root == "/" or path.startswith(root + "/")


def capability_name(raw: str) -> str:
    """A capability as the baseline list spells it: ``cap_sys_admin`` -> ``SYS_ADMIN``."""
    name = raw.strip().upper()
    return name[4:] if name.startswith("CAP_") else name


@dataclass(frozen=True)
class Policy:
    """The settings the webhook enforces (see :class:`karvdash.settings.Karvdash`).

    ``ingress_auth_url`` and ``ingress_signin_url`` make it an
    :class:`karvdash.templates.ingress.IngressSettings`: the template engine's builder
    gives the annotations every Ingress in a user namespace must carry (empty: none can
    pass). ``ingress_class`` empty: Ingresses may name any class.
    """

    domains: tuple[StorageDomain, ...]
    allowed_host_paths: tuple[str, ...] = ()
    allowed_capabilities: frozenset[str] = frozenset()
    allow_privileged: bool = False
    allow_host_namespaces: bool = False
    allow_host_ports: bool = False
    allow_host_subpaths: bool = False
    opt_out_annotation: str = "karvdash.io/no-storage"
    namespace_prefix: str = "karvdash-"
    namespace_managers: frozenset[str] = frozenset()
    ingress_domain: str = "karvdash.localtest.me"
    ingress_auth_url: str = ""
    ingress_signin_url: str = ""
    ingress_class: str = ""
    _node_paths: dict[str, tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    @classmethod
    def from_settings(cls, settings: Karvdash) -> Policy:
        """Snapshot ``settings`` (normalising paths and capability names)."""
        return cls(
            domains=tuple(settings.domains),
            allowed_host_paths=tuple(normalize_path(p) for p in settings.allowed_host_paths),
            allowed_capabilities=frozenset(
                capability_name(c) for c in settings.allowed_capabilities
            ),
            allow_privileged=settings.allow_privileged,
            allow_host_namespaces=settings.allow_host_namespaces,
            allow_host_ports=settings.allow_host_ports,
            allow_host_subpaths=settings.allow_host_subpaths,
            opt_out_annotation=settings.storage_opt_out_annotation,
            namespace_prefix=settings.namespace_prefix,
            namespace_managers=frozenset(settings.namespace_managers),
            ingress_domain=settings.ingress_domain.lower().strip("."),
            ingress_auth_url=settings.ingress_auth_url,
            ingress_signin_url=settings.ingress_signin_url,
            ingress_class=settings.ingress_class,
        )

    def node_paths(self, slug: str) -> tuple[str, ...]:
        """The node folder of each domain for user ``slug``, in domain order (cached)."""
        paths = self._node_paths.get(slug)
        if paths is None:
            if len(self._node_paths) > 10_000:
                self._node_paths.clear()
            paths = tuple(normalize_path(d.host_path_for(slug)) for d in self.domains)
            self._node_paths[slug] = paths
        return paths

    def host_paths_for(self, slug: str | None) -> tuple[str, ...]:
        """Node folders (normalised) a pod of user ``slug`` may mount (``None``: a user
        namespace whose owner is unknown, which has no storage folders)."""
        own = self.node_paths(slug) if slug is not None else ()
        return tuple(dict.fromkeys([*own, *self.allowed_host_paths]))

    def host_path_allowed(self, path: str, slug: str | None) -> bool:
        """May a pod of user ``slug`` (``None``: unknown) mount the (normalised) ``path``?

        The user's own domain folders exactly (or below them, with ``allow_host_subpaths``:
        the node follows symbolic links the user may have planted there), and the
        operator's ``allowed_host_paths`` and everything below them.
        """
        for root in self.node_paths(slug) if slug is not None else ():
            if path == root or (self.allow_host_subpaths and is_within(path, root)):
                return True
        return any(is_within(path, root) for root in self.allowed_host_paths)

    @cached_property
    def capabilities_allowed(self) -> frozenset[str]:
        """Capabilities a container may add: the baseline ones and the configured extras."""
        return BASELINE_CAPABILITIES | self.allowed_capabilities


def describe_paths(paths: Iterable[str]) -> str:
    """``/a, /b and /c``: a list of paths for a sentence."""
    items = list(paths)
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]
