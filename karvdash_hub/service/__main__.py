"""``python -m karvdash_hub.service``: run the hub service where JupyterHub says.

JupyterHub starts it (a managed service) with ``JUPYTERHUB_SERVICE_URL`` (where to
listen), ``JUPYTERHUB_SERVICE_PREFIX``, ``JUPYTERHUB_API_TOKEN`` and the OAuth
variables; the Karvdash settings come from ``KARVDASH_*`` variables (the service's
``environment``) or ``$KARVDASH_CONFIG_FILE``. SIGTERM and SIGINT stop it cleanly.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from urllib.parse import urlparse

from jupyterhub.services.auth import HubOAuth  # type: ignore[import-untyped]
from tornado.httpserver import HTTPServer
from traitlets import TraitError

from karvdash.registry import RegistryGateway
from karvdash.settings import load_settings

from .app import make_app

log = logging.getLogger("karvdash_hub.service")

CHUNK = 512 * 1024
"""Largest piece of a request body read from the socket at once (uploads stream in these)."""


async def serve() -> None:
    try:
        settings = load_settings()
    except (TraitError, FileNotFoundError) as exc:
        raise SystemExit(f"karvdash hub service: bad settings: {exc}") from exc
    url = urlparse(os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:10101"))
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/karvdash/")
    hub_auth = HubOAuth(cache_max_age=60)
    gateway = RegistryGateway.from_settings(settings)
    app = make_app(prefix=prefix, hub_auth=hub_auth, gateway=gateway)
    server = HTTPServer(
        app,
        xheaders=True,
        idle_connection_timeout=3600,
        chunk_size=CHUNK,
        max_buffer_size=4 * CHUNK,
    )
    server.listen(url.port or 80, url.hostname or "127.0.0.1")
    log.info(
        "Karvdash hub service at %s%s, registry %s", url.geturl().rstrip("/"), prefix,
        settings.registry_url,
    )  # fmt: skip
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.stop()
    await server.close_all_connections()
    await gateway.close()
    admin = app.settings.get("admin_context")
    if admin is not None:
        await admin.close()
    log.info("Karvdash hub service stopped")


def main() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="[%(levelname).1s %(asctime)s %(name)s] %(message)s",
        stream=sys.stderr,
    )
    asyncio.run(serve())


if __name__ == "__main__":
    main()
