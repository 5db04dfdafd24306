"""The route table of the extension, as the tests walk it."""

from __future__ import annotations

import re

from karvdash_server.handlers.base import NotFoundHandler
from karvdash_server.routes import API_PREFIX, api_routes
from tornado import web

VERBS = ("get", "post", "put", "patch", "delete")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def methods(handler: type[web.RequestHandler]) -> list[str]:
    """The HTTP methods a handler class implements."""
    return [m for m in VERBS if getattr(handler, m) is not getattr(web.RequestHandler, m)]


def openapi_path(pattern: str) -> str:
    """``/karvdash/api/services/(?P<name>[^/]+)/logs`` -> ``/services/{name}/logs``."""
    assert pattern.startswith(API_PREFIX + "/"), pattern
    return _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern[len(API_PREFIX) :])


def endpoints() -> list[tuple[str, str]]:
    """``(OpenAPI path, method)`` of every documented endpoint (not the JSON 404)."""
    found = []
    for route in api_routes():
        pattern, handler = route[0], route[1]
        if handler is NotFoundHandler:
            continue
        found += [(openapi_path(pattern), m) for m in methods(handler)]
    return found


def concrete(path: str) -> str:
    """A request path for an OpenAPI path (parameters filled with a sample value)."""
    return re.sub(r"\{\w+\}", "sample", path)
