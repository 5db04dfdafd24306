"""The hub service's Tornado application and its one route table.

Each part of the service contributes a function returning its routes under a prefix
(:func:`~.registry.registry_routes`); :func:`routes` puts them together under the
service's prefix (``/services/karvdash/``), with the OAuth callback and a JSON 404 for
any other API path: the ingress authorization, the registry API and the admin pages.
"""

from __future__ import annotations

import os
from typing import Any

from jupyterhub.services.auth import HubOAuth  # type: ignore[import-untyped]
from jupyterhub.utils import url_path_join  # type: ignore[import-untyped]
from tornado import web

from karvdash.registry import RegistryGateway

from .admin import admin_routes
from .auth import NotFoundHandler, OAuthCallbackHandler, ServiceHandler
from .ingress import ingress_routes
from .registry import Route, registry_routes
from .uploads import Uploads


class IndexHandler(ServiceHandler):
    """``<prefix>``: who you are and what the service offers (a browser is sent to log in)."""

    public = True

    async def get(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        if not model:
            self.redirect(self.get_login_url())
            return
        await self.authenticate()
        prefix = self.settings["service_prefix"]
        self.write_json(
            {
                "service": "karvdash",
                "user": self.user["name"],
                "api": {"registry": url_path_join(prefix, "api/registry")},
                "admin": url_path_join(prefix, "admin/"),
            }
        )


def routes(prefix: str) -> list[Route]:
    """Every route of the service under ``prefix``."""
    api = url_path_join(prefix, "api")
    return [
        *ingress_routes(url_path_join(prefix, "ingress")),  # first: every service request
        (url_path_join(prefix, "oauth_callback"), OAuthCallbackHandler),
        *registry_routes(url_path_join(api, "registry")),
        *admin_routes(url_path_join(prefix, "admin")),
        (api + r"(/.*)?", NotFoundHandler),
        (prefix.rstrip("/") + "/?", IndexHandler),
    ]


def make_app(
    *, prefix: str, hub_auth: HubOAuth, gateway: RegistryGateway, **settings: Any
) -> web.Application:
    """The application; ``settings`` go to Tornado (and to the handlers)."""
    return web.Application(
        routes(prefix),
        hub_auth=hub_auth,
        registry_gateway=gateway,
        registry_uploads=Uploads(),
        service_prefix=prefix,
        cookie_secret=settings.pop("cookie_secret", None) or os.urandom(32),
        **settings,
    )
