"""Repository, tag and digest names: what the registry accepts, with a clear refusal."""

from __future__ import annotations

import pytest

from karvdash.registry import InvalidName
from karvdash.registry.names import check_digest, check_repository, check_tag


@pytest.mark.parametrize(
    "name", ["app", "team/app", "a/b/c", "base-images/python3.11", "my_app", "a__b", "x--y", "a.b"]
)
def test_valid_repositories_are_accepted(name: str) -> None:
    assert check_repository(name) == name


@pytest.mark.parametrize(
    "name",
    ["", "App", "team//app", "/app", "app/", "-app", "app-", "a..b", "a___b", "a b", "a:b",
     "../etc", "x" * 256],
)  # fmt: skip
def test_invalid_repositories_are_refused_with_a_reason(name: str) -> None:
    with pytest.raises(InvalidName) as err:
        check_repository(name)
    assert err.value.status == 400
    assert "repository" in err.value.message


@pytest.mark.parametrize("tag", ["v1", "latest", "1.0.0-rc1", "_x", "A" * 128])
def test_valid_tags_are_accepted(tag: str) -> None:
    assert check_tag(tag) == tag


@pytest.mark.parametrize("tag", ["", ".v1", "-v1", "v 1", "v/1", "v:1", "A" * 129])
def test_invalid_tags_are_refused(tag: str) -> None:
    with pytest.raises(InvalidName, match="tag"):
        check_tag(tag)


def test_digests_must_be_sha256_or_sha512_hex() -> None:
    assert check_digest("sha256:" + "a" * 64)
    assert check_digest("sha512:" + "0" * 128)
    for bad in ("sha256:" + "A" * 64, "sha256:abc", "md5:" + "a" * 32, "a" * 64):
        with pytest.raises(InvalidName):
            check_digest(bad)
