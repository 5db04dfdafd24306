"""Services: template instances in a user's namespace (create, list, logs, delete).

Nothing here imports Jupyter. See :class:`ServiceManager`.
"""

from __future__ import annotations

from .manager import ServiceManager, with_suffix
from .model import ObjectRef, Service, Status
from .status import service_status

__all__ = ["ObjectRef", "Service", "ServiceManager", "Status", "service_status", "with_suffix"]
