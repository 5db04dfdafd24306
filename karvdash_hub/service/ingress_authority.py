"""Who may open a service: the decisions of the ingress endpoints, without Tornado.

:meth:`IngressAuthority.decide` answers the ingress controller's question for one request
(nginx ``auth_request``, with the original address in ``X-Original-URL``):

======  =====================================================================================
200     the visitor is the service's owner (or an admin, with ``ingress_admins_allowed``)
401     nobody is identified, or the cookie is forged, expired or another host's, or the
        token is unknown: nginx sends the browser to sign in (``auth-signin``)
403     somebody else; also any host that no service publishes (signing in would not help)
======  =====================================================================================

The visitor is identified by the service's own cookie (:mod:`.ingress_cookie`) or an
``Authorization: token <JupyterHub token>`` header (checked with the hub, whose answers
:class:`~jupyterhub.services.auth.HubOAuth` caches). An address carrying a ticket
(:data:`~.ingress_cookie.TICKET_PARAM`) is never let through: its answer is 401 with the
cookie the ticket stands for, which nginx hands to the browser on its way back to the
sign-in endpoint, which sends it to the address without the ticket
(:meth:`IngressAuthority.destination`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.services.auth import check_scopes  # type: ignore[import-untyped]

from karvdash.settings import Karvdash

from . import ACCESS_SCOPE
from .ingress_cookie import TICKET_PARAM, Grant, Signer, cookie_values, load_secret
from .ingress_owners import ServiceOwners, host_of

TokenLookup = Callable[[str], Awaitable[dict[str, Any] | None]]
"""Token -> the hub's model of its owner (``name``, ``admin``, ``scopes``), or None."""

_TICKET = TICKET_PARAM + "="


@dataclass(frozen=True)
class Decision:
    status: int
    message: str
    user: str | None = None
    cookie: str | None = None
    """A ``Set-Cookie`` value to hand to the browser (only with a ticket)."""
    owner: bool = False
    """A 200 for the service's owner (not an admin let in by ``ingress_admins_allowed``,
    whose request reaches the service with no ``Cookie`` or ``Authorization`` at all)."""


@dataclass(frozen=True)
class Destination:
    """A checked ``rd``: where the sign-in endpoint may send a browser."""

    url: str
    host: str
    owner: str
    ticket: str | None
    """The ticket ``url`` carries (the browser is on its way back), else None."""


class BadDestination(ValueError):
    """``rd`` is not the address of a Karvdash service."""


def split_ticket(query: str) -> tuple[str, str | None]:
    """A raw query string without the ticket parameter, and that parameter's value."""
    if _TICKET not in query:
        return query, None
    kept, ticket = [], None
    for part in query.split("&"):
        if part.startswith(_TICKET):
            ticket = part[len(_TICKET) :]
        else:
            kept.append(part)
    return "&".join(kept), ticket


def with_ticket(url: str, ticket: str) -> str:
    base, _, fragment = url.partition("#")
    joined = f"{base}{'&' if '?' in base else '?'}{TICKET_PARAM}={ticket}"
    return f"{joined}#{fragment}" if fragment else joined


_TOKEN = re.compile(r"\s*token\s+(\S+)\s*", re.IGNORECASE)
_TOKEN_SCHEME = re.compile(r"\s*token\s", re.IGNORECASE)


def token_from(authorization: str) -> str | None:
    """The token of an ``Authorization: token <t>`` header, any case, any white space
    (other schemes are the service's; the same rule as the nginx filter of
    :func:`karvdash.templates.credential_filter`)."""
    found = _TOKEN.fullmatch(authorization)
    return found.group(1) if found else None


def is_token_scheme(authorization: str) -> bool:
    """True for any ``Authorization: token ...`` header, well-formed or not: never sent on
    to a service (the nginx filter's ``^\\s*token\\s`` rule)."""
    return _TOKEN_SCHEME.match(authorization) is not None


class IngressAuthority:
    """The decisions, with the owners of hosts, the signer and the settings they need."""

    def __init__(
        self,
        owners: ServiceOwners,
        signer: Signer,
        *,
        domain: str,
        cookie_name: str = "karvdash-ingress",
        cookie_max_age: int = 12 * 3600,
        admins_allowed: bool = False,
        ready_timeout: float = 10.0,
        https_port: int = 443,
    ) -> None:
        self.owners = owners
        self.https_port = https_port
        """The port the ingress controller serves HTTPS on (the sign-in URL's): the only one
        a sign-in may send a browser (and its ticket) to."""
        self.ready_timeout = ready_timeout
        self._gave_up = False
        self.signer = signer
        self.domain = domain.lower().strip(".")
        self.cookie_name = cookie_name
        self.cookie_max_age = cookie_max_age
        self.admins_allowed = admins_allowed
        self._used: dict[str, int] = {}  # ticket nonce -> its expiry

    @classmethod
    async def from_settings(cls, settings: Karvdash) -> IngressAuthority:
        """Owners followed in the cluster the hub's credentials reach, the key from
        ``ingress_secret_file``; started (:meth:`stop` ends it)."""
        from karvdash.kube import api_client

        from .ingress_watch import KubernetesOwners

        owners = KubernetesOwners(
            await api_client(),
            settings.ingress_domain,
            settings.namespace_prefix,
            owns_client=True,
        )
        authority = cls(
            owners,
            Signer(load_secret(settings.ingress_secret_file)),
            domain=settings.ingress_domain,
            cookie_name=settings.ingress_cookie_name,
            cookie_max_age=settings.ingress_cookie_max_age,
            admins_allowed=settings.ingress_admins_allowed,
            https_port=urlsplit(settings.ingress_signin_url).port or 443,
        )
        await owners.start()
        return authority

    async def stop(self) -> None:
        await self.owners.stop()

    def set_cookie_header(self, value: str) -> str:
        """The cookie for the service's host only: no ``Domain``, ``Secure``, ``HttpOnly``."""
        return (
            f"{self.cookie_name}={value}; Max-Age={self.cookie_max_age}; Path=/; Secure; "
            "HttpOnly; SameSite=Lax"
        )

    def allowed(self, user: str, owner: str, admin: bool) -> bool:
        return user == owner or (admin and self.admins_allowed)

    # ---- the ingress controller's question -----------------------------------------------

    async def decide_served(
        self,
        served: str,
        original_url: str,
        cookie_header: str,
        authorization: str,
        lookup: TokenLookup,
    ) -> Decision:
        """:meth:`decide` for a request nginx served as host ``served`` (the ``host``
        parameter the Ingress's ``auth-url`` carries): refused when ``X-Original-URL``,
        which nginx builds from the visitor's ``Host`` header, names another host."""
        served = served.lower().rstrip(".")
        if not served:
            return Decision(
                403,
                "the Ingress's auth-url names no host (?host=...): it was not made by this "
                "Karvdash; delete the service and launch it again",
            )
        netloc = urlsplit(original_url).netloc
        if host_of(netloc) != served:
            return Decision(
                403,
                f"the request's Host header ({netloc[:100]!r}) is not the address it was "
                f"sent to ({served})",
            )
        return await self.decide(original_url, cookie_header, authorization, lookup)

    async def decide(
        self, original_url: str, cookie_header: str, authorization: str, lookup: TokenLookup
    ) -> Decision:
        parts = urlsplit(original_url)
        host = host_of(parts.netloc)
        if not host or parts.scheme not in ("http", "https"):
            return Decision(400, "X-Original-URL must be the absolute address of the request")
        if not self.owners.ready and not await self._wait_for_owners():
            return Decision(503, "the services' owners are not known yet; see the service log")
        owner = self.owners.owner(host)
        if owner is None:
            return Decision(403, f"no Karvdash service is published at {host}")
        now = time.time()
        _, ticket = split_ticket(parts.query)
        if ticket is not None:
            return self._take_ticket(ticket, host, owner, now)
        for value in cookie_values(cookie_header, self.cookie_name):
            grant = self.signer.read_cookie(value, host, now)
            if grant is not None:
                return self._grant(grant.user, owner, grant.admin, host)
        token = token_from(authorization) if authorization else None
        if token is not None:
            return await self._token(token, owner, host, lookup)
        return Decision(401, f"sign in to open {host}")

    async def _wait_for_owners(self) -> bool:
        """Wait for the first list of owners, once: after a timeout, answer at once."""
        if not self._gave_up and not await self.owners.wait_ready(self.ready_timeout):
            self._gave_up = True
        return self.owners.ready

    def _grant(self, user: str, owner: str, admin: bool, host: str) -> Decision:
        if self.allowed(user, owner, admin):
            if user == owner:
                return Decision(200, "the owner", user, owner=True)
            return Decision(200, "an admin", user)
        return Decision(403, f"{host} is another user's service", user)

    async def _token(self, token: str, owner: str, host: str, lookup: TokenLookup) -> Decision:
        try:
            model = await lookup(token)
        except Exception as exc:  # the hub did not answer
            return Decision(503, f"cannot check the token with the hub ({type(exc).__name__})")
        if not model:
            return Decision(401, "the token is not valid")
        user = str(model.get("name"))
        if model.get("kind", "user") != "user":
            return Decision(403, f"{host} opens to its owner only, not to a service", user)
        if not check_scopes({ACCESS_SCOPE}, set(model.get("scopes") or [])):
            return Decision(403, f"the token lacks the scope {ACCESS_SCOPE}", user)
        return self._grant(user, owner, bool(model.get("admin")), host)

    def _take_ticket(self, value: str, host: str, owner: str, now: float) -> Decision:
        grant = self.signer.read_ticket(value, now)
        if grant is None or grant.host != host or not self._first_use(grant, now):
            return Decision(401, "the sign-in ticket is not valid (any more)")
        if not self.allowed(grant.user, owner, grant.admin):
            return Decision(403, f"{host} is another user's service", grant.user)
        expires = int(now) + self.cookie_max_age
        cookie = self.signer.cookie(grant.user, host, admin=grant.admin, expires=expires)
        return Decision(401, "signed in; back to the service", grant.user, cookie)

    def _first_use(self, grant: Grant, now: float) -> bool:
        if len(self._used) > 1000:
            self._used = {n: e for n, e in self._used.items() if e > now}
        if grant.nonce in self._used:
            return False
        self._used[grant.nonce] = grant.expires
        return True

    # ---- the sign-in endpoint's ----------------------------------------------------------

    async def destination(self, rd: str) -> Destination:
        """Check ``rd``: an ``https`` address of a published service (no open redirect),
        on the ingress controller's HTTPS port; the address is rebuilt from the checked
        host and port, never passed on as it came."""
        parts = urlsplit(rd)
        host = host_of(parts.netloc)
        if parts.scheme != "https" or "@" in parts.netloc or not host:
            raise BadDestination("rd must be the https:// address of a Karvdash service")
        try:
            port = 443 if parts.port is None else parts.port
        except ValueError:
            port = -1
        if port != self.https_port:
            raise BadDestination(
                f"rd must be an address on the ingress's HTTPS port {self.https_port}"
            )
        if not host.endswith("." + self.domain):
            raise BadDestination(f"rd must be an address under {self.domain}")
        await self._wait_for_owners()
        owner = self.owners.owner(host)
        if owner is None:
            raise BadDestination(f"no Karvdash service is published at {host}")
        query, ticket = split_ticket(parts.query)
        path = parts.path if parts.path.startswith("/") else "/" + parts.path
        netloc = host if port == 443 else f"{host}:{port}"
        url = f"https://{netloc}{path}{'?' + query if query else ''}"
        if parts.fragment:
            url += "#" + parts.fragment
        return Destination(url, host, owner, ticket)

    def ticket_for(self, user: str, admin: bool, destination: Destination) -> str | None:
        """The address that signs ``user`` in at the destination's host, or None when
        the user may not open it."""
        if not self.allowed(user, destination.owner, admin):
            return None
        is_admin = user != destination.owner
        ticket = self.signer.ticket(user, destination.host, admin=is_admin, now=time.time())
        return with_ticket(destination.url, ticket)
