"""The Ingress of a service: host, TLS and the owner-only annotations (pure).

Every Ingress a template holds is rewritten: its rules get the host
``<name>-<user>.<ingress_domain>``, its TLS section the wildcard secret, its class the
configured one, and the annotations of :func:`ingress_annotations` replace any
authentication or snippet annotations the template set.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

NGINX = "nginx.ingress.kubernetes.io/"

_COOKIE_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
_REPLACED_PREFIXES = (NGINX + "auth-", NGINX + "enable-global-auth")
_REPLACED = {
    NGINX + "configuration-snippet",
    NGINX + "server-snippet",
    NGINX + "ssl-redirect",
    NGINX + "force-ssl-redirect",
    "kubernetes.io/ingress.class",
}


class IngressSettings(Protocol):
    """What :func:`ingress_annotations` reads: the Karvdash settings, or a read-only
    snapshot of them (the admission webhook's policy, which checks Ingresses against the
    same annotations)."""

    @property
    def ingress_auth_url(self) -> str: ...

    @property
    def ingress_signin_url(self) -> str: ...


def credential_filter(cookie_name: str) -> str:
    """nginx directives (for ``configuration-snippet``) that keep Karvdash credentials
    from the service: the ``cookie_name`` cookie is removed from the ``Cookie`` header
    (other cookies pass), and an ``Authorization: token ...`` header (a JupyterHub
    token) is dropped, while other schemes (``Bearer``, ``Basic``, AWS signatures) pass.

    Not part of :func:`ingress_annotations` (which gets the same effect from
    ``auth-response-headers``, without snippets): for an nginx in front of a service
    that is not an ingress-nginx Ingress.
    """
    if not _COOKIE_NAME.match(cookie_name):
        raise ValueError(f"cookie name {cookie_name!r} must be letters, digits, '_' and '-'")
    strip = (
        f'if ($karvdash_cookie ~ "^(.*?;\\s*)?{cookie_name}=[^;]*(?:;\\s*)?(.*)$") '
        "{ set $karvdash_cookie $1$2; }"
    )
    return "\n".join(
        [
            "# Karvdash: the service never sees the visitor's Karvdash credentials.",
            "set $karvdash_cookie $http_cookie;",
            strip,
            strip,  # a browser may hold the cookie twice (two paths)
            "proxy_set_header Cookie $karvdash_cookie;",
            "set $karvdash_authorization $http_authorization;",
            'if ($http_authorization ~* "^\\s*token\\s") { set $karvdash_authorization ""; }',
            "proxy_set_header Authorization $karvdash_authorization;",
            "",
        ]
    )


UPSTREAM_HEADERS = "Cookie,Authorization"
"""Request headers the service receives as the hub service's answer gives them back
(nginx ``auth-response-headers``): without Karvdash's cookie and JupyterHub tokens."""


def ingress_annotations(settings: IngressSettings, host: str) -> dict[str, str]:
    """The annotations that make ingress-nginx let only the service's owner in.

    * ``auth-url``: every request is first checked by the hub service
      (``settings.ingress_auth_url`` with ``host=<host>``), which answers 2xx (the
      owner), 401 (not logged in) or 403. The host is written into the URL because it is
      the one nginx routes by: the ``X-Original-URL`` nginx sends is built from the
      visitor's ``Host`` header, which can name another host than the request line
      nginx chose the server by (``GET http://web-bob/`` with ``Host: web-alice``); the
      hub service refuses a request whose two hosts differ;
    * ``auth-signin``: a 401 sends the browser to ``settings.ingress_signin_url`` with
      ``rd=https://<host><path>`` to come back after logging in;
    * ``auth-response-headers``: the ``Cookie`` and ``Authorization`` headers the service
      receives are the ones the hub service's 2xx answer carries, i.e. the visitor's
      without the ``ingress_cookie_name`` cookie and without an ``Authorization: token``
      header (the same rule as :func:`credential_filter`); a header the answer lacks is
      not sent at all, so nothing leaks if it is missing. No snippet annotation is
      needed, so ingress-nginx can keep them off (its default): users, who are admins of
      their namespaces, could otherwise put any nginx directive into the controller;
    * ``ssl-redirect`` / ``force-ssl-redirect``: HTTP is redirected to HTTPS.
    """
    separator = "&" if "?" in settings.ingress_signin_url else "?"
    auth_separator = "&" if "?" in settings.ingress_auth_url else "?"
    return {
        NGINX + "auth-url": (
            f"{settings.ingress_auth_url}{auth_separator}host={host}"
            if settings.ingress_auth_url
            else ""
        ),
        NGINX + "auth-signin": (
            f"{settings.ingress_signin_url}{separator}rd=https://{host}$escaped_request_uri"
        ),
        NGINX + "auth-response-headers": UPSTREAM_HEADERS,
        NGINX + "ssl-redirect": "true",
        NGINX + "force-ssl-redirect": "true",
    }


def apply_ingress(
    ingress: dict[str, Any],
    host: str,
    ingress_class: str,
    tls_secret_name: str,
    annotations: dict[str, str],
) -> None:
    """Give a rendered Ingress (modified in place) its host, TLS, class and annotations."""
    meta = ingress.setdefault("metadata", {})
    current = meta.get("annotations") or {}
    kept = {
        key: value
        for key, value in current.items()
        if key not in _REPLACED and not key.startswith(_REPLACED_PREFIXES)
    }
    meta["annotations"] = {**kept, **annotations}
    spec = ingress.setdefault("spec", {})
    if ingress_class:
        spec["ingressClassName"] = ingress_class
    for rule in spec.get("rules") or []:
        rule["host"] = host
    spec["tls"] = [{"hosts": [host], "secretName": tls_secret_name}]
