"""The two ways a review can fail, kept apart as in kopf.

* :class:`MalformedReview`: the request itself is wrong (not JSON, not an
  AdmissionReview, a field of the wrong type). The client gets HTTP 400.
* :class:`Denied`: the request is fine, the object is refused. The client gets HTTP 200
  with ``allowed: false`` and the reasons.
"""

from __future__ import annotations


class MalformedReview(ValueError):
    """The body is not a well-formed ``admission.k8s.io/v1`` AdmissionReview."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Denied(Exception):
    """The object under review is refused, for one or more reasons (sentences)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons))
        self.reasons = reasons

    @property
    def message(self) -> str:
        """All reasons in one message, one sentence each."""
        return " ".join(self.reasons)
