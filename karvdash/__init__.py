"""Karvdash core: settings, naming rules, Kubernetes helpers and the dev cluster.

This package imports neither jupyterhub nor jupyter_server, so every process (the hub,
the server extension, the webhook, the CLI) can share it. Importing it stays light:
``%load_ext karvdash`` loads the magics (and IPython) only when asked.
"""

from typing import Any

from ._version import __version__

__all__ = ["__version__", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext karvdash``: the ``%karvdash`` magics (see :mod:`karvdash.magics`)."""
    from .magics import KarvdashMagics

    ipython.register_magics(KarvdashMagics)
