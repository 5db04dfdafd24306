"""Jupyter server extension of Karvdash: the REST API under ``<base_url>/karvdash/api/``.

``pip install karvdash`` enables it (``etc/jupyter/jupyter_server_config.d/
karvdash_server.json``). It is an :class:`~jupyter_server.extension.application.
ExtensionApp` (:class:`.app.KarvdashServer`) because only extension apps get a shutdown
hook, which closes the Kubernetes client; its inherited ``_load_jupyter_server_extension``
adds the routes of :mod:`.routes` and the session of :mod:`.context` to the server.
See docs/rest-api.md and docs/openapi.yaml.
"""

from __future__ import annotations

from typing import Any

from karvdash import __version__

__all__ = ["__version__"]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .app import KarvdashServer

    return [{"module": "karvdash_server", "app": KarvdashServer}]
