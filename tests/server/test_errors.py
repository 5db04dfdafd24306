"""What a client and the server's log see when a handler fails: the core's errors keep
their status and message; anything else is a generic 500 whose stack stays in the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from .faulty_extension import SECRET
from .servers import Server, start_jupyter_server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def faulty_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("faulty-server")
    env = {"KARVDASH_USER": "alice", "PYTHONPATH": str(REPO)}
    args = ("--ServerApp.jpserver_extensions=tests.server.faulty_extension=True",)
    with start_jupyter_server(folder, env, args=args) as server:
        yield server


def _get(server: Server, kind: str) -> requests.Response:
    return requests.get(
        f"{server.url}karvdash-test/{kind}",
        headers={"Authorization": f"token {server.token}"},
        timeout=30,
    )


def test_an_unexpected_failure_is_a_generic_500_and_the_stack_stays_in_the_log(
    faulty_server: Server,
) -> None:
    answer = _get(faulty_server, "bug")
    assert answer.status_code == 500
    assert answer.json() == {
        "message": "internal error of the Karvdash server extension; see the server's log",
        "reason": "Internal Server Error",
    }
    assert SECRET not in answer.text
    log = faulty_server.log_text()
    assert "Traceback" in log
    assert f"RuntimeError: {SECRET}" in log


def test_the_cores_errors_keep_their_status_and_message(faulty_server: Server) -> None:
    conflict = _get(faulty_server, "conflict")
    assert conflict.status_code == 409
    assert conflict.json() == {"message": "it exists already: 100% sure", "reason": "Conflict"}
    unavailable = _get(faulty_server, "unavailable")
    assert unavailable.status_code == 502
    assert unavailable.json() == {
        "message": "the cluster did not answer",
        "reason": "Bad Gateway",
    }
    log = faulty_server.log_text()
    assert "it exists already" in log
    assert log.count("Traceback") <= 1  # only the bug of the other test, if it ran
