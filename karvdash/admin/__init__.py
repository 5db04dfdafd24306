"""What the admin page reads from the cluster and the data folders (no Jupyter imports).

:mod:`.overview` summarizes every user namespace (services, pods, quota use);
:mod:`.folders` measures data folders. The hub service's admin pages
(``karvdash_hub.service.admin``) show them next to the hub's own user list.
"""

from .folders import FolderSizes, FolderUsage, folder_usage, human_bytes
from .overview import NamespaceSummary, QuotaUse, read_overview, summarize

__all__ = [
    "FolderSizes",
    "FolderUsage",
    "NamespaceSummary",
    "QuotaUse",
    "folder_usage",
    "human_bytes",
    "read_overview",
    "summarize",
]
