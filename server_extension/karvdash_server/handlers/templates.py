"""Templates: ``GET/POST templates``, ``GET/DELETE templates/{id}``.

System templates and the user's own are listed together; ``POST`` validates a YAML
template and stores it in the user's namespace; system templates cannot be deleted.
"""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from .base import KarvdashHandler, check_keys, optional_string, required_string


class TemplatesHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        found = await (await self.session.templates()).list()
        self.write_json([t.to_json() for t in found])

    @web.authenticated
    @authorized
    async def post(self) -> None:
        body = self.json_object()
        check_keys(body, required={"source"}, optional={"id"})
        source = required_string(body, "source")
        template_id = optional_string(body, "id")
        added = await (await self.session.templates()).add(source, template_id)
        self.set_header("Location", self.request.path.rstrip("/") + "/" + added.id)
        self.write_json(added.to_json(source=True), status=201)


class TemplateHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    async def get(self, template_id: str) -> None:
        found = await (await self.session.templates()).get(template_id)
        self.write_json(found.to_json(source=True))

    @web.authenticated
    @authorized
    async def delete(self, template_id: str) -> None:
        await (await self.session.templates()).delete(template_id)
        self.set_status(204)
        self.finish()
