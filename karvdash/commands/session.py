"""A session on the cluster for one user: the settings, the identity, one Kubernetes
client made on first use (and closed by :meth:`Session.close`), and the core's
template store and service manager over it.

The server extension keeps one session for the server's lifetime; the CLI and the
magics open one per command (``async with Session(...)``).
"""

from __future__ import annotations

import asyncio
import os
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import Unavailable
from ..kube import api_client
from ..settings import Karvdash
from .identity import Identity

if TYPE_CHECKING:
    from ..services import ServiceManager
    from ..templates import TemplateStore
    from .gateway import Gateway


def env_kubeconfig() -> str | None:
    """``$KUBECONFIG`` (its first file) when set: as with kubectl, it wins over the pod's
    in-cluster account. The dev cluster's local kubelet gives notebook pods both
    ``KUBERNETES_SERVICE_HOST`` and a ``$KUBECONFIG`` holding the pod's service account
    token (the token is not at the in-cluster path there)."""
    listed = [p for p in os.environ.get("KUBECONFIG", "").split(os.pathsep) if p]
    return listed[0] if listed else None


class Session:
    """Settings + identity + a lazily made Kubernetes client."""

    def __init__(
        self, settings: Karvdash, identity: Identity, kubeconfig: str | None = None
    ) -> None:
        self.settings = settings
        self.identity = identity
        self.kubeconfig = kubeconfig
        self._client: Any = None
        self._lock = asyncio.Lock()

    async def api(self) -> Any:
        """The Kubernetes ``ApiClient``: ``kubeconfig``, else ``$KUBECONFIG``, else the
        pod's service account in a cluster, else ``~/.kube/config``."""
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await api_client(self.kubeconfig or env_kubeconfig())
                except Exception as exc:  # no kubeconfig, an unusable one, no service account
                    raise Unavailable(f"cannot use Kubernetes: {exc}") from exc
            return self._client

    async def templates(self) -> TemplateStore:
        """The system templates and the user's own."""
        from ..templates import TemplateStore

        return TemplateStore(await self.api(), self.settings, self.identity.namespace)

    async def services(self) -> ServiceManager:
        """The user's services."""
        from ..services import ServiceManager

        return ServiceManager(
            await self.api(), self.settings, self.identity.user, self.identity.namespace
        )

    def gateway(self) -> Gateway:
        """The registry gateway of the hub service, with ``$JUPYTERHUB_API_TOKEN``."""
        from .gateway import Gateway

        return Gateway(self.settings.registry_gateway_url)

    async def close(self) -> None:
        """Close the client (a later call makes a new one)."""
        async with self._lock:
            client, self._client = self._client, None
        if client is not None:
            await client.close()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
