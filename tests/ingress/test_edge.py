"""Smoke."""

from __future__ import annotations

from .conftest import Edge, People, Published
from .hubproc import Hub


def test_owner_with_token_gets_the_page(edge: Edge, published: Published, people: People, ingress_hub: Hub) -> None:
    host = published.host(f"{people.alice}/web")
    answer = edge.get(host, "/x", headers={"Authorization": f"token {ingress_hub.tokens[people.alice]}"})
    assert answer.status_code == 200, answer.text
