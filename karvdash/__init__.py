"""Karvdash core: settings, naming rules, Kubernetes helpers and the dev cluster.

This package imports neither jupyterhub nor jupyter_server, so every process (the hub,
the server extension, the webhook, the CLI) can share it.
"""

from ._version import __version__

__all__ = ["__version__"]
