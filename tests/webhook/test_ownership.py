"""Whose namespace is it: the name prefix wins over the label (pure rule, no cluster)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from karvdash_webhook.ownership import UNKNOWN, Owner, labelled_slug, namespace_owner

from karvdash.naming import namespace_annotations, namespace_for, namespace_labels, user_slug

PREFIX = "karvdash-"


def namespace(
    name: str, labels: dict[str, Any] | None = None, annotations: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}, "annotations": annotations or {}}}


def hub_namespace(user: str) -> dict[str, Any]:
    """A namespace exactly as the hub makes it."""
    return namespace(namespace_for(user), namespace_labels(user), namespace_annotations(user))


@pytest.mark.parametrize("user", ["alice", "Zoë", "a.b@example.org", "x" * 80])
def test_the_hubs_namespaces_belong_to_their_user(user: str) -> None:
    assert namespace_owner(hub_namespace(user), PREFIX) == Owner(user_slug(user))


@pytest.mark.parametrize(
    ("labels", "annotations"),
    [
        ({}, {}),
        ({"karvdash.io/user": "bob"}, {}),
        ({"karvdash.io/user": "bob"}, {"karvdash.io/username": "bob"}),
        ({"karvdash.io/user": "alice"}, {"karvdash.io/username": "bob"}),
        ({"karvdash.io/user": "alice"}, {"karvdash.io/username": ""}),
        ({"karvdash.io/user": "Not.A.Slug"}, {}),
    ],
    ids=["no-label", "other-user", "other-user-and-name", "other-name", "empty-name", "bad"],
)
def test_a_namespace_named_like_alices_is_nobodys_unless_everything_agrees(
    labels: dict[str, str], annotations: dict[str, str]
) -> None:
    assert namespace_owner(namespace("karvdash-alice", labels, annotations), PREFIX) == UNKNOWN


def test_a_label_without_the_annotation_is_enough() -> None:
    labelled = namespace("karvdash-alice", {"karvdash.io/user": "alice"})
    assert namespace_owner(labelled, PREFIX) == Owner("alice")


def test_other_names_follow_their_label() -> None:
    assert namespace_owner(namespace("kube-system"), PREFIX) is None
    assert namespace_owner(namespace("karvdash"), PREFIX) is None
    team = namespace("team-a", {"karvdash.io/user": "alice"}, {"karvdash.io/username": "alice"})
    assert namespace_owner(team, PREFIX) == Owner("alice")
    bad = namespace("team-a", {"karvdash.io/user": "-"})
    assert namespace_owner(bad, PREFIX) == UNKNOWN  # labelled, so still a user namespace


def test_a_different_prefix_claims_other_names() -> None:
    assert namespace_owner(namespace("kd-alice"), "kd-") == UNKNOWN
    assert namespace_owner(namespace("karvdash-alice"), "kd-") is None


def test_odd_metadata_is_untrusted_not_an_error() -> None:
    assert labelled_slug({"metadata": {"labels": {"karvdash.io/user": 7}}}) == UNKNOWN
    assert labelled_slug({"metadata": "x"}) is None
    assert labelled_slug({}) is None
    annotated = {"karvdash.io/username": ["alice"]}
    assert labelled_slug(namespace("a", {"karvdash.io/user": "alice"}, annotated)) == UNKNOWN


user_names = st.sampled_from(["alice", "bob", "Zoë", "a.b", ""]) | st.text(max_size=12)
slugs = st.sampled_from(["alice", "bob", "zo---12345678", "Bad", "", "a" * 31]) | st.text(
    max_size=8
)
names = st.sampled_from(["karvdash-alice", "karvdash-bob", "karvdash-", "kube-system"]) | (
    st.text(max_size=12)
)


@settings(max_examples=400, deadline=None, database=None)
@given(
    name=names,
    label=st.none() | slugs,
    annotation=st.none() | user_names,
    other=st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3),
)
def test_no_metadata_lets_a_user_namespace_claim_another_users_folders(
    name: str, label: str | None, annotation: str | None, other: dict[str, str]
) -> None:
    labels = {**other}
    annotations = {}
    if label is not None:
        labels["karvdash.io/user"] = label
    if annotation is not None:
        annotations["karvdash.io/username"] = annotation
    owner = namespace_owner(namespace(name, labels, annotations), PREFIX)
    if name.startswith(PREFIX):
        assert owner in (UNKNOWN, Owner(name[len(PREFIX) :]))
    elif label is None:
        assert owner is None
    else:
        assert owner is not None
    if owner is not None and owner.known:
        assert owner.slug == label
        assert annotation is None or user_slug(annotation) == label
