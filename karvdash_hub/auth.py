"""Sign-up with approval: NativeAuthenticator, plus the first admin made at first start.

``KarvdashAuthenticator`` is jupyterhub-nativeauthenticator (users sign up with a name,
password and e-mail; an admin authorizes them at ``/hub/authorize``; users change their
password at ``/hub/change-password``) with one addition: when the hub starts and the
first admin (``first_admin``, also an admin user of the hub) has no account yet, it is
created, already authorized, with ``first_admin_password``. An existing account is never
touched, so a password the admin changed stays changed. The password is never logged.

Nothing else in Karvdash depends on this class: any JupyterHub authenticator works with
``KarvdashSpawner``.
"""

from __future__ import annotations

import os
from typing import Any

import bcrypt
from jupyterhub.apihandlers.base import APIHandler  # type: ignore[import-untyped]
from jupyterhub.scopes import Scope  # type: ignore[import-untyped]
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from nativeauthenticator.orm import UserInfo
from tornado import web
from tornado.httputil import url_concat
from tornado.web import RequestHandler
from traitlets import Unicode, default

ADMIN_ENV = "KARVDASH_ADMIN_USER"
ADMIN_PASSWORD_ENV = "KARVDASH_ADMIN_PASSWORD"  # noqa: S105 - the variable's name


class LoginHandler(NativeLoginHandler):  # type: ignore[misc]
    """NativeAuthenticator 1.3's login page, fixed for JupyterHub 6.

    JupyterHub 6 removed ``statsd`` (which NativeAuthenticator's ``post`` times the login
    with) and renders login errors through ``_render(**ns)`` with keywords NativeAuthenticator
    does not take; both made every login a blank 500 page.
    """

    def _render(
        self,
        login_error: str | None = None,
        username: str | None = None,
        sync: bool = False,
        **_: Any,
    ) -> Any:
        return self.render_template(
            "native-login.html",
            sync=sync,
            next=self.get_argument("next", default=""),
            username=username,
            login_error=login_error,
            custom_html=self.authenticator.custom_html,
            login_url=self.settings["login_url"],
            enable_signup=self.authenticator.enable_signup,
            two_factor_auth=self.authenticator.allow_2fa,
            authenticator_login_url=url_concat(
                self.authenticator.login_url(self.hub.base_url),
                {"next": self.get_argument("next", "")},
            ),
        )

    async def post(self) -> None:
        data = {arg: self.get_argument(arg, strip=False) for arg in self.request.arguments}
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
            return
        error = "Invalid username or password."
        username = data.get("username", "")
        info = self.authenticator.get_user(username)
        if (
            info is not None
            and info.is_valid_password(data.get("password", ""))
            and not info.is_authorized
        ):
            error = f"User {username} has not been authorized by an administrator yet."
        self.finish(await self._render(login_error=error, username=username))


SIGNUPS_PATH = r"/api/karvdash/signups"
"""Where the hub answers :class:`SignupsHandler` (under the hub's prefix)."""


class SignupsHandler(APIHandler):  # type: ignore[misc]
    """``GET /hub/api/karvdash/signups``: every sign-up and whether it is authorized.

    For the Karvdash admin page (which links to ``/hub/authorize`` to change it). A user
    who signed up is not a hub user until their first login, so the hub's own user list
    misses those waiting for approval. Needs ``admin:users`` (admins hold it).
    """

    def get(self) -> None:
        if self.parsed_scopes.get("admin:users") != Scope.ALL:
            raise web.HTTPError(403, "listing sign-ups needs the scope admin:users")
        signups = [
            {
                "name": info.username,
                "email": info.email or "",
                "authorized": bool(info.is_authorized),
            }
            for info in UserInfo.all_users(self.db)
        ]
        self.write({"signups": sorted(signups, key=lambda s: s["name"])})


class KarvdashAuthenticator(NativeAuthenticator):  # type: ignore[misc]
    """NativeAuthenticator that creates the first admin's account at first start."""

    first_admin = Unicode(
        help=f"""User name of the first admin, created (authorized, and added to
        `Authenticator.admin_users`) at first start. Default: `${ADMIN_ENV}`, else `admin`.""",
    ).tag(config=True)

    first_admin_password = Unicode(
        help=f"""Password of the first admin's account, used only when that account does not
        exist yet. Default: `${ADMIN_PASSWORD_ENV}`. Empty: no account is made (the admin
        signs up like anyone, and is authorized because they are in `admin_users`).""",
    ).tag(config=True)

    @default("first_admin")
    def _default_first_admin(self) -> str:
        return os.environ.get(ADMIN_ENV, "admin")

    @default("first_admin_password")
    def _default_first_admin_password(self) -> str:
        return os.environ.get(ADMIN_PASSWORD_ENV, "")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        admin = self.normalize_username(self.first_admin) if self.first_admin else ""
        if admin:
            admins: set[str] = set(self.admin_users)  # type: ignore[has-type]
            self.admin_users = admins | {admin}
            self._create_first_admin(admin)

    def get_handlers(self, app: Any) -> list[tuple[str, type[RequestHandler]]]:
        handlers: list[tuple[str, type[RequestHandler]]] = super().get_handlers(app)
        replaced = [(path, LoginHandler if path == r"/login" else h) for path, h in handlers]
        return [*replaced, (SIGNUPS_PATH, SignupsHandler)]

    def _create_first_admin(self, username: str) -> None:
        if not self.first_admin_password or self.get_user(username) is not None:
            return
        hashed = bcrypt.hashpw(self.first_admin_password.encode(), bcrypt.gensalt())
        self.db.add(UserInfo(username=username, password=hashed, is_authorized=True))
        self.db.commit()
        self.log.info("Created the account of the first admin, %s", username)
