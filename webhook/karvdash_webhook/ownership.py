"""Whose namespace is this? The rule, as a pure function of a namespace's name and metadata.

A namespace is a *user namespace* when its name starts with the namespace prefix
(``karvdash-`` by default) or when it carries the label ``karvdash.io/user``. Its owner
is trusted only when everything agrees:

* the label is a valid slug (``karvdash.naming``);
* the annotation ``karvdash.io/username``, when present, is a name whose slug is that label;
* for a name with the prefix, the label is exactly the rest of the name
  (``karvdash-alice`` can only be ``alice``'s).

A user namespace where any of this fails has an *unknown* owner: its pods get no storage
and may mount no folder of the node. The name is the one thing a user who is admin of
their own namespace cannot change, which is why it is trusted over the label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from karvdash.naming import slug_from_namespace, user_slug
from karvdash.settings import USER_ANNOTATION, USER_LABEL


@dataclass(frozen=True, slots=True)
class Owner:
    """The owner of a user namespace: ``slug``, or ``None`` when it cannot be trusted."""

    slug: str | None

    @property
    def known(self) -> bool:
        return self.slug is not None


UNKNOWN = Owner(None)
"""A user namespace whose label or annotation is missing, invalid or contradicts its name."""


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def labelled_slug(namespace: Mapping[str, Any]) -> Owner | None:
    """What the metadata of a Namespace (raw JSON) claims, ignoring its name.

    ``None`` without the ``karvdash.io/user`` label; :data:`UNKNOWN` when the label is not
    a valid slug or the annotation names somebody else; else the label's owner.
    """
    metadata = _mapping(namespace.get("metadata"))
    labels = _mapping(metadata.get("labels"))
    if USER_LABEL not in labels:
        return None
    slug = slug_from_namespace(namespace) if isinstance(labels[USER_LABEL], str) else None
    if slug is None:
        return UNKNOWN
    exact = _mapping(metadata.get("annotations")).get(USER_ANNOTATION)
    if exact is not None:
        try:
            if not isinstance(exact, str) or user_slug(exact) != slug:
                return UNKNOWN
        except ValueError:  # an empty name
            return UNKNOWN
    return Owner(slug)


def owner_of(name: str, claim: Owner | None, prefix: str) -> Owner | None:
    """The owner of namespace ``name`` given what its metadata claims (:func:`labelled_slug`).

    ``None`` only for a namespace that is no user's: no prefix and no label.
    """
    if prefix and name.startswith(prefix):
        if claim is not None and claim.slug == name[len(prefix) :]:
            return claim
        return UNKNOWN
    return claim


def namespace_owner(namespace: Mapping[str, Any], prefix: str) -> Owner | None:
    """The owner of a Namespace object (raw JSON); see :func:`owner_of`."""
    name = _mapping(namespace.get("metadata")).get("name")
    claim = labelled_slug(namespace)
    return owner_of(name, claim, prefix) if isinstance(name, str) else claim
