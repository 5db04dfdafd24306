"""The private registry: a v2 API client, image archive uploads, browsing and garbage collection.

No Jupyter imports here: the hub service (``karvdash_hub.service``), the CLI and the tests
use :class:`~.gateway.RegistryGateway` alike. See docs/registry.md.
"""

from __future__ import annotations

from .client import RegistryClient
from .errors import (
    ArchiveError,
    InvalidName,
    RegistryNotFound,
    RegistryUnavailable,
    TagExists,
    UnderMaintenance,
)
from .gateway import RegistryGateway
from .gc import GcReport
from .stream import BytePipe
from .upload import UploadProgress, upload_archive

__all__ = [
    "ArchiveError",
    "BytePipe",
    "GcReport",
    "InvalidName",
    "RegistryClient",
    "RegistryGateway",
    "RegistryNotFound",
    "RegistryUnavailable",
    "TagExists",
    "UnderMaintenance",
    "UploadProgress",
    "upload_archive",
]
