"""AdmissionReview ``admission.k8s.io/v1``: the types, a strict parser and the response.

Pure functions, no I/O. :func:`parse_review` turns a request body into the ``request``
part of the review or raises :class:`MalformedReview` with a message that says what is
wrong; :func:`build_response` builds the review sent back.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Literal, TypedDict

from .errors import MalformedReview

API_VERSION = "admission.k8s.io/v1"
KIND = "AdmissionReview"

JSONPatch = list[dict[str, Any]]
"""A JSON Patch (RFC 6902): a list of operations."""

compact_json = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
"""``json.dumps`` without spaces, with one encoder made once (``json.dumps`` with
``separators`` builds a new encoder on every call)."""


class GroupVersionKind(TypedDict):
    group: str
    version: str
    kind: str


class GroupVersionResource(TypedDict):
    group: str
    version: str
    resource: str


class _AdmissionRequestRequired(TypedDict):
    uid: str
    kind: GroupVersionKind
    operation: str


class AdmissionRequest(_AdmissionRequestRequired, total=False):
    """The ``request`` of an AdmissionReview, as far as the webhook reads it."""

    resource: GroupVersionResource
    subResource: str
    name: str
    namespace: str
    object: dict[str, Any] | None
    oldObject: dict[str, Any] | None
    dryRun: bool
    userInfo: dict[str, Any]


class Status(TypedDict, total=False):
    code: int
    message: str
    reason: str


class _AdmissionResponseRequired(TypedDict):
    uid: str
    allowed: bool


class AdmissionResponse(_AdmissionResponseRequired, total=False):
    patchType: Literal["JSONPatch"]
    patch: str
    status: Status


class AdmissionReview(TypedDict, total=False):
    apiVersion: str
    kind: str
    request: AdmissionRequest
    response: AdmissionResponse


def _field(parent: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = parent.get(key)
    if not isinstance(value, kind):
        if key not in parent:
            raise MalformedReview(f"{where}.{key} is missing")
        expected = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise MalformedReview(f"{where}.{key} must be of type {expected}")
    return value


def _explain_request(request: dict[str, Any]) -> None:
    """Raise :class:`MalformedReview` for the first required field that is wrong."""
    if not _field(request, "uid", str, "request"):
        raise MalformedReview("request.uid must not be empty")
    gvk = _field(request, "kind", dict, "request")
    for key in ("group", "version", "kind"):
        _field(gvk, key, str, "request.kind")
    _field(request, "operation", str, "request")


def parse_review(body: bytes | str) -> AdmissionRequest:
    """The ``request`` of the AdmissionReview in ``body``.

    Checks what the webhook relies on: the envelope (``apiVersion``, ``kind``), a
    non-empty ``request.uid``, ``request.kind`` with string ``group``/``version``/``kind``,
    ``request.operation``, and the types of the optional fields it reads. Anything else
    is left as sent. Raises :class:`MalformedReview` on the first problem.
    """
    try:
        doc = json.loads(body)
    except RecursionError:
        raise MalformedReview("the body is not valid JSON: it is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedReview(f"the body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MalformedReview("the body must be a JSON object (an AdmissionReview)")
    if doc.get("kind") != KIND:
        raise MalformedReview(f"the body is not an AdmissionReview (kind is {doc.get('kind')!r})")
    if doc.get("apiVersion") != API_VERSION:
        raise MalformedReview(
            f"only {API_VERSION} AdmissionReviews are understood, not {doc.get('apiVersion')!r}"
        )
    request = _field(doc, "request", dict, "AdmissionReview")
    uid = request.get("uid")
    gvk = request.get("kind")
    if not (
        type(uid) is str
        and uid
        and type(gvk) is dict
        and type(gvk.get("group")) is str
        and type(gvk.get("version")) is str
        and type(gvk.get("kind")) is str
        and type(request.get("operation")) is str
    ):
        _explain_request(request)  # the fast check failed: say why
    for key in ("namespace", "subResource", "name"):
        if request.get(key) is not None:
            _field(request, key, str, "request")
    for key in ("object", "oldObject"):
        if request.get(key) is not None:
            _field(request, key, dict, "request")
    return request  # type: ignore[no-any-return]


def encode_patch(patch: JSONPatch) -> str:
    """A JSON Patch as the base64 text AdmissionResponse.patch carries."""
    raw = compact_json(patch).encode()
    return base64.b64encode(raw).decode("ascii")


def build_response(
    uid: str,
    allowed: bool,
    patch: JSONPatch | None = None,
    message: str | None = None,
) -> AdmissionReview:
    """The AdmissionReview answering request ``uid``.

    A non-empty ``patch`` is sent as ``patchType: JSONPatch`` (base64); an empty or
    absent one means "unchanged". ``message`` goes to ``status.message`` (with code 403
    for a refusal), which ``kubectl`` shows to the user.
    """
    response: AdmissionResponse = {"uid": uid, "allowed": allowed}
    if patch:
        response["patchType"] = "JSONPatch"
        response["patch"] = encode_patch(patch)
    if message is not None:
        response["status"] = (
            {"code": 200, "message": message}
            if allowed
            else {
                "code": 403,
                "reason": "Forbidden",
                "message": message,
            }
        )
    return {"apiVersion": API_VERSION, "kind": KIND, "response": response}
