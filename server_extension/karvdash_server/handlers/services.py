"""Services: ``GET/POST services``, ``GET/DELETE services/{name}``,
``GET services/{name}/logs``."""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import KarvdashHandler, check_keys, optional_string, required_string

DEFAULT_TAIL = 1000
MAX_TAIL = 100_000


class ServicesHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        found = await (await self.session.services()).list()
        self.write_json([s.to_json() for s in found])

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_object()
        check_keys(body, required={"template"}, optional={"name", "values"})
        template = required_string(body, "template")
        name = optional_string(body, "name")
        values: Any = body.get("values", {})
        if not isinstance(values, dict):
            raise web.HTTPError(400, "values must be an object of variable names to values")
        service = await (await self.session.services()).create(template, values, name)
        self.set_header("Location", self.request.path.rstrip("/") + "/" + service.name)
        self.write_json(service.to_json(), status=201)


class ServiceHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        service = await (await self.session.services()).get(name)
        self.write_json(service.to_json())

    @web.authenticated
    @authorized
    async def delete(self, name: str) -> None:
        deleted = await (await self.session.services()).delete(name)
        self.write_json({"name": name, "objects": [r.to_json() for r in deleted]})


class ServiceLogsHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    async def get(self, name: str) -> None:
        raw = self.get_query_argument("tail", str(DEFAULT_TAIL))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_TAIL:
            raise web.HTTPError(400, "tail must be a whole number from 1 to %d", MAX_TAIL)
        logs = await (await self.session.services()).logs(name, tail_lines=int(raw))
        self.write_json({"name": name, "logs": logs})
