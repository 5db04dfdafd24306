"""One exception hierarchy for every refusal of the core.

The surfaces (REST API, magics, CLI) map these to their own error shape: each class
carries the HTTP status it stands for. ``message`` is one or two sentences a user can
act on; it never holds a stack trace or a secret.

=====================  ======  ===========================================
class                  status  when
=====================  ======  ===========================================
:class:`KarvdashError`  500     anything else the core reports
:class:`InvalidRequest` 400     bad input: a template, a value, a name
:class:`Forbidden`      403     not allowed (a system template, RBAC)
:class:`NotFound`       404     no such template or service
:class:`Conflict`       409     exists already, a singleton runs already
:class:`Unavailable`    502     the cluster could not do it (logs, timeouts)
=====================  ======  ===========================================
"""

from __future__ import annotations


class KarvdashError(Exception):
    """Base class: a refusal or failure with a message meant for the user."""

    status = 500
    reason = "Internal Server Error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, str]:
        """``{"message", "reason"}``, the error shape of the REST API."""
        return {"message": self.message, "reason": self.reason}


class InvalidRequest(KarvdashError):
    """The request is wrong: a template, a value or a name does not follow the rules."""

    status = 400
    reason = "Bad Request"


class Forbidden(KarvdashError):
    """The request is understood and refused (read-only, not permitted)."""

    status = 403
    reason = "Forbidden"


class NotFound(KarvdashError):
    """No such template or service."""

    status = 404
    reason = "Not Found"


class Conflict(KarvdashError):
    """It exists already (a template id, a singleton's instance)."""

    status = 409
    reason = "Conflict"


class Unavailable(KarvdashError):
    """The cluster could not do it: an API server error, a timeout, logs it cannot serve."""

    status = 502
    reason = "Bad Gateway"
