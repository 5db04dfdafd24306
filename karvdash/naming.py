"""Naming rules: user names to DNS-safe slugs and namespaces, and back.

A user's *slug* is used wherever Kubernetes or DNS needs the name: the namespace
(``<prefix><slug>``), the ``karvdash.io/user`` label, per-user folders on the node and
service host names (``<service>-<slug>.<domain>``, :func:`service_host`). The rule, like
KubeSpawner's ``safe_slug``:

* a name that already is a simple DNS label (lower-case letters and digits in
  dash-separated groups, starting with a letter, at most :data:`MAX_SLUG_LENGTH`
  characters, no ``--``) is its own slug, so ``alice`` stays ``alice``;
* any other name becomes its cleaned-up form, ``---``, and 8 hex digits of the SHA-256
  of the exact name: ``a.b`` -> ``a-b---<hash>``, ``Alice`` -> ``alice---<hash>``.

Simple slugs never contain ``--`` and escaped ones always do, so the two kinds never
meet; two escaped names are told apart by the hash of the original name.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from .settings import USER_ANNOTATION, USER_LABEL

MAX_SLUG_LENGTH = 30
"""Longest slug: leaves room for a 32-character service name in a 63-character DNS label."""

HASH_LENGTH = 8
_SIMPLE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def is_simple_slug(name: str) -> bool:
    """True when ``name`` is its own slug."""
    return len(name) <= MAX_SLUG_LENGTH and bool(_SIMPLE.match(name))


def user_slug(username: str) -> str:
    """The DNS-1123 label standing for ``username``; distinct users get distinct slugs."""
    if not isinstance(username, str) or not username:
        raise ValueError("a user name must be a non-empty string")
    if is_simple_slug(username):
        return username
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:HASH_LENGTH]
    cleaned = re.sub(r"[^a-z0-9]+", "-", username.lower()).strip("-")
    cleaned = re.sub(r"^[0-9-]+", "", cleaned)  # start with a letter
    room = MAX_SLUG_LENGTH - HASH_LENGTH - 3
    cleaned = cleaned[:room].rstrip("-") or "u"
    return f"{cleaned}---{digest}"


def namespace_for(username: str, prefix: str = "karvdash-") -> str:
    """The namespace of ``username``: ``<prefix><slug>`` (at most 50 characters)."""
    name = prefix + user_slug(username)
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise ValueError(f"prefix {prefix!r} gives an invalid namespace name {name!r}")
    return name


def service_host(service: str, slug: str, domain: str) -> str:
    """``<service>-<slug>.<domain>``: the address of service ``service`` of user ``slug``."""
    return f"{service}-{slug}.{domain}"


def service_of_host(host: str, slug: str, domain: str) -> str | None:
    """The service part of ``host`` when it is ``<service>-<slug>.<domain>``, else ``None``.

    ``<service>`` is one DNS label part (no dots) and ``<service>-<slug>`` must fit in a DNS
    label. Slugs may hold ``-``, so the host is matched from the right, against ``slug``:
    ``web-ann-lee`` is service ``web-ann`` of ``lee`` and service ``web`` of ``ann-lee``.
    ``host`` and ``domain`` are compared as given (lower-case them first).
    """
    if not domain:
        return None
    suffix = f"-{slug}.{domain}"
    if not host.endswith(suffix):
        return None
    service = host[: -len(suffix)]
    if len(service) + 1 + len(slug) > 63 or not _DNS_LABEL.match(service):
        return None
    return service


def namespace_labels(username: str) -> dict[str, str]:
    """Labels every user namespace carries (the webhook selects on them)."""
    return {USER_LABEL: user_slug(username)}


def namespace_annotations(username: str) -> dict[str, str]:
    """Annotations every user namespace carries (the exact user name)."""
    return {USER_ANNOTATION: username}


def _metadata(namespace: Any) -> tuple[Mapping[str, str], Mapping[str, str]]:
    if isinstance(namespace, Mapping):
        meta = namespace.get("metadata") or {}
        return meta.get("labels") or {}, meta.get("annotations") or {}
    meta = getattr(namespace, "metadata", None)
    return (getattr(meta, "labels", None) or {}, getattr(meta, "annotations", None) or {})


def slug_from_namespace(namespace: Any) -> str | None:
    """The user slug a namespace object belongs to, from its ``karvdash.io/user`` label.

    Accepts a dict (raw JSON) or a client model. ``None`` for namespaces that are not a
    user's.
    """
    labels, _ = _metadata(namespace)
    slug = labels.get(USER_LABEL)
    if not slug or not _DNS_LABEL.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        return None
    return slug


def user_from_namespace(namespace: Any) -> str | None:
    """The exact user name a namespace belongs to (reverse of :func:`namespace_for`).

    The label holds the slug; the annotation holds the exact name, trusted only when it
    maps to the same slug (so a hand-edited annotation cannot claim another user).
    """
    slug = slug_from_namespace(namespace)
    if slug is None:
        return None
    _, annotations = _metadata(namespace)
    exact = annotations.get(USER_ANNOTATION)
    if exact and user_slug(exact) == slug:
        return exact
    return slug if is_simple_slug(slug) else None
