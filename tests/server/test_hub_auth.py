"""In a JupyterHub single-user server, as users run it: the hub's tokens decide.

Alice's own token reaches her Karvdash API (and the extension acts for her, found from
``$JUPYTERHUB_USER``); Bob's valid hub token is refused there, and so is no token."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from ..hubproc import Hub, start_hub


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with start_hub(tmp_path_factory.mktemp("hub")) as running:
        yield running


@pytest.fixture(scope="module")
def alice_server(hub: Hub) -> tuple[str, str, str]:
    alice, bob = hub.add_user("alice"), hub.add_user("bob")
    return hub.start_server("alice"), alice, bob


def _info(url: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.get(
        f"{url}karvdash/api/info", headers=headers, timeout=30, allow_redirects=False
    )


def test_the_owner_reaches_their_karvdash_api(alice_server: tuple[str, str, str]) -> None:
    url, alice, _ = alice_server
    answer = _info(url, alice)
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"] == "alice"
    assert answer.json()["namespace"] == "karvdash-alice"


def test_another_users_token_is_refused(alice_server: tuple[str, str, str]) -> None:
    url, _, bob = alice_server
    answer = _info(url, bob)
    assert answer.status_code == 403, answer.text
    assert set(answer.json()) == {"message", "reason"}


def test_a_request_without_a_token_is_refused(alice_server: tuple[str, str, str]) -> None:
    url, _, _ = alice_server
    answer = _info(url, None)
    assert answer.status_code == 403, answer.text
    assert set(answer.json()) == {"message", "reason"}
