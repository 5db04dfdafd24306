"""Who the user is and which namespace they act in.

The same rule serves the server extension, the CLI and the magics, lowest precedence
first: the local OS user; ``$JUPYTERHUB_USER`` (set by JupyterHub in every single-user
server); ``$KARVDASH_USER`` (set by Karvdash's spawner: the exact user name); an explicit
value (``--user``). The namespace is ``$KARVDASH_NAMESPACE`` or an explicit value
(``--namespace``), else the user's namespace under the configured prefix.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..naming import namespace_for, user_slug
from ..settings import Karvdash

USER_ENV = "KARVDASH_USER"
NAMESPACE_ENV = "KARVDASH_NAMESPACE"
HUB_USER_ENV = "JUPYTERHUB_USER"


class IdentityError(ValueError):
    """The user or namespace cannot be worked out (message says what to set)."""


@dataclass(frozen=True)
class Identity:
    """The user Karvdash acts for and the namespace it acts in."""

    user: str
    namespace: str

    @property
    def slug(self) -> str:
        """The user's DNS-safe name (host names, labels, folders)."""
        return user_slug(self.user)


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError) as exc:  # no passwd entry and no $USER
        raise IdentityError(f"cannot tell who you are: set ${USER_ENV} (or pass --user)") from exc


def resolve_identity(
    settings: Karvdash,
    user: str | None = None,
    namespace: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Identity:
    """The identity from explicit values, then the environment, then the OS user."""
    env = os.environ if env is None else env
    name = user or env.get(USER_ENV) or env.get(HUB_USER_ENV) or _local_user()
    ns = namespace or env.get(NAMESPACE_ENV)
    if not ns:
        try:
            ns = namespace_for(name, settings.namespace_prefix)
        except ValueError as exc:
            raise IdentityError(f"no namespace for user {name!r}: {exc}") from exc
    return Identity(user=name, namespace=ns)
