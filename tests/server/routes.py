"""The route table of the extension, as the tests walk it.

``/images...`` is one forwarding route (:mod:`karvdash_server.images`); the endpoints
behind it are the hub service's registry gateway routes, so they are read from there.
"""

from __future__ import annotations

import re

from karvdash_server.handlers.base import NotFoundHandler
from karvdash_server.images import ImagesHandler
from karvdash_server.routes import API_PREFIX, api_routes
from tornado import web

from karvdash_hub.service.registry import registry_routes

VERBS = ("get", "post", "put", "patch", "delete")
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def methods(handler: type[web.RequestHandler]) -> list[str]:
    """The HTTP methods a handler class implements."""
    return [m for m in VERBS if getattr(handler, m) is not getattr(web.RequestHandler, m)]


def openapi_path(pattern: str) -> str:
    """``/services/(?P<name>[^/]+)/logs`` -> ``/services/{name}/logs``."""
    return _GROUP.sub(lambda m: "{" + m.group(1) + "}", pattern)


def gateway_endpoints() -> list[tuple[str, str]]:
    """``(path, method)`` of the registry gateway, as ``/images/...`` paths."""
    found = []
    for pattern, handler in registry_routes(""):
        path = "/images" + openapi_path(pattern.removesuffix("/?"))
        found += [(path, m) for m in methods(handler)]
    return found


def endpoints() -> list[tuple[str, str]]:
    """``(OpenAPI path, method)`` of every documented endpoint (not the JSON 404)."""
    found = []
    for route in api_routes():
        pattern, handler = route[0], route[1]
        assert pattern.startswith(API_PREFIX + "/"), pattern
        if handler is NotFoundHandler:
            continue
        if handler is ImagesHandler:
            gateway = gateway_endpoints()
            assert {m for _, m in gateway} <= set(methods(handler))
            found += gateway
            continue
        found += [(openapi_path(pattern[len(API_PREFIX) :]), m) for m in methods(handler)]
    return found


def concrete(path: str) -> str:
    """A request path for an OpenAPI path (parameters filled with a sample value)."""
    return re.sub(r"\{\w+\}", "sample", path)
