"""Refusals: an Ingress in a user namespace must open to its owner only.

Users are admins of their namespaces and can write Ingresses themselves (``kubectl``, a
template of their own). The host rule (:mod:`.ingress`) keeps them on their own
addresses, but an Ingress without Karvdash's authentication annotations would make a
service public, and one with an annotation that changes or skips the owner check would
do the same in a way that is harder to see. So in a user namespace an Ingress must:

* carry the ``nginx.ingress.kubernetes.io/auth-*`` annotations of the template engine's
  own builder (:func:`karvdash.templates.ingress_annotations`), value for value:
  ``auth-url``, ``auth-signin`` (built for one of the Ingress's hosts) and
  ``auth-response-headers``; the builder is the one source, so the two cannot disagree;
* name the configured ingress class (``ingress_class``, when set), the controller that
  reads those annotations;
* carry no annotation that would bypass or weaken the check or put configuration of its
  own into the controller (:func:`override_reason`).

:func:`owner_only_denials` says why an Ingress is refused, one sentence per problem and a
closing hint; it is pure. :func:`same_routing` tells a metadata-only UPDATE (labels,
finalizers) apart, which stays possible for Ingresses that predate the rule.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from karvdash.templates import ingress_annotations
from karvdash.templates.ingress import NGINX, IngressSettings

from .errors import MalformedReview

AUTH = NGINX + "auth-"
CLASS_ANNOTATION = "kubernetes.io/ingress.class"
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
"""The values ingress-nginx reads as true (Go's ``strconv.ParseBool``)."""

OWNER_ONLY_HINT = (
    "Services published from a user namespace must open to their owner only: the template "
    "engine gives every Ingress it makes the annotations auth-url, auth-signin and "
    "auth-response-headers (nginx.ingress.kubernetes.io/) and none that bypasses them. Launch "
    "the service through Karvdash, or copy those annotations from an Ingress Karvdash made "
    "(auth-url and auth-signin name the Ingress's own host)."
)

_SNIPPET = (
    "it would put nginx configuration of its own into the ingress controller, which can undo "
    "the owner check (and reach far beyond this service)"
)
_AUTH_OTHER = (
    "it changes how the owner check is made; Karvdash sets only auth-url, auth-signin and "
    "auth-response-headers"
)
_REDIRECT = (
    "nginx answers with this redirect before it asks who the visitor is, and expands "
    "variables in it (a visitor's token could be sent away with $http_authorization)"
)
_MIRROR = (
    "the copies of the requests would carry the visitors' credentials, which "
    "auth-response-headers keeps from the service, to another address"
)

_ERRORS = (
    "nginx would send the refusals of the owner check (403, 401) to another backend with "
    "the visitor's own Cookie and Authorization headers, which the check keeps from the "
    "service"
)


_ALLOWED_ONLY: dict[str, tuple[frozenset[str], str]] = {
    "enable-global-auth": (
        _TRUE,
        "it would turn off the authentication the controller applies to every Ingress",
    ),
    "satisfy": (
        frozenset({"all"}),
        "with it a request could pass on its source address alone, without the owner check",
    ),
    "ssl-passthrough": (
        frozenset({"0", "f", "F", "FALSE", "false", "False"}),
        "the controller would hand the TLS connection to the service unopened, so no request "
        "would be checked",
    ),
}
"""Annotations refused unless their value is one of the listed (harmless) ones."""

_REFUSED: dict[str, str] = {
    "server-alias": (
        "it would serve hosts that spec.rules does not name, which the host check cannot see"
    ),
    "permanent-redirect": _REDIRECT,
    "temporal-redirect": _REDIRECT,
    "mirror-target": _MIRROR,
    "mirror-uri": _MIRROR,
    "custom-http-errors": _ERRORS,
    "default-backend": _ERRORS,
    "proxy-set-headers": (
        "its headers are set from nginx variables after the owner check, so a visitor's "
        "credentials ($http_cookie, $http_authorization) could be copied to the service"
    ),
}
"""Annotations refused whatever their value."""


def override_reason(key: str, value: str, required: Sequence[str] = ()) -> str | None:
    """Why annotation ``key: value`` would bypass or weaken the owner check or inject
    configuration (``None``: it does not). ``required`` are the ``auth-*`` keys the
    template engine sets, which are checked for their values instead."""
    if not key.startswith(NGINX):
        return None
    name = key[len(NGINX) :]
    if "snippet" in name:
        return _SNIPPET
    if key.startswith(AUTH):
        return None if key in required else _AUTH_OTHER
    if name in _ALLOWED_ONLY:
        allowed, reason = _ALLOWED_ONLY[name]
        return None if value in allowed else reason
    return _REFUSED.get(name)


def annotations_of(ingress: dict[str, Any]) -> dict[str, str]:
    """The annotations of ``ingress`` (raw JSON); :class:`MalformedReview` if mistyped."""
    metadata = ingress.get("metadata")
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise MalformedReview("Ingress.metadata must be an object")
    annotations = metadata.get("annotations")
    if annotations is None:
        return {}
    if not isinstance(annotations, dict) or not all(
        isinstance(v, str) for v in annotations.values()
    ):
        raise MalformedReview("Ingress.metadata.annotations must map names to strings")
    return annotations


def same_routing(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """True when an UPDATE leaves the spec and the annotations as they were."""
    try:
        same_annotations = annotations_of(before) == annotations_of(after)
    except MalformedReview:
        return False
    return same_annotations and before.get("spec") == after.get("spec")


def _shown(value: str, limit: int = 120) -> str:
    return json.dumps(value if len(value) <= limit else value[:limit] + "...")


def _class_denials(ingress: dict[str, Any], annotations: dict[str, str], wanted: str) -> list[str]:
    spec = ingress.get("spec") or {}
    named = [
        (f"the annotation {CLASS_ANNOTATION}", annotations.get(CLASS_ANNOTATION)),
        ("spec.ingressClassName", spec.get("ingressClassName") if isinstance(spec, dict) else None),
    ]
    why = f"the controller that asks Karvdash who may open the service is {json.dumps(wanted)}"
    if all(value is None for _, value in named):
        return [f"The Ingress names no ingress class; set spec.ingressClassName: {wanted} ({why})."]
    return [
        f"The Ingress is for ingress class {_shown(str(value))} ({where}), which would not ask "
        f"Karvdash who may open the service; {why}."
        for where, value in named
        if value is not None and value != wanted
    ]


def _value_denial(key: str, found: str | None, expected: list[str]) -> str | None:
    if found in expected and found:
        return None
    if not any(expected):
        return (
            f"The annotation {key} cannot be checked: this installation's setting for it is "
            "empty; ask an administrator."
        )
    must = " or ".join(json.dumps(value) for value in expected)
    if found is None:
        return f"The annotation {key} is missing; it must be {must}."
    return f"The annotation {key} is {_shown(found)}; it must be {must}."


def owner_only_denials(
    ingress: dict[str, Any],
    hosts: Sequence[str],
    settings: IngressSettings,
    ingress_class: str = "",
) -> list[str]:
    """Why ``ingress`` (raw JSON, v1 or v1beta1) does not open to its owner only: one
    sentence per problem, then :data:`OWNER_ONLY_HINT`; ``[]`` if it does.

    ``hosts`` are the hosts it claims (``auth-signin`` must be the template engine's for
    one of them); ``settings`` give ``ingress_auth_url`` and ``ingress_signin_url`` (the
    webhook's :class:`.policy.Policy`); ``ingress_class`` empty: any class.
    """
    annotations = annotations_of(ingress)
    built = [ingress_annotations(settings, host) for host in dict.fromkeys(hosts) or ["<host>"]]
    required = [key for key in built[0] if key.startswith(AUTH)]
    denials = _class_denials(ingress, annotations, ingress_class) if ingress_class else []
    for key in required:
        expected = list(dict.fromkeys(values[key] for values in built))
        denial = _value_denial(key, annotations.get(key), expected)
        if denial is not None:
            denials.append(denial)
    for key, value in sorted(annotations.items()):
        reason = override_reason(key, value, required)
        if reason is not None:
            denials.append(f"The annotation {key}: {_shown(value)} is refused: {reason}.")
    return [*denials, OWNER_ONLY_HINT] if denials else []
