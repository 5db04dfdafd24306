"""Services through the REST API on the dev cluster: launch, watch, read logs, remove,
and the refusals, acting with the user's own service account."""

from __future__ import annotations

import time
from typing import Any

from .servers import Server


def _wait_running(server: Server, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = server.call("GET", f"services/{name}")
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] == "Running":
            return dict(answer.json())
        time.sleep(0.3)
    raise AssertionError(f"service {name} is not Running: {answer.json()}")


def test_launch_watch_and_remove_a_service(
    user_server: Server, server_user: tuple[str, str]
) -> None:
    user, _ = server_user
    body = {"template": "hello-kubernetes", "values": {"MESSAGE": "hi <there>", "REPLICAS": "2"}}
    launched = user_server.call("POST", "services", json=body)
    assert launched.status_code == 201, launched.text
    service = launched.json()
    assert service["name"] == "hello"
    assert service["template"] == "hello-kubernetes"
    assert service["url"] == f"https://hello-{user}.karvdash.localtest.me/"
    assert service["values"]["REPLICAS"] == 2
    assert launched.headers["Location"].endswith("/karvdash/api/services/hello")

    listed = user_server.call("GET", "services").json()
    assert [s["name"] for s in listed] == ["hello"]

    running = _wait_running(user_server, "hello")
    kinds = sorted(o["kind"] for o in running["objects"])
    # every object labelled with the service: the template's and those made from them
    assert kinds == ["Deployment", "Ingress", "Pod", "Pod", "ReplicaSet", "Service"]
    assert len(running["pods"]) == 2

    removed = user_server.call("DELETE", "services/hello")
    assert removed.status_code == 200, removed.text
    assert {"kind": "Deployment", "name": "hello"} in removed.json()["objects"]
    assert user_server.call("GET", "services/hello").status_code == 404
    assert user_server.call("DELETE", "services/hello").status_code == 404


def test_a_taken_name_gets_a_suffix(user_server: Server) -> None:
    body = {"template": "hello-kubernetes", "name": "twin"}
    first = user_server.call("POST", "services", json=body).json()["name"]
    second = user_server.call("POST", "services", json=body).json()["name"]
    try:
        assert first == "twin"
        assert second.startswith("twin-")
    finally:
        for name in (first, second):
            user_server.call("DELETE", f"services/{name}")


def test_bad_launches_are_refused_and_nothing_is_created(user_server: Server) -> None:
    cases: list[tuple[Any, int, str]] = [
        ({"template": "no-such"}, 404, "there is no template 'no-such'"),
        (
            {"template": "hello-kubernetes", "values": {"REPLICAS": "7"}},
            400,
            "variable REPLICAS: must be one of 1, 2, 3, not 7",
        ),
        ({"template": "hello-kubernetes", "values": ["x"]}, 400, "values must be an object"),
        ({"template": "hello-kubernetes", "values": []}, 400, "values must be an object"),
        ({"template": "hello-kubernetes", "values": None}, 400, "values must be an object"),
        ({"template": "hello-kubernetes", "nmae": "x"}, 400, "unknown in the request body: nmae"),
        ({"values": {}}, 400, "missing in the request body: template"),
        ({"template": "hello-kubernetes", "name": "Bad_Name"}, 400, "variable NAME"),
    ]
    for body, status, message in cases:
        answer = user_server.call("POST", "services", json=body)
        assert answer.status_code == status, (body, answer.text)
        assert message in answer.json()["message"], (body, answer.text)
    assert user_server.call("GET", "services").json() == []


def test_logs_of_an_unknown_service_are_a_404(user_server: Server) -> None:
    answer = user_server.call("GET", "services/nothing/logs")
    assert answer.status_code == 404
    assert answer.json() == {"message": "there is no service 'nothing'", "reason": "Not Found"}


def test_logs_tail_must_be_a_positive_number(user_server: Server) -> None:
    for tail in ("0", "-1", "x", "100001"):
        answer = user_server.call("GET", "services/nothing/logs", params={"tail": tail})
        assert answer.status_code == 400, tail
        assert answer.json()["message"] == "tail must be a whole number from 1 to 100000"


def test_logs_of_a_service_come_through_the_kubelet(user_server: Server) -> None:
    # The API server fetches them from the node's kubelet (on the dev cluster, the local
    # kubelet: an image it cannot run printed nothing, so the log is empty, not made up).
    launched = user_server.call("POST", "services", json={"template": "hello-kubernetes"})
    name = launched.json()["name"]
    try:
        pod = _wait_running(user_server, name)["pods"][0]
        answer = user_server.call("GET", f"services/{name}/logs", params={"tail": "5"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["name"] == name
        logs = answer.json()["logs"]
        assert list(logs) == [f"{pod}/hello-kubernetes"]
        assert isinstance(logs[f"{pod}/hello-kubernetes"], str)
    finally:
        user_server.call("DELETE", f"services/{name}")
