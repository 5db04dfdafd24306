"""Jupyter server extension of Karvdash (REST API under ``<base_url>/karvdash/api/``).

Filled by a later issue; the package exists so the layout and imports are in place.
"""

from karvdash import __version__

__all__ = ["__version__"]
