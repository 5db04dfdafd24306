"""Who is asking: JupyterHub identities for every handler of the hub service.

:class:`ServiceHandler` authenticates in ``prepare`` (before any streamed body arrives)
with :class:`jupyterhub.services.auth.HubOAuth`: a token in ``Authorization: token ...``
(a user's API token, or their server's ``$JUPYTERHUB_API_TOKEN``), else the OAuth cookie
set by :class:`OAuthCallbackHandler` after a browser login (writes with a cookie need
JupyterHub's XSRF token, which HubOAuth checks). The token must carry
``access:services!service=karvdash``; :meth:`ServiceHandler.require_scope` checks more,
e.g. :data:`~karvdash_hub.service.REGISTRY_ADMIN_SCOPE`, against the scopes of the token
(which JupyterHub caps at the scopes its owner holds).

Errors are JSON ``{"message", "reason"}`` with the HTTP status, as in the server
extension; a :class:`~karvdash.errors.KarvdashError` from the core gives its own.
"""

from __future__ import annotations

import json
import logging
from http.client import responses
from types import TracebackType
from typing import Any, cast

from jupyterhub.services.auth import (  # type: ignore[import-untyped]
    HubOAuth,
    HubOAuthCallbackHandler,
    HubOAuthenticated,
    UserNotAllowed,
    check_scopes,
)
from tornado import web

from karvdash.errors import KarvdashError

log = logging.getLogger("karvdash_hub.service")

INTERNAL_ERROR = "internal error of the Karvdash hub service; see its log"


def error_body(message: str, reason: str | None) -> str:
    return json.dumps({"message": message, "reason": reason})


class ServiceHandler(HubOAuthenticated, web.RequestHandler):  # type: ignore[misc]
    """Base of every handler: authenticated in ``prepare``, JSON errors."""

    public = False
    """Set on a handler that serves strangers on purpose (none of the API does)."""

    @property
    def hub_auth(self) -> HubOAuth:
        return self.settings["hub_auth"]

    @hub_auth.setter
    def hub_auth(self, value: HubOAuth) -> None:  # the mixin's setter; unused
        raise AttributeError("hub_auth comes from the application settings")

    @property
    def user(self) -> dict[str, Any]:
        """The JupyterHub model of the caller (``name``, ``admin``, ``scopes``...)."""
        return cast(dict[str, Any], self.current_user)

    async def prepare(self) -> None:
        if not self.public:
            await self.authenticate()

    async def authenticate(self) -> dict[str, Any]:
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            writing = self.request.method not in ("GET", "HEAD", "OPTIONS")
            if writing and self.get_cookie(self.hub_auth.cookie_name):
                raise web.HTTPError(
                    401,
                    "a browser's write needs JupyterHub's XSRF token: send the value of the "
                    "_xsrf cookie in an X-XSRFToken header",
                )
            raise web.HTTPError(
                401,
                "log in to JupyterHub first, or send a token in 'Authorization: token <token>'",
            )
        try:
            self.check_hub_user(model)
        except UserNotAllowed:
            raise web.HTTPError(
                403,
                "%s %s may not use the Karvdash service (it needs the scope %s)",
                model.get("kind", "user"),
                model.get("name"),
                ", ".join(sorted(self.hub_scopes or [])),
            ) from None
        self.current_user = model
        return cast(dict[str, Any], model)

    def get_current_user(self) -> Any:
        # prepare() sets current_user; never ask the hub synchronously
        return None

    def has_scope(self, scope: str) -> bool:
        return bool(check_scopes({scope}, set(self.user.get("scopes") or [])))

    def require_scope(self, scope: str, action: str) -> None:
        if not self.has_scope(scope):
            raise web.HTTPError(
                403, "only registry admins can %s (it needs the scope %s)", action, scope
            )

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(data))

    def json_object(self) -> dict[str, Any]:
        try:
            body = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise web.HTTPError(400, "the request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return body

    def int_argument(self, name: str) -> int | None:
        raw = self.get_argument(name, None)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise web.HTTPError(400, "%s must be a whole number, not %r", name, raw) from None
        if value < 1:
            raise web.HTTPError(400, "%s must be at least 1", name)
        return value

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, KarvdashError):
            say = log.info if value.status < 500 else log.warning
            say("%s %s: %s", self.request.method, self.request.path, value.message)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = responses.get(status_code, "Unknown HTTP Error")
        reason: str | None = message
        if isinstance(exc, KarvdashError):
            self.set_status(exc.status, exc.reason)
            message, reason = exc.message, exc.reason
        elif isinstance(exc, web.HTTPError):
            if exc.log_message:
                message = exc.log_message % exc.args if exc.args else exc.log_message
            reason = exc.reason or reason
        elif exc is not None:
            message = INTERNAL_ERROR
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(error_body(message, reason))


class NotFoundHandler(ServiceHandler):
    """Any other path under the service's API: a JSON 404 (after authentication)."""

    def _not_found(self, *args: str) -> None:
        raise web.HTTPError(404, "no such Karvdash endpoint: %s", self.request.path)

    get = post = put = patch = delete = _not_found


class OAuthCallbackHandler(HubOAuthCallbackHandler):  # type: ignore[misc]
    """``<prefix>oauth_callback``: completes a browser login and sets the cookie."""

    @property
    def hub_auth(self) -> HubOAuth:
        return self.settings["hub_auth"]

    @hub_auth.setter
    def hub_auth(self, value: HubOAuth) -> None:
        raise AttributeError("hub_auth comes from the application settings")
