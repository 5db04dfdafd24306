"""User names become DNS-safe, distinct slugs and namespaces, and namespaces map back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karvdash.naming import (
    MAX_SLUG_LENGTH,
    namespace_annotations,
    namespace_for,
    namespace_labels,
    slug_from_namespace,
    user_from_namespace,
    user_slug,
)

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def test_simple_names_are_kept() -> None:
    assert user_slug("alice") == "alice"
    assert namespace_for("alice") == "karvdash-alice"
    assert namespace_for("bob-2", prefix="kd-") == "kd-bob-2"


@pytest.mark.parametrize(
    ("a", "b"), [("a.b", "a-b"), ("Alice", "alice"), ("a_b", "a-b"), ("x--y", "x-y")]
)
def test_look_alike_names_do_not_collide(a: str, b: str) -> None:
    assert user_slug(a) != user_slug(b)
    assert namespace_for(a) != namespace_for(b)


def test_escaped_names_carry_a_hash() -> None:
    slug = user_slug("Alice.Smith@example.org")
    assert slug.startswith("alice-smith-example")
    assert re.search(r"---[0-9a-f]{8}$", slug)


def test_hostile_names_are_still_valid_labels() -> None:
    for name in ["../../etc", "-", "0", "ñandú", "a" * 300, "UPPER", "x\ny", "$(rm -rf /)", "--"]:
        slug = user_slug(name)
        assert DNS_LABEL.match(slug), (name, slug)
        assert len(slug) <= MAX_SLUG_LENGTH
        assert "/" not in slug
        assert slug[0].isalpha()


def test_empty_name_is_refused() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        user_slug("")


def test_a_bad_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid namespace"):
        namespace_for("alice", prefix="Bad_")


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_distinct_users_get_distinct_valid_namespaces(a: str, b: str) -> None:
    na, nb = namespace_for(a), namespace_for(b)
    assert DNS_LABEL.match(na)
    assert len(na) <= 63
    if a != b:
        assert na != nb


def test_namespace_maps_back_to_its_user() -> None:
    for user in ["alice", "Alice.Smith@example.org"]:
        ns = {
            "metadata": {
                "labels": namespace_labels(user),
                "annotations": namespace_annotations(user),
            }
        }
        assert user_from_namespace(ns) == user
        assert slug_from_namespace(ns) == user_slug(user)


def test_a_namespace_without_the_label_is_nobodys() -> None:
    assert user_from_namespace({"metadata": {"name": "kube-system"}}) is None
    assert (
        slug_from_namespace({"metadata": {"labels": {"karvdash.io/user": "Not A Label"}}}) is None
    )


def test_an_annotation_cannot_claim_another_user() -> None:
    ns = {
        "metadata": {
            "labels": namespace_labels("alice"),
            "annotations": namespace_annotations("Bob@x"),
        }
    }
    assert user_from_namespace(ns) == "alice"
