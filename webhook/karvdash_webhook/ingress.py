"""Refusals: which hosts an Ingress in a user namespace may claim.

A user is admin of their own namespace and can write any Ingress there. Without this
rule they could claim another user's address (``web-bob.<domain>``): the hub service
would then answer 403 for it, but the ingress controller could still route requests for
it, tokens included, to the intruder's backend. So in a user namespace of slug ``alice``:

* every ``spec.rules[].host`` and ``spec.tls[].hosts[]`` must be
  ``<name>-alice.<ingress_domain>``, where ``<name>`` is one DNS label part (no dots):
  the addresses the template engine gives (:func:`karvdash.naming.service_host`), and
  the rule the hub service applies when it looks for a host's owner
  (:func:`karvdash.naming.service_of_host`);
* a rule without a host, and an Ingress without rules whose default backend would serve
  every host (ingress-nginx's catch-all server), are refused: they would take the
  requests of every host;
* where the owner is unknown (:mod:`.ownership`), or ``ingress_domain`` is empty (the
  installation publishes no services), no host is allowed at all;
* a host that is also the address of another existing user is refused
  (:func:`other_readings`): slugs may hold ``-``, so ``web-ann-lee`` is service
  ``web-ann`` of ``lee`` and service ``web`` of ``ann-lee``. The longer slug keeps such a
  host: every host of ``ann-lee`` also reads as one of ``lee``, so refusing it to
  ``ann-lee`` would leave them no address at all, while ``lee`` only loses the service
  names that end in ``-ann``.

:func:`ingress_claims` reads what an Ingress claims (``networking.k8s.io/v1`` and
``v1beta1``, whose default backend is ``spec.backend``); :func:`ingress_denials` says why
it is refused, one sentence per claim; both are pure. The set of known slugs comes from
the namespace directory (:meth:`.namespaces.NamespaceDirectory.user_slugs`).
"""

from __future__ import annotations

import json
from collections.abc import Container
from typing import Any

from karvdash.naming import service_of_host

from .errors import MalformedReview

INGRESS_GROUPS = frozenset({"networking.k8s.io", "extensions"})
"""API groups that serve Ingress (``extensions/v1beta1`` until Kubernetes 1.22)."""

UNKNOWN_OWNER = (
    "The owner of this namespace is unknown (its karvdash.io/user label is missing, invalid "
    "or does not match its name), so an Ingress here may use no host. Ask an administrator "
    "to restore the label."
)
NOT_READY = (
    "The webhook has not read the cluster's user namespaces yet, so it cannot tell whether "
    "this host is also another user's address; try again in a few seconds."
)
NO_DOMAIN = (
    "This installation publishes no services (its ingress_domain setting is empty), so an "
    "Ingress in a user namespace may use no host."
)

Claim = tuple[str, str | None]
"""``(field, host)``: a host an Ingress routes or holds a certificate for, and where it is
written; host ``None`` for a catch-all (a rule without host, a default backend alone)."""


def is_ingress(group: str, kind: str) -> bool:
    return kind == "Ingress" and group in INGRESS_GROUPS


def _dict(value: Any, where: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedReview(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedReview(f"{where} must be a list")
    return value


def _host(value: Any, where: str) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise MalformedReview(f"{where} must be a string")
    return value.lower()


def ingress_claims(ingress: dict[str, Any]) -> list[Claim]:
    """Every host ``ingress`` claims, in the order of its fields (raw JSON, v1 or v1beta1).

    Raises :class:`MalformedReview` for fields of the wrong type.
    """
    spec = _dict(ingress.get("spec"), "Ingress.spec")
    claims: list[Claim] = []
    rules = _list(spec.get("rules"), "Ingress.spec.rules")
    for i, rule in enumerate(rules):
        where = f"spec.rules[{i}]"
        claims.append((f"{where}.host", _host(_dict(rule, where).get("host"), where + ".host")))
    for i, tls in enumerate(_list(spec.get("tls"), "Ingress.spec.tls")):
        where = f"spec.tls[{i}].hosts"
        for j, host in enumerate(_list(_dict(tls, f"spec.tls[{i}]").get("hosts"), where)):
            found = _host(host, f"{where}[{j}]")
            if found is not None:  # an empty entry names no host (the API server refuses it)
                claims.append((f"{where}[{j}]", found))
    if not rules:
        for field in ("defaultBackend", "backend"):
            if spec.get(field) is not None:
                claims.append((f"spec.{field}", None))
    return claims


def host_allowed(host: str, slug: str, domain: str) -> bool:
    """May user ``slug`` claim ``host`` (lower-case) under ``domain``?"""
    return service_of_host(host, slug, domain) is not None


def other_readings(
    host: str, slug: str, domain: str, known_slugs: Container[str]
) -> list[tuple[str, str]]:
    """The other users ``host`` (lower-case) would also belong to: ``(slug, service)`` for
    every slug in ``known_slugs`` longer than ``slug`` for which ``host`` is
    ``<service>-<slug>.<domain>``, longest first; ``[]`` when ``host`` is not ``slug``'s
    own or reads as nobody else's.

    Only longer slugs count: a shorter one that ``host`` ends with (``lee`` for
    ``web-ann-lee``, of ``ann-lee``) is a suffix of ``slug`` itself, so it reads every
    host of ``slug``; the longer slug has the address.
    """
    if service_of_host(host, slug, domain) is None:
        return []
    label = host[: -len(domain) - 1]
    readings = []
    for i, char in enumerate(label):
        other = label[i + 1 :]
        if len(other) <= len(slug):
            break
        if char == "-" and other in known_slugs:
            service = service_of_host(host, other, domain)
            if service is not None:
                readings.append((other, service))
    return readings


def allowed_form(slug: str | None, domain: str) -> str:
    """The sentence that says which hosts are allowed in the namespace of ``slug``."""
    if slug is None:
        return UNKNOWN_OWNER
    if not domain:
        return NO_DOMAIN
    return (
        f"In this namespace an Ingress may only use hosts of the form <name>-{slug}.{domain}, "
        "where <name> is one DNS label (lower-case letters, digits and '-', no dots), so that "
        "it cannot take another user's address."
    )


def _refusal(field: str, host: str | None) -> str:
    if host is not None:
        what = "TLS host" if field.startswith("spec.tls") else "Ingress host"
        return f"{what} {json.dumps(host)} ({field}) is refused."
    if field.startswith("spec.rules"):
        return (
            f"Ingress rule {field.removesuffix('.host')} has no host, so it would take the "
            "requests for every host; it is refused."
        )
    return (
        f"The Ingress has no rules, so its default backend ({field}) would take the requests "
        "for every host; it is refused."
    )


def _ambiguous(field: str, host: str, slug: str, readings: list[tuple[str, str]]) -> str:
    what = "TLS host" if field.startswith("spec.tls") else "Ingress host"
    others = " and ".join(
        f"service {json.dumps(service)} of user {json.dumps(other)}" for other, service in readings
    )
    # The shortest other slug gives the shortest ending to avoid (it covers the longer ones).
    ending = readings[-1][0][: -len(slug) - 1]
    return (
        f"{what} {json.dumps(host)} ({field}) is ambiguous: it is also the address of "
        f"{others}, so it is refused here. Choose another service name, one that does not "
        f"end in {json.dumps('-' + ending)}."
    )


def ingress_denials(
    claims: list[Claim],
    slug: str | None,
    domain: str,
    known_slugs: Container[str] = frozenset(),
) -> list[str]:
    """Why an Ingress with ``claims`` is refused in the namespace of ``slug``: one sentence
    per refused claim, then :func:`allowed_form` if a host is not of that form; ``[]`` if it
    is allowed.

    ``slug`` is ``None`` in a user namespace whose owner is unknown; ``domain`` is the
    normalised ``ingress_domain`` (lower-case, no outer dots); ``known_slugs`` are the
    slugs of the user namespaces that exist (:func:`other_readings`).
    """
    denials: list[str] = []
    off_form = False
    for field, host in claims:
        if host is None or slug is None or not host_allowed(host, slug, domain):
            denials.append(_refusal(field, host))
            off_form = True
        elif readings := other_readings(host, slug, domain, known_slugs):
            denials.append(_ambiguous(field, host, slug, readings))
    return [*denials, allowed_form(slug, domain)] if off_form else denials


def same_claims(before: list[Claim], after: list[Claim]) -> bool:
    """True when an UPDATE leaves the hosts an Ingress claims as they were (in any order)."""

    def key(claims: list[Claim]) -> set[tuple[str, str | None]]:
        return {(field.split("[", 1)[0], host) for field, host in claims}

    return key(before) == key(after)
