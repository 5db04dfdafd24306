"""Who may label a namespace: the ``karvdash.io/`` labels and annotations are Karvdash's.

A user is admin of their own namespace through a RoleBinding, and RBAC lets such a
binding patch, update (also through ``namespaces/status`` and ``namespaces/finalize``)
and delete the Namespace object itself. Without this guard a user could remove the
``karvdash.io/user`` label of their namespace or set it to somebody else's slug, and with
it choose which folders of the node their pods get.

:func:`namespace_denial` is pure: it compares the ``karvdash.io/`` keys of the old and new
Namespace and refuses any difference (added, removed or changed) unless the requester is a
*namespace manager*: in the group ``system:masters``, or one of the ``namespace_managers``
user names. Deleting a namespace is never refused.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from .errors import MalformedReview
from .review import AdmissionRequest

GUARDED_PREFIX = "karvdash.io/"
MASTERS_GROUP = "system:masters"
FIELDS = (("labels", "label"), ("annotations", "annotation"))


def _guarded(obj: dict[str, Any] | None, field: str, where: str) -> dict[str, Any]:
    """The ``karvdash.io/`` entries of ``obj.metadata.<field>``."""
    if obj is None:
        return {}
    metadata = obj.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise MalformedReview(f"{where}.metadata must be an object")
    values = metadata.get(field)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise MalformedReview(f"{where}.metadata.{field} must be an object")
    return {k: v for k, v in values.items() if k.startswith(GUARDED_PREFIX)}


def guarded_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """What an operation does to the ``karvdash.io/`` keys, one phrase each (sorted)."""
    changes = []
    for field, noun in FIELDS:
        before = _guarded(old, field, "request.oldObject")
        after = _guarded(new, field, "request.object")
        for key in sorted(before.keys() | after.keys()):
            name = json.dumps(key)
            if key not in after:
                changes.append(f"remove the {noun} {name}")
            elif key not in before:
                changes.append(f"set the {noun} {name}")
            elif before[key] != after[key]:
                changes.append(f"change the {noun} {name}")
    return changes


def requester(request: AdmissionRequest) -> tuple[str, list[str]]:
    """``(username, groups)`` of the request (empty when the API server sent none)."""
    info = request.get("userInfo")
    if info is None:
        return "", []
    if not isinstance(info, dict):
        raise MalformedReview("request.userInfo must be an object")
    username = info.get("username", "")
    groups = info.get("groups") or []
    if not isinstance(username, str):
        raise MalformedReview("request.userInfo.username must be a string")
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise MalformedReview("request.userInfo.groups must be a list of strings")
    return username, groups


def is_manager(username: str, groups: Collection[str], managers: Collection[str]) -> bool:
    """May this requester set and change the ``karvdash.io/`` keys of namespaces?"""
    return MASTERS_GROUP in groups or (bool(username) and username in managers)


def _join(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return ", ".join(phrases[:-1]) + " or " + phrases[-1]


def namespace_denial(request: AdmissionRequest, managers: Collection[str]) -> str | None:
    """Why this Namespace review must be refused; ``None`` to allow it.

    CREATE and UPDATE (also of the ``status`` and ``finalize`` subresources) are checked;
    anything else is allowed. Raises :class:`MalformedReview` for a review it cannot read.
    """
    operation = request["operation"]
    gvk = request["kind"]
    if operation not in ("CREATE", "UPDATE") or gvk["group"] != "" or gvk["kind"] != "Namespace":
        return None
    new = request.get("object")
    old = request.get("oldObject")
    if new is None:
        raise MalformedReview("request.object is missing")
    if operation == "UPDATE" and old is None:
        raise MalformedReview("request.oldObject is missing for an UPDATE")
    changes = guarded_changes(old if operation == "UPDATE" else None, new)
    if not changes:
        return None
    username, groups = requester(request)
    if is_manager(username, groups, managers):
        return None
    who = json.dumps(username) if username else "An anonymous user"
    name = request.get("name") or (new.get("metadata") or {}).get("name") or ""
    return (
        f"{who} may not {_join(changes)} of namespace {json.dumps(name)}: the "
        f"{GUARDED_PREFIX} labels and annotations say whose namespace it is, and so which "
        "folders of the node its pods get; only Karvdash and cluster administrators may set "
        "or change them. Other labels and annotations are yours to change."
    )
