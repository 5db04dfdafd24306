"""What the admin pages show, built from what the hub, the cluster and the disks say (pure).

:func:`user_rows` joins the hub's users, the authenticator's sign-ups, the namespace
summaries (:mod:`karvdash.admin.overview`) and the folder sizes into one
:class:`UserRow` per person; the handlers in :mod:`.admin` only fetch and render.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from karvdash.admin import FolderUsage, NamespaceSummary, human_bytes
from karvdash.naming import namespace_for, user_slug
from karvdash.settings import StorageDomain


@dataclass(frozen=True)
class Folder:
    """One data folder of a user and what it holds (``usage`` None: still counting)."""

    domain: str
    path: str
    usage: FolderUsage | None

    @property
    def text(self) -> str:
        usage = self.usage
        if usage is None:
            return "counting…"
        if not usage.exists:
            return "not visible to the hub"
        if usage.error:
            return f"unreadable ({usage.error})"
        size = human_bytes(usage.bytes)
        return size if usage.complete else f"at least {size} (still counting)"


@dataclass(frozen=True)
class UserRow:
    """A person on the admin page."""

    name: str
    hub_user: bool
    """A user of the hub (someone waiting for approval is not, until they log in)."""
    admin: bool = False
    approval: str | None = None
    """``authorized``, ``waiting``, or None when the authenticator has no approvals."""
    email: str = ""
    server: str = "none"
    """``running``, ``starting``, ``stopping``, ``stopped`` or ``none`` (never started)."""
    server_url: str | None = None
    named_servers: tuple[tuple[str, str, str | None], ...] = ()
    """The user's named servers (``allow_named_servers``): (name, state, URL), by name."""
    last_activity: str | None = None
    namespace_name: str = ""
    namespace: NamespaceSummary | None = None
    folders: tuple[Folder, ...] = field(default_factory=tuple)


def named_servers(model: Mapping[str, Any]) -> tuple[tuple[str, str, str | None], ...]:
    """(name, state, URL) of each named server in a hub user model, by name."""
    servers = model.get("servers") or {}
    return tuple((str(name), *server_state(model, str(name))) for name in sorted(servers) if name)


def server_state(model: Mapping[str, Any], name: str = "") -> tuple[str, str | None]:
    """The state and URL of a server (the default one: ``""``) from a hub user model."""
    server = (model.get("servers") or {}).get(name)
    if not server:
        return "none", None
    if server.get("pending") == "stop":
        return "stopping", None
    if server.get("pending"):
        return "starting", None
    if server.get("ready"):
        return "running", str(server.get("url") or "") or None
    if server.get("stopped") or not server.get("started"):
        return "stopped", None
    return "stopped", None


def user_folders(
    username: str, domains: Sequence[StorageDomain], sizes: Mapping[str, FolderUsage | None]
) -> tuple[Folder, ...]:
    """The user's own (per-user) data folders, as the webhook mounts them."""
    slug = user_slug(username)
    return tuple(
        Folder(d.name, path, sizes.get(path))
        for d in domains
        if d.per_user
        for path in [d.host_path_for(slug)]
    )


def folder_paths(usernames: Iterable[str], domains: Sequence[StorageDomain]) -> list[str]:
    return [d.host_path_for(user_slug(u)) for u in usernames for d in domains if d.per_user]


def user_rows(
    hub_users: Iterable[Mapping[str, Any]],
    signups: Iterable[Mapping[str, Any]] | None,
    namespaces: Mapping[str, NamespaceSummary],
    domains: Sequence[StorageDomain],
    sizes: Mapping[str, FolderUsage | None],
    *,
    prefix: str = "karvdash-",
) -> list[UserRow]:
    """One row per hub user and per sign-up that is not a hub user yet, by name."""
    approvals = {str(s["name"]): s for s in signups or []}
    rows: dict[str, UserRow] = {}
    for model in hub_users:
        name = str(model["name"])
        state, url = server_state(model)
        signup = approvals.get(name)
        rows[name] = _row(
            name,
            True,
            namespaces,
            domains,
            sizes,
            prefix,
            admin=bool(model.get("admin")),
            approval=_approval(signup, signups is not None),
            email=str((signup or {}).get("email") or ""),
            server=state,
            server_url=url,
            named_servers=named_servers(model),
            last_activity=model.get("last_activity"),
        )
    for name, signup in approvals.items():
        if name not in rows:
            rows[name] = _row(
                name,
                False,
                namespaces,
                domains,
                sizes,
                prefix,
                approval=_approval(signup, True),
                email=str(signup.get("email") or ""),
            )
    return [rows[n] for n in sorted(rows)]


def _approval(signup: Mapping[str, Any] | None, kept: bool) -> str | None:
    if not kept:
        return None
    if signup is None:
        return "not signed up"  # e.g. added by an admin in the hub's own page
    return "authorized" if signup.get("authorized") else "waiting"


def _row(
    name: str,
    hub_user: bool,
    namespaces: Mapping[str, NamespaceSummary],
    domains: Sequence[StorageDomain],
    sizes: Mapping[str, FolderUsage | None],
    prefix: str,
    **fields: Any,
) -> UserRow:
    try:
        slug, namespace_name = user_slug(name), namespace_for(name, prefix)
    except ValueError:
        slug, namespace_name = "", ""
    return UserRow(
        name=name,
        hub_user=hub_user,
        namespace_name=namespace_name,
        namespace=namespaces.get(slug) if slug else None,
        folders=user_folders(name, domains, sizes) if slug else (),
        **fields,
    )
