"""The extension app: one session per server, the routes, and the shutdown hook."""

from __future__ import annotations

from jupyter_server.extension.application import ExtensionApp

from .context import SETTINGS_KEY, make_session
from .routes import api_routes


class KarvdashServer(ExtensionApp):
    """Adds Karvdash's REST API to a Jupyter server."""

    name = "karvdash_server"
    description = "Karvdash REST API: service templates, services and their logs"
    load_other_extensions = True

    def initialize_settings(self) -> None:
        assert self.serverapp is not None
        session = make_session(self.serverapp.config)
        self.settings[SETTINGS_KEY] = session
        self.log.info(
            "Karvdash: acting for user %s in namespace %s",
            session.identity.user,
            session.identity.namespace,
        )

    def initialize_handlers(self) -> None:
        self.handlers.extend(api_routes())

    async def stop_extension(self) -> None:
        session = self.settings.get(SETTINGS_KEY)
        if session is not None:
            await session.close()
            self.log.info("Karvdash: stopped")
