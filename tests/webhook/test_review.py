"""Parsing AdmissionReviews and building the answers (pure)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.review import build_response, parse_review

from .helpers import UID, pod, review


def body(doc: Any) -> bytes:
    return json.dumps(doc).encode()


def test_parse_returns_the_request() -> None:
    request = parse_review(body(review(pod())))
    assert request["uid"] == UID
    assert request["kind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert request["object"] == pod()


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b'"AdmissionReview"', "must be a JSON object"),
        (b"{}", "not an AdmissionReview"),
    ],
)
def test_bodies_that_are_not_reviews_are_malformed(raw: bytes, says: str) -> None:
    with pytest.raises(MalformedReview, match=says):
        parse_review(raw)


def test_other_review_versions_are_malformed() -> None:
    doc = review(pod())
    doc["apiVersion"] = "admission.k8s.io/v1beta1"
    with pytest.raises(MalformedReview, match=r"only admission\.k8s\.io/v1 "):
        parse_review(body(doc))


@pytest.mark.parametrize(
    ("path", "value", "says"),
    [
        (("request",), None, "AdmissionReview.request is missing"),
        (("request",), [], "AdmissionReview.request must be of type dict"),
        (("request", "uid"), None, "request.uid is missing"),
        (("request", "uid"), 42, "request.uid must be of type str"),
        (("request", "uid"), "", "request.uid must not be empty"),
        (("request", "kind"), "Pod", "request.kind must be of type dict"),
        (("request", "kind", "group"), None, "request.kind.group is missing"),
        (("request", "kind", "kind"), 1, "request.kind.kind must be of type str"),
        (("request", "operation"), None, "request.operation is missing"),
        (("request", "namespace"), 7, "request.namespace must be of type str"),
        (("request", "object"), "pod", "request.object must be of type dict"),
        (("request", "oldObject"), [1], "request.oldObject must be of type dict"),
    ],
)
def test_requests_with_missing_or_mistyped_fields_are_malformed(
    path: tuple[str, ...], value: Any, says: str
) -> None:
    doc = review(pod())
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    if value is None:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    with pytest.raises(MalformedReview) as info:
        parse_review(body(doc))
    assert info.value.message == says


def test_delete_reviews_without_object_parse() -> None:
    request = parse_review(body(review(None, operation="DELETE", old=pod())))
    assert request["object"] is None


def test_response_echoes_uid_and_has_no_patch_when_unchanged() -> None:
    answer = build_response("abc", True)
    assert answer == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": "abc", "allowed": True},
    }
    assert "patchType" not in build_response("abc", True, [])["response"]


def test_response_carries_the_patch_in_base64() -> None:
    patch = [{"op": "add", "path": "/metadata/labels", "value": {"a": "b"}}]
    response = build_response("abc", True, patch)["response"]
    assert response["patchType"] == "JSONPatch"
    assert json.loads(base64.b64decode(response["patch"])) == patch


def test_refusal_carries_403_and_the_message() -> None:
    response = build_response("abc", False, message="No.")["response"]
    assert response == {
        "uid": "abc",
        "allowed": False,
        "status": {"code": 403, "reason": "Forbidden", "message": "No."},
    }
