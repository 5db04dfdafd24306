"""The hub configuration that runs the Karvdash service: one call from ``jupyterhub_config.py``.

:func:`configure_karvdash_service` adds, without undoing what the config file did:

* the managed service ``karvdash`` (``python -m karvdash_hub.service`` at ``url``, with
  ``env``; shown in the hub's Services menu); its OAuth tokens may carry the registry
  admin scopes, which JupyterHub gives only to users who hold them;
* the custom scope :data:`~karvdash_hub.service.REGISTRY_ADMIN_SCOPE` and the role
  :data:`~karvdash_hub.service.REGISTRY_ADMIN_ROLE` holding it, with no members: give it
  to users or groups (``users``/``groups`` of that role in ``load_roles``) who should
  administer the registry without being hub admins. Hub admins need nothing: JupyterHub 6
  refuses any change to the ``admin`` role's scopes (``roles.create_role`` raises "Cannot
  override admin role"), so the service accepts
  :data:`~karvdash_hub.service.SERVICE_ADMIN_SCOPE` (``admin:services!service=karvdash``,
  part of every admin's ``admin:services``) as well;
* ``access:services!service=karvdash`` for every user, through
  ``JupyterHub.extra_user_scopes`` (which JupyterHub adds to the default ``user`` role;
  overriding that role in ``load_roles`` would drop ``extra_user_scopes`` set elsewhere),
  or added to a ``user`` role the file already defines;
* these scopes in ``Spawner.server_token_scopes`` (after the ``server`` role's own): the
  server extension calls the service with the server's ``$JUPYTERHUB_API_TOKEN``, and
  JupyterHub gives that token only the scopes its owner holds, so only the server of a
  registry admin carries an admin scope.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from jupyterhub.roles import get_default_roles  # type: ignore[import-untyped]
from traitlets.config import Config
from traitlets.config.loader import LazyConfigValue

from . import (
    ACCESS_SCOPE,
    ADMIN_PAGE_SCOPES,
    REGISTRY_ADMIN_ROLE,
    REGISTRY_ADMIN_SCOPE,
    REGISTRY_ADMIN_SCOPES,
    SERVICE_NAME,
)

SCOPE_DESCRIPTION = "Replace tags, delete images and collect garbage in the Karvdash registry."


def _default_scopes(role: str) -> list[str]:
    for spec in get_default_roles():
        if spec["name"] == role:
            return list(spec["scopes"])
    raise KeyError(role)  # pragma: no cover - JupyterHub always has these roles


def _take(section: Config, name: str, empty: Any) -> Any:
    """A config value to build on (a lazy ``.append()`` value made concrete)."""
    value = section.get(name, empty)
    if isinstance(value, LazyConfigValue):
        value = value.get_value(empty)
    return value


def _add(scopes: list[str], *extra: str) -> list[str]:
    return [*scopes, *(s for s in extra if s not in scopes)]


def configure_karvdash_service(c: Config, *, url: str, env: Mapping[str, str]) -> None:
    """Add the Karvdash service, its scope and its role grants to the hub config ``c``."""
    hub = c.JupyterHub
    services = [s for s in _take(hub, "services", []) if s.get("name") != SERVICE_NAME]
    services.append(
        {
            "name": SERVICE_NAME,
            "url": url,
            "command": [sys.executable, "-m", "karvdash_hub.service"],
            "environment": dict(env),
            "oauth_client_allowed_scopes": [*REGISTRY_ADMIN_SCOPES, *ADMIN_PAGE_SCOPES],
            "oauth_no_confirm": True,
            "display": True,
            "info": {"description": "Karvdash: admin page, registry gateway, ingress auth"},
        }
    )
    hub.services = services

    custom = dict(_take(hub, "custom_scopes", {}))
    custom[REGISTRY_ADMIN_SCOPE] = {"description": SCOPE_DESCRIPTION}
    hub.custom_scopes = custom

    roles = [dict(r) for r in _take(hub, "load_roles", [])]
    mine = next((r for r in roles if r.get("name") == REGISTRY_ADMIN_ROLE), None)
    if mine is None:
        roles.append(
            {"name": REGISTRY_ADMIN_ROLE, "description": SCOPE_DESCRIPTION,
             "scopes": [REGISTRY_ADMIN_SCOPE]}
        )  # fmt: skip
    else:
        mine["scopes"] = _add(list(mine.get("scopes", [])), REGISTRY_ADMIN_SCOPE)
    user = next((r for r in roles if r.get("name") == "user"), None)
    if user is not None and "scopes" in user:
        user["scopes"] = _add(list(user["scopes"]), ACCESS_SCOPE)
    else:
        hub.extra_user_scopes = _add(list(_take(hub, "extra_user_scopes", [])), ACCESS_SCOPE)
    hub.load_roles = roles

    spawner = c.Spawner
    server_scopes = _take(spawner, "server_token_scopes", None)
    if server_scopes is None:
        server_scopes = _default_scopes("server")
    if not callable(server_scopes):
        spawner.server_token_scopes = _add(
            list(server_scopes), ACCESS_SCOPE, *REGISTRY_ADMIN_SCOPES
        )
