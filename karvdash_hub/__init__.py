"""JupyterHub side of Karvdash: the spawner, namespace provisioning and the hub service.

Filled by a later issue; the package exists so the layout and imports are in place.
"""

from karvdash import __version__

__all__ = ["__version__"]
