"""Refusals and failures of the registry gateway, in the core's error hierarchy.

=============================  ======  ==============================================
class                          status  when
=============================  ======  ==============================================
:class:`InvalidName`           400     a repository, tag or digest breaks the rules
:class:`ArchiveError`          400     the uploaded archive is not a usable image
:class:`TagExists`             409     the tag names another image already
:class:`UnderMaintenance`      503     garbage collection runs; writes wait for it
:class:`RegistryUnavailable`   502     the registry failed or answered nonsense
:class:`RegistryNotFound`      404     no such repository, tag or upload
=============================  ======  ==============================================
"""

from __future__ import annotations

from karvdash.errors import Conflict, InvalidRequest, KarvdashError, NotFound, Unavailable


class InvalidName(InvalidRequest):
    """A repository, tag or digest that the registry would refuse."""


class ArchiveError(InvalidRequest):
    """The archive is truncated, corrupt, unsafe or not an image (nothing was tagged)."""


class TagExists(Conflict):
    """The tag already names a different image and replacing it was not allowed."""


class RegistryNotFound(NotFound):
    """No such repository, tag or upload."""


class RegistryUnavailable(Unavailable):
    """The registry could not be reached or refused an operation it should accept."""


class UnderMaintenance(KarvdashError):
    """Garbage collection runs: uploads and deletions are refused until it ends."""

    status = 503
    reason = "Service Unavailable"
