"""The Karvdash hub service: a JupyterHub-managed service at ``/services/karvdash/``.

It alone holds the registry's credentials and serves the registry gateway
(:mod:`.registry`); later parts (ingress authorization, admin pages) add their routes to
the one table in :mod:`.app`. Run by the hub as ``python -m karvdash_hub.service``
(:mod:`.__main__`), configured with :func:`.config.configure_karvdash_service`.
"""

from __future__ import annotations

SERVICE_NAME = "karvdash"
REGISTRY_ADMIN_SCOPE = "custom:karvdash:registry-admin"
"""The JupyterHub custom scope that lets its holder replace tags, delete images and collect
garbage (given by the role :data:`REGISTRY_ADMIN_ROLE` to whom the hub config names)."""
SERVICE_ADMIN_SCOPE = f"admin:services!service={SERVICE_NAME}"
"""Every JupyterHub admin holds it (the ``admin`` role has ``admin:services``), and it
counts as :data:`REGISTRY_ADMIN_SCOPE`: JupyterHub 6 refuses any change to the ``admin``
role's scopes, so a custom scope cannot be given to all admins through it."""
REGISTRY_ADMIN_SCOPES = (REGISTRY_ADMIN_SCOPE, SERVICE_ADMIN_SCOPE)
REGISTRY_ADMIN_ROLE = "karvdash-registry-admin"
ACCESS_SCOPE = f"access:services!service={SERVICE_NAME}"
ADMIN_PAGE_SCOPE = "admin:users"
"""The scope that opens the Karvdash admin page (the ``admin`` role holds it): the page lists
users and deletes them, which is what ``admin:users`` allows in the hub itself."""
ADMIN_PAGE_SCOPES = (ADMIN_PAGE_SCOPE, "read:servers")
"""What the service's OAuth tokens may carry for the admin page (only for those who hold
them): the page reads users and their servers and deletes users with the admin's token."""
