"""Every endpoint is authenticated and authorized (the suite walks the route table, so a
new endpoint without both fails here), and every refusal has the one error shape."""

from __future__ import annotations

import pytest

from .routes import concrete, endpoints
from .servers import Server

ENDPOINTS = endpoints()


def _refused(answer: object) -> None:
    status = getattr(answer, "status_code")  # noqa: B009
    assert status == 403, getattr(answer, "text")  # noqa: B009
    body = answer.json()  # type: ignore[attr-defined]
    assert set(body) == {"message", "reason"}
    assert body["reason"] == "Forbidden"


def test_the_route_table_has_every_resource() -> None:
    paths = {p for p, _ in ENDPOINTS}
    assert {"/info", "/templates", "/services"} <= paths


@pytest.mark.parametrize(("path", "method"), ENDPOINTS)
def test_requests_without_a_token_are_refused(plain_server: Server, path: str, method: str) -> None:
    _refused(plain_server.call(method, concrete(path), token=None, json={}))


@pytest.mark.parametrize(("path", "method"), ENDPOINTS)
def test_another_token_is_refused(plain_server: Server, path: str, method: str) -> None:
    _refused(plain_server.call(method, concrete(path), token="not-" + plain_server.token, json={}))


@pytest.mark.parametrize(("path", "method"), ENDPOINTS)
def test_the_authorizer_decides_every_verb(denying_server: Server, path: str, method: str) -> None:
    answer = denying_server.call(method, concrete(path), json={})
    _refused(answer)
    assert "not authorized" in answer.json()["message"]


def test_the_server_token_is_accepted(plain_server: Server) -> None:
    answer = plain_server.call("GET", "info")
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")


def test_unknown_api_paths_are_a_json_404_after_authentication(plain_server: Server) -> None:
    assert plain_server.call("GET", "nothing/here", token=None).status_code == 403
    answer = plain_server.call("GET", "nothing/here")
    assert answer.status_code == 404
    assert answer.json() == {
        "message": "no such Karvdash API endpoint: /karvdash/api/nothing/here",
        "reason": "Not Found",
    }


def test_a_method_an_endpoint_lacks_is_a_json_405(plain_server: Server) -> None:
    answer = plain_server.call("DELETE", "info")
    assert answer.status_code == 405
    assert answer.json() == {"message": "Method Not Allowed", "reason": "Method Not Allowed"}
