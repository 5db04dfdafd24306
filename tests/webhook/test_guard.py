"""The namespace guard: only managers may touch the karvdash.io/ keys (pure, no cluster)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from karvdash_webhook.admission import Webhook
from karvdash_webhook.errors import MalformedReview
from karvdash_webhook.guard import namespace_denial
from karvdash_webhook.namespaces import StaticNamespaceDirectory
from karvdash_webhook.review import AdmissionRequest, parse_review

from .helpers import UID, make_policy

USER = "system:serviceaccount:karvdash-alice:default"
HUB = "system:serviceaccount:karvdash:karvdash-hub"
WEBHOOK = Webhook(make_policy(), StaticNamespaceDirectory())
ALICE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {
        "name": "karvdash-alice",
        "labels": {"karvdash.io/user": "alice", "team": "a"},
        "annotations": {"karvdash.io/username": "alice", "note": "x"},
    },
}


def changed(**metadata: dict[str, str] | None) -> dict[str, Any]:
    """ALICE with its labels/annotations replaced (``None``: removed)."""
    obj = copy.deepcopy(ALICE)
    for key, value in metadata.items():
        if value is None:
            del obj["metadata"][key]
        else:
            obj["metadata"][key] = value
    return obj


def namespace_review(
    new: dict[str, Any] | None,
    old: dict[str, Any] | None = ALICE,
    *,
    operation: str = "UPDATE",
    username: str = USER,
    groups: list[str] | None = None,
    sub_resource: str | None = None,
) -> AdmissionRequest:
    request: dict[str, Any] = {
        "uid": UID,
        "kind": {"group": "", "version": "v1", "kind": "Namespace"},
        "resource": {"group": "", "version": "v1", "resource": "namespaces"},
        "name": "karvdash-alice",
        "operation": operation,
        "userInfo": {"username": username, "groups": groups or ["system:authenticated"]},
        "object": new,
        "oldObject": old if operation != "CREATE" else None,
    }
    if sub_resource:
        request["subResource"] = sub_resource
    doc = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request}
    return parse_review(json.dumps(doc))


async def refusal(request: AdmissionRequest) -> str:
    answer, result = await WEBHOOK.validate_namespace(request)
    assert result == "denied"
    response = answer["response"]
    assert (response["uid"], response["allowed"]) == (UID, False)
    assert response["status"]["code"] == 403
    return response["status"]["message"]


async def allowed(request: AdmissionRequest) -> bool:
    answer, result = await WEBHOOK.validate_namespace(request)
    return result == "allowed" and answer["response"] == {"uid": UID, "allowed": True}


@pytest.mark.parametrize(
    ("new", "what"),
    [
        (changed(labels={"team": "a"}), 'remove the label "karvdash.io/user"'),
        (changed(labels=None), 'remove the label "karvdash.io/user"'),
        (changed(labels={"karvdash.io/user": "bob", "team": "a"}), 'change the label "karvdash'),
        (changed(annotations={"karvdash.io/username": "bob"}), 'change the annotation "karvdash'),
        (
            changed(labels={**ALICE["metadata"]["labels"], "karvdash.io/admin": "true"}),
            'set the label "karvdash.io/admin"',
        ),
    ],
    ids=["remove-label", "remove-all-labels", "other-slug", "other-name", "new-key"],
)
@pytest.mark.parametrize("sub_resource", [None, "status", "finalize"])
async def test_a_user_may_not_touch_the_karvdash_keys_of_their_namespace(
    new: dict[str, Any], what: str, sub_resource: str | None
) -> None:
    message = await refusal(namespace_review(new, sub_resource=sub_resource))
    assert message.startswith(f'"{USER}" may not {what}')
    assert 'of namespace "karvdash-alice"' in message
    assert "only Karvdash and cluster administrators may set or change them" in message


async def test_every_change_is_named_in_one_message() -> None:
    new = changed(labels={"team": "a"}, annotations={"karvdash.io/username": "bob"})
    message = await refusal(namespace_review(new))
    assert 'remove the label "karvdash.io/user" or change the annotation' in message


async def test_other_labels_and_annotations_stay_the_users() -> None:
    labels = {"karvdash.io/user": "alice", "team": "b", "new": "1"}
    annotations = {"karvdash.io/username": "alice"}
    assert await allowed(namespace_review(changed(labels=labels, annotations=annotations)))
    assert await allowed(namespace_review(copy.deepcopy(ALICE)))


@pytest.mark.parametrize(
    ("username", "groups"),
    [
        ("kubernetes-admin", ["system:masters", "system:authenticated"]),
        (HUB, ["system:serviceaccounts", "system:serviceaccounts:karvdash"]),
    ],
    ids=["system-masters", "hub"],
)
async def test_managers_may_change_them(username: str, groups: list[str]) -> None:
    for new in (changed(labels=None), changed(labels={"karvdash.io/user": "bob"})):
        assert await allowed(namespace_review(new, username=username, groups=groups))
    assert await allowed(
        namespace_review(ALICE, None, operation="CREATE", username=username, groups=groups)
    )


async def test_managers_come_from_the_settings() -> None:
    webhook = Webhook(make_policy(namespace_managers=["ops"]), StaticNamespaceDirectory())
    request = namespace_review(changed(labels=None), username="ops")
    assert (await webhook.validate_namespace(request))[1] == "allowed"
    request = namespace_review(changed(labels=None), username=HUB)
    assert (await webhook.validate_namespace(request))[1] == "denied"


async def test_nobody_else_may_create_a_namespace_with_a_karvdash_label() -> None:
    message = await refusal(namespace_review(ALICE, None, operation="CREATE"))
    assert 'may not set the label "karvdash.io/user" or set the annotation' in message
    plain = changed(labels={"team": "a"}, annotations=None)
    assert await allowed(namespace_review(plain, None, operation="CREATE"))


async def test_delete_and_other_kinds_are_allowed() -> None:
    assert await allowed(namespace_review(None, operation="DELETE"))
    request = namespace_review(changed(labels=None))
    request["kind"] = {"group": "", "version": "v1", "kind": "ConfigMap"}
    assert await allowed(request)


async def test_anonymous_requests_are_named_so() -> None:
    request = namespace_review(changed(labels=None))
    del request["userInfo"]
    assert (await refusal(request)).startswith("An anonymous user may not remove")


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r.pop("oldObject"),
        lambda r: r.update(object=None),
        lambda r: r["object"]["metadata"].update(labels=["karvdash.io/user"]),
        lambda r: r["object"].update(metadata="x"),
        lambda r: r.update(userInfo="admin"),
        lambda r: r["userInfo"].update(groups="system:masters"),
        lambda r: r["userInfo"].update(username=1),
    ],
    ids=["no-old", "no-object", "labels-list", "metadata-string", "user-info", "groups", "name"],
)
async def test_unreadable_reviews_are_malformed(damage: Any) -> None:
    request = namespace_review(changed(labels=None))
    damage(request)
    with pytest.raises(MalformedReview):
        await WEBHOOK.validate_namespace(request)


keys = st.sampled_from(
    ["karvdash.io/user", "karvdash.io/username", "karvdash.io/x", "team", "karvdash.iox", "a/b"]
)
maps = st.none() | st.dictionaries(keys, st.sampled_from(["alice", "bob", ""]), max_size=4)


def _meta(labels: dict[str, str] | None, annotations: dict[str, str] | None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "karvdash-alice"}
    if labels is not None:
        metadata["labels"] = labels
    if annotations is not None:
        metadata["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": metadata}


def _ours(values: dict[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (values or {}).items() if k.startswith("karvdash.io/")}


@settings(max_examples=300, deadline=None, database=None)
@given(
    old_labels=maps,
    old_annotations=maps,
    new_labels=maps,
    new_annotations=maps,
    create=st.booleans(),
    manager=st.booleans(),
)
def test_a_non_manager_is_refused_exactly_when_a_karvdash_key_differs(
    old_labels: dict[str, str] | None,
    old_annotations: dict[str, str] | None,
    new_labels: dict[str, str] | None,
    new_annotations: dict[str, str] | None,
    create: bool,
    manager: bool,
) -> None:
    old = None if create else _meta(old_labels, old_annotations)
    new = _meta(new_labels, new_annotations)
    request = namespace_review(
        new,
        old,
        operation="CREATE" if create else "UPDATE",
        groups=["system:masters"] if manager else None,
    )
    message = namespace_denial(request, frozenset({HUB}))
    before = ({}, {}) if create else (_ours(old_labels), _ours(old_annotations))
    differs = before != (_ours(new_labels), _ours(new_annotations))
    assert (message is not None) == (differs and not manager)
    if message is not None:
        for key in set(before[0]) ^ set(_ours(new_labels)):
            assert f'the label "{key}"' in message
