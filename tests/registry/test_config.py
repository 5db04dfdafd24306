"""configure_karvdash_service: adds the service, its scope and grants, and keeps the rest."""

from __future__ import annotations

import sys

from jupyterhub.roles import get_default_roles
from traitlets.config import Config

from karvdash_hub.service import (
    ACCESS_SCOPE,
    REGISTRY_ADMIN_ROLE,
    REGISTRY_ADMIN_SCOPE,
    SERVICE_ADMIN_SCOPE,
)
from karvdash_hub.service.config import configure_karvdash_service

URL = "http://127.0.0.1:10101"


def server_role_scopes() -> list[str]:
    return next(r["scopes"] for r in get_default_roles() if r["name"] == "server")


def test_a_bare_config_gets_the_service_scope_role_and_grants() -> None:
    c = Config()
    configure_karvdash_service(c, url=URL, env={"KARVDASH_REGISTRY_URL": "https://r:5000"})
    (service,) = c.JupyterHub.services
    assert service["name"] == "karvdash"
    assert service["url"] == URL
    assert service["command"] == [sys.executable, "-m", "karvdash_hub.service"]
    assert service["environment"] == {"KARVDASH_REGISTRY_URL": "https://r:5000"}
    assert set(service["oauth_client_allowed_scopes"]) == {
        REGISTRY_ADMIN_SCOPE,
        SERVICE_ADMIN_SCOPE,
        "admin:users",  # the admin page (only for those who hold it)
        "read:servers",
    }
    assert REGISTRY_ADMIN_SCOPE in c.JupyterHub.custom_scopes
    (role,) = c.JupyterHub.load_roles
    assert role["name"] == REGISTRY_ADMIN_ROLE
    assert role["scopes"] == [REGISTRY_ADMIN_SCOPE]
    assert "users" not in role  # membership is the operator's choice
    assert list(c.JupyterHub.extra_user_scopes) == [ACCESS_SCOPE]
    assert c.Spawner.server_token_scopes == [
        *server_role_scopes(),
        ACCESS_SCOPE,
        REGISTRY_ADMIN_SCOPE,
        SERVICE_ADMIN_SCOPE,
    ]


def test_what_the_config_file_set_is_kept() -> None:
    c = Config()
    c.JupyterHub.services.append({"name": "other", "url": "http://127.0.0.1:9"})
    c.JupyterHub.extra_user_scopes = ["read:groups"]
    c.JupyterHub.load_roles = [
        {"name": "teachers", "scopes": ["admin:users"], "groups": ["teachers"]},
        {"name": REGISTRY_ADMIN_ROLE, "groups": ["registry-keepers"]},
    ]
    c.Spawner.server_token_scopes = ["users:activity!user", "read:users:name!user"]
    configure_karvdash_service(c, url=URL, env={})
    configure_karvdash_service(c, url=URL + "0", env={})  # twice: still one service
    assert [s["name"] for s in c.JupyterHub.services] == ["other", "karvdash"]
    assert c.JupyterHub.services[1]["url"] == URL + "0"
    assert list(c.JupyterHub.extra_user_scopes) == ["read:groups", ACCESS_SCOPE]
    roles = {r["name"]: r for r in c.JupyterHub.load_roles}
    assert roles["teachers"]["groups"] == ["teachers"]
    assert roles[REGISTRY_ADMIN_ROLE] == {
        "name": REGISTRY_ADMIN_ROLE,
        "groups": ["registry-keepers"],
        "scopes": [REGISTRY_ADMIN_SCOPE],
    }
    assert c.Spawner.server_token_scopes == [
        "users:activity!user", "read:users:name!user", ACCESS_SCOPE, REGISTRY_ADMIN_SCOPE,
        SERVICE_ADMIN_SCOPE,
    ]  # fmt: skip


def test_a_user_role_of_the_config_file_gets_the_access_scope() -> None:
    c = Config()
    c.JupyterHub.load_roles = [{"name": "user", "scopes": ["self", "read:groups"]}]
    configure_karvdash_service(c, url=URL, env={})
    user = next(r for r in c.JupyterHub.load_roles if r["name"] == "user")
    assert user["scopes"] == ["self", "read:groups", ACCESS_SCOPE]
    assert "extra_user_scopes" not in c.JupyterHub  # ignored by JupyterHub with such a role


def test_a_callable_server_token_scopes_is_left_to_its_author() -> None:
    c = Config()

    def scopes(spawner: object) -> list[str]:
        return ["users:activity!user"]

    c.Spawner.server_token_scopes = scopes
    configure_karvdash_service(c, url=URL, env={})
    assert c.Spawner.server_token_scopes is scopes
