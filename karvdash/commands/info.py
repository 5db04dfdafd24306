"""What a user may want to know about their Karvdash (``karvdash info``, ``GET info``)."""

from __future__ import annotations

from typing import Any

from .._version import __version__
from ..settings import Karvdash
from ..templates.render import hostname_for
from .identity import Identity


def service_url_pattern(settings: Karvdash, identity: Identity) -> str:
    """The address of the user's services, ``{name}`` standing for the service's name."""
    return f"https://{hostname_for(settings, identity.user, '{name}')}/"


def info(settings: Karvdash, identity: Identity) -> dict[str, Any]:
    """User, namespace, storage domains and where services are published."""
    return {
        "user": identity.user,
        "namespace": identity.namespace,
        "domains": [
            {
                "name": d.name,
                "mount_path": d.mount_path,
                "per_user": d.per_user,
                "read_only": d.read_only,
            }
            for d in settings.domains
        ],
        "ingress_domain": settings.ingress_domain,
        "service_url": service_url_pattern(settings, identity),
        "registry_url": settings.registry_url,
        "version": __version__,
    }
