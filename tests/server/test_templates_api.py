"""Templates through the REST API, on the dev cluster, as a notebook pod's server sees
them: system templates listed with the user's own; add, read, refuse, delete."""

from __future__ import annotations

from .servers import Server

USER_TEMPLATE = """\
kind: Template
name: My Echo
description: echoes
variables:
- name: NAME
  default: echo
- name: WORD
  default: hello
---
apiVersion: v1
kind: Service
metadata:
  name: $NAME
spec:
  ports:
  - port: 80
  selector:
    app: $NAME
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $NAME
spec:
  selector:
    matchLabels:
      app: $NAME
  template:
    metadata:
      labels:
        app: $NAME
    spec:
      containers:
      - name: echo
        image: hashicorp/http-echo:0.2.3
        args: ["-text=$WORD"]
"""


def test_system_templates_are_listed_with_their_variables(user_server: Server) -> None:
    answer = user_server.call("GET", "templates")
    assert answer.status_code == 200, answer.text
    hello = next(t for t in answer.json() if t["id"] == "hello-kubernetes")
    assert hello["system"] is True
    assert hello["name"] == "Hello Kubernetes"
    assert [v["name"] for v in hello["variables"]] == ["NAME", "MESSAGE", "REPLICAS"]
    assert "source" not in hello


def test_a_user_template_is_added_read_listed_and_deleted(user_server: Server) -> None:
    added = user_server.call("POST", "templates", json={"source": USER_TEMPLATE})
    assert added.status_code == 201, added.text
    assert added.json()["id"] == "my-echo"
    assert added.json()["system"] is False
    assert added.headers["Location"].endswith("/karvdash/api/templates/my-echo")

    read = user_server.call("GET", "templates/my-echo")
    assert read.status_code == 200, read.text
    assert read.json()["source"] == USER_TEMPLATE
    listed = [t["id"] for t in user_server.call("GET", "templates").json()]
    assert "my-echo" in listed
    assert "hello-kubernetes" in listed

    again = user_server.call("POST", "templates", json={"source": USER_TEMPLATE})
    assert again.status_code == 409, again.text
    assert "my-echo" in again.json()["message"]

    deleted = user_server.call("DELETE", "templates/my-echo")
    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert user_server.call("GET", "templates/my-echo").status_code == 404


def test_a_template_can_be_stored_under_a_chosen_id(user_server: Server) -> None:
    added = user_server.call("POST", "templates", json={"source": USER_TEMPLATE, "id": "echo2"})
    assert added.status_code == 201, added.text
    assert user_server.call("GET", "templates/echo2").json()["name"] == "My Echo"
    assert user_server.call("DELETE", "templates/echo2").status_code == 204


def test_system_templates_cannot_be_deleted(user_server: Server) -> None:
    answer = user_server.call("DELETE", "templates/hello-kubernetes")
    assert answer.status_code == 403
    assert answer.json() == {
        "message": "'hello-kubernetes' is a system template; system templates are read-only",
        "reason": "Forbidden",
    }
    assert user_server.call("GET", "templates/hello-kubernetes").status_code == 200


def test_an_unknown_template_is_a_404(user_server: Server) -> None:
    answer = user_server.call("GET", "templates/no-such-thing")
    assert answer.status_code == 404
    assert answer.json() == {
        "message": "there is no template 'no-such-thing'",
        "reason": "Not Found",
    }


def test_invalid_templates_are_refused_and_nothing_is_stored(user_server: Server) -> None:
    before = user_server.call("GET", "templates").json()
    broken = USER_TEMPLATE.replace("kind: Deployment", "kind: ClusterRole")
    answer = user_server.call("POST", "templates", json={"source": broken})
    assert answer.status_code == 400, answer.text
    assert "ClusterRole" in answer.json()["message"]
    assert answer.json()["reason"] == "Bad Request"
    assert user_server.call("GET", "templates").json() == before


def test_malformed_requests_are_a_400_naming_the_problem(user_server: Server) -> None:
    cases = {
        b"{not json": "the request body is not valid JSON",
        b"[1]": "the request body must be a JSON object",
        b"{}": "missing in the request body: source",
        b'{"source": "x", "extra": 1}': "unknown in the request body: extra (allowed: id, source)",
        b'{"source": 5}': "source must be a non-empty string",
    }
    for body, message in cases.items():
        answer = user_server.call("POST", "templates", data=body)
        assert answer.status_code == 400, body
        assert answer.json() == {"message": message, "reason": "Bad Request"}
