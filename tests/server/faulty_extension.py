"""A test-only server extension with handlers on Karvdash's base class that fail on
purpose, to show what a client and the log see when a handler raises."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from karvdash_server.handlers.base import KarvdashHandler
from tornado import web

from karvdash.errors import Conflict, Unavailable

SECRET = "secret-detail-of-the-failure"


class FaultHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    def get(self, kind: str) -> None:
        if kind == "bug":
            raise RuntimeError(SECRET)
        if kind == "conflict":
            raise Conflict("it exists already: 100% sure")
        raise Unavailable("the cluster did not answer")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "tests.server.faulty_extension"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    route = url_path_join(base, "/karvdash-test/(?P<kind>[a-z]+)")
    serverapp.web_app.add_handlers(".*$", [(route, FaultHandler)])
