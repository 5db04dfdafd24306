"""A test-only server extension that serves exactly the images routes of karvdash_server.

The single-user servers of the registry tests load it instead of the whole
``karvdash_server`` (which wants a cluster), so they test
:func:`karvdash_server.images.images_handlers` as the extension mounts them: under
``<base_url>/karvdash/api/``.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join
from karvdash_server.images import images_handlers


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    return [{"module": "tests.registry.imagesext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    base = serverapp.web_app.settings["base_url"]
    routes = [(url_path_join(base, "karvdash/api", p), h) for p, h in images_handlers()]
    serverapp.web_app.add_handlers(".*$", routes)
