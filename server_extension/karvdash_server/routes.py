"""The one route table of the REST API, relative to the server's ``base_url``.

docs/openapi.yaml documents exactly these paths and methods (tests/server/test_openapi.py
fails when they differ). Path parameters are named groups; their names are the OpenAPI
parameter names. ``/images...`` is one route that forwards to the hub service's registry
gateway (:mod:`.images`); its documented paths are the gateway's.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from .handlers.base import NotFoundHandler
from .handlers.info import InfoHandler
from .handlers.services import ServiceHandler, ServiceLogsHandler, ServicesHandler
from .handlers.templates import TemplateHandler, TemplatesHandler
from .images import images_handlers

API_PREFIX = "/karvdash/api"
NAME = r"(?P<name>[^/]+)"
TEMPLATE_ID = r"(?P<template_id>[^/]+)"

Route = tuple[Any, ...]


def api_routes() -> list[Route]:
    """``(pattern, handler)`` for every endpoint, then the JSON 404 for other API paths."""
    routes: list[Route] = [
        ("/info", InfoHandler),
        ("/templates", TemplatesHandler),
        (f"/templates/{TEMPLATE_ID}", TemplateHandler),
        ("/services", ServicesHandler),
        (f"/services/{NAME}", ServiceHandler),
        (f"/services/{NAME}/logs", ServiceLogsHandler),
        *images_handlers(),
    ]
    table = [(url_path_join(API_PREFIX, r[0]), *r[1:]) for r in routes]
    table.append((API_PREFIX + r"/(?P<path>.*)", NotFoundHandler))
    return table
