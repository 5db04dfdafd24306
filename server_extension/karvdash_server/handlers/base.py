"""What every handler of the REST API shares.

* ``auth_resource = "karvdash"``: every verb is ``@web.authenticated`` + ``@authorized``,
  so jupyter_server's identity provider (the hub's token or OAuth cookie in a
  JupyterHub single-user server, the server's token otherwise) and authorizer decide.
* One error shape, as jupyter_server's ``APIHandler``: ``{"message": ..., "reason": ...}``
  with the HTTP status. :class:`~karvdash.errors.KarvdashError` from the core becomes its
  own status and message; any other exception is a 500 with a generic message (the
  stack goes to the server's log, never to the client).
"""

from __future__ import annotations

import json
from http.client import responses
from types import TracebackType
from typing import Any, cast

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from karvdash.commands.session import Session
from karvdash.errors import KarvdashError

from ..context import SETTINGS_KEY

AUTH_RESOURCE = "karvdash"
INTERNAL_ERROR = "internal error of the Karvdash server extension; see the server's log"


def error_body(message: str, reason: str | None) -> str:
    """The one error shape of the API."""
    return json.dumps({"message": message, "reason": reason})


def check_keys(body: dict[str, Any], required: set[str], optional: set[str]) -> None:
    """400 for a missing required key or an unknown key (typos do not pass silently)."""
    missing = sorted(required - set(body))
    if missing:
        raise web.HTTPError(400, "missing in the request body: %s", ", ".join(missing))
    unknown = sorted(set(body) - required - optional)
    if unknown:
        allowed = ", ".join(sorted(required | optional))
        raise web.HTTPError(
            400, "unknown in the request body: %s (allowed: %s)", ", ".join(unknown), allowed
        )


def required_string(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise web.HTTPError(400, "%s must be a non-empty string", key)
    return value


def optional_string(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    return required_string(body, key)


class KarvdashHandler(APIHandler):
    """Base of every Karvdash API handler."""

    auth_resource = AUTH_RESOURCE

    @property
    def session(self) -> Session:
        return cast(Session, self.settings[SETTINGS_KEY])

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(data))

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, or 400."""
        try:
            body = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise web.HTTPError(400, "the request body is not valid JSON") from exc
        if not isinstance(body, dict):
            raise web.HTTPError(400, "the request body must be a JSON object")
        return body

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, KarvdashError) and value.status < 500:
            self.log.info("%s %s: %s", self.request.method, self.request.path, value.message)
            return
        if isinstance(value, KarvdashError):
            self.log.warning("%s %s: %s", self.request.method, self.request.path, value.message)
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
        self.finish(error_body(message, reason))


class NotFoundHandler(KarvdashHandler):
    """Any other path under ``/karvdash/api/``: a JSON 404 (after authentication)."""

    def _not_found(self, path: str = "") -> None:
        raise web.HTTPError(404, "no such Karvdash API endpoint: %s", self.request.path)

    @web.authenticated
    @authorized
    def get(self, path: str = "") -> None:
        self._not_found(path)

    @web.authenticated
    @authorized
    def post(self, path: str = "") -> None:
        self._not_found(path)

    @web.authenticated
    @authorized
    def put(self, path: str = "") -> None:
        self._not_found(path)

    @web.authenticated
    @authorized
    def patch(self, path: str = "") -> None:
        self._not_found(path)

    @web.authenticated
    @authorized
    def delete(self, path: str = "") -> None:
        self._not_found(path)
