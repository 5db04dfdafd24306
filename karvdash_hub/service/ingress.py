"""The ingress endpoints: every service at its own address, open to its owner only.

Under ``<prefix>`` (``/services/karvdash/ingress``), see docs/ingress.md:

=====  ==========  =========================================================================
any    ``/auth``   nginx ``auth-url``: 200 / 401 / 403 for the address in ``X-Original-URL``
                   served as ``?host=`` (the Ingress's own host, written into its
                   ``auth-url``: :meth:`~.ingress_authority.IngressAuthority.decide_served`);
                   public on purpose:
                   it identifies the visitor itself and only answers yes or no. A 200
                   carries the ``Cookie`` and ``Authorization`` headers the service gets
                   (``auth-response-headers``): the visitor's, without Karvdash's cookie
                   and without a JupyterHub token
GET    ``/signin`` nginx ``auth-signin``: log in to the hub (OAuth), then back to ``rd``
                   (an ``https`` address of a service) through a one-time ticket
=====  ==========  =========================================================================

The :class:`~.ingress_authority.IngressAuthority` comes from the application setting
``ingress_authority``; without one, the first request makes it from the ``Karvdash``
settings (:meth:`~.ingress_authority.IngressAuthority.from_settings`: the owners followed
in the cluster).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from typing import Any, cast

from jupyterhub.utils import url_path_join  # type: ignore[import-untyped]
from tornado import web

from karvdash.settings import load_settings

from .auth import ServiceHandler
from .ingress_authority import BadDestination, Decision, IngressAuthority, is_token_scheme
from .ingress_cookie import without_cookie

log = logging.getLogger("karvdash_hub.service")

AUTHORITY = "ingress_authority"
_LOCK = "ingress_authority_lock"
_DAV = ("PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT")


async def authority_of(application: web.Application) -> IngressAuthority:
    """The application's authority, made from the settings at the first call."""
    settings = application.settings
    found = settings.get(AUTHORITY)
    if found is not None:
        return cast(IngressAuthority, found)
    lock = settings.setdefault(_LOCK, asyncio.Lock())
    async with lock:
        if settings.get(AUTHORITY) is None:
            settings[AUTHORITY] = await IngressAuthority.from_settings(load_settings())
            log.info("ingress authorization ready")
    return cast(IngressAuthority, settings[AUTHORITY])


class QuietHandler(ServiceHandler):
    """Answers every request of the services, so it logs only refusals."""

    public = True

    def _log(self) -> None:  # tornado's per-request access log
        status = self.get_status()
        say = log.debug if status in (200, 401) else log.info
        say("%s %s %s", status, self.request.method, self.request.path)


class IngressAuthHandler(QuietHandler):
    """``<prefix>/auth``: may the visitor open the address in ``X-Original-URL``?"""

    SUPPORTED_METHODS = (*ServiceHandler.SUPPORTED_METHODS, *_DAV)

    async def prepare(self) -> None:
        return None

    async def get(self) -> None:
        authority = await authority_of(self.application)
        headers = self.request.headers
        cookie, authorization = headers.get("Cookie", ""), headers.get("Authorization", "")
        decision = await authority.decide_served(
            self.get_query_argument("host", ""),
            headers.get("X-Original-URL", ""),
            cookie,
            authorization,
            self._lookup,
        )
        if decision.status == 200 and decision.owner:
            # what the service receives (auth-response-headers): no Karvdash credentials
            self._upstream("Cookie", without_cookie(cookie, authority.cookie_name))
            self._upstream("Authorization", "" if is_token_scheme(authorization) else authorization)
        elif decision.status == 200:
            # an admin in another user's service: none of the admin's credentials
            self._upstream("Cookie", "")
            self._upstream("Authorization", "")
        self.answer(authority, decision)

    def _upstream(self, name: str, value: str) -> None:
        try:
            self.set_header(name, value)
        except ValueError:  # control characters: the service gets no such header
            self.set_header(name, "")

    async def _lookup(self, token: str) -> dict[str, Any] | None:
        return cast(dict[str, Any] | None, await self.hub_auth.user_for_token(token, sync=False))

    def answer(self, authority: IngressAuthority, decision: Decision) -> None:
        self.set_status(decision.status)
        self.set_header("Cache-Control", "no-store")
        if decision.cookie is not None:
            self.set_header("Set-Cookie", authority.set_cookie_header(decision.cookie))
        if decision.status == 200:
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"message": decision.message, "reason": self._reason}))

    head = post = put = patch = delete = options = get


for _method in _DAV:
    setattr(IngressAuthHandler, _method.lower(), IngressAuthHandler.get)


class IngressSigninHandler(ServiceHandler):
    """``<prefix>/signin?rd=<address>``: the hub's login, then back to the service."""

    public = True

    async def get(self) -> None:
        authority = await authority_of(self.application)
        try:
            destination = await authority.destination(self.get_argument("rd", ""))
        except BadDestination as exc:
            raise web.HTTPError(400, "%s", exc) from None
        if not await self.hub_auth.get_user(self, sync=False):
            self.redirect(self.get_login_url())
            return
        user = await self.authenticate()
        if destination.ticket is not None:
            # back from the service's host with its cookie set: on to the address itself
            self.redirect(destination.url)
            return
        target = authority.ticket_for(user["name"], bool(user.get("admin")), destination)
        if target is None:
            raise web.HTTPError(
                403,
                "%s is a service of another user: only its owner may open it",
                destination.host,
            )
        log.info("ingress sign-in of %s at %s", user["name"], destination.host)
        self.set_header("Cache-Control", "no-store")
        self.redirect(target)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = "the sign-in failed; see the log of the Karvdash hub service"
        if isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(
            "<!doctype html><title>Karvdash</title>"
            f"<h1>{status_code} {html.escape(self._reason)}</h1>"
            f"<p>{html.escape(message)}</p>"
        )


def ingress_routes(prefix: str) -> list[tuple[str, type[web.RequestHandler]]]:
    """The ingress endpoints under ``prefix`` (``<service prefix>/ingress``)."""
    return [
        (url_path_join(prefix, "auth"), IngressAuthHandler),
        (url_path_join(prefix, "signin"), IngressSigninHandler),
    ]
