"""Who the server acts for, and with which settings.

* the user: ``$KARVDASH_USER`` (the exact user name, set by Karvdash's spawner), else
  ``$JUPYTERHUB_USER``, else the local OS user;
* the namespace: ``$KARVDASH_NAMESPACE``, else the user's namespace under the configured
  prefix;
* the settings: ``c.Karvdash.*`` from the server's own config files, then
  ``$KARVDASH_CONFIG_FILE`` and ``KARVDASH_*`` variables (:func:`karvdash.settings.load_settings`);
* Kubernetes: ``$KUBECONFIG`` when set (the dev cluster's notebook pods), else the pod's
  service account in a cluster (:class:`karvdash.commands.session.Session`), one client
  made on the first request that needs it and closed when the server stops.
"""

from __future__ import annotations

from collections.abc import Mapping

from traitlets.config import Config

from karvdash.commands.identity import resolve_identity
from karvdash.commands.session import Session
from karvdash.settings import load_settings

SETTINGS_KEY = "karvdash"
"""Where the session lives in the Tornado application's settings."""


def make_session(config: Config, env: Mapping[str, str] | None = None) -> Session:
    """The server's one session, from its config and environment."""
    settings = load_settings(config=config, env=env)
    return Session(settings, resolve_identity(settings, env=env))
