"""``GET /karvdash/api/info``: user, namespace, storage domains, service addresses."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from karvdash.commands.info import info

from .base import KarvdashHandler


class InfoHandler(KarvdashHandler):
    @web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json(info(self.session.settings, self.session.identity))
