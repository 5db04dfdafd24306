"""``karvdash`` in a notebook pod's terminal on the dev cluster: launch, watch, read
logs, stop; user templates from a file and from standard input; clear refusals."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .conftest import Run

TEMPLATE = """\
kind: Template
name: Term Echo
description: an echo server from a terminal
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
apiVersion: v1
kind: Pod
metadata:
  name: $NAME
  labels:
    app: $NAME
spec:
  containers:
  - name: echo
    image: hashicorp/http-echo:0.2.3
"""


def _json(karvdash: Run, *args: str) -> Any:
    answer = karvdash(*args, "-o", "json")
    assert answer.returncode == 0, answer.stderr
    return json.loads(answer.stdout)


def _wait_running(karvdash: Run, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {s["name"]: s for s in _json(karvdash, "services")}
        if found.get(name, {}).get("status") == "Running":
            return dict(found[name])
        time.sleep(0.3)
    raise AssertionError(f"{name} did not run")


def test_templates_table_lists_the_system_templates(karvdash: Run) -> None:
    answer = karvdash("templates")
    assert answer.returncode == 0, answer.stderr
    lines = answer.stdout.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ORIGIN", "SINGLETON", "VARIABLES", "DESCRIPTION"]
    assert any(line.startswith("hello-kubernetes ") for line in lines)


def test_launch_watch_logs_and_stop(karvdash: Run, cli_user: tuple[str, str, Path]) -> None:
    user = cli_user[0]
    assert karvdash("services").stdout == "no services; start one with `launch TEMPLATE`\n"

    launched = karvdash("launch", "hello-kubernetes", "MESSAGE=hi there", "--name", "web")
    assert launched.returncode == 0, launched.stderr
    lines = launched.stdout.splitlines()
    assert lines[0] == "launched service web"
    assert lines[1].split() == ["NAME", "TEMPLATE", "STATUS", "CREATED", "URL"]
    assert lines[2].split()[0] == "web"
    assert lines[2].split()[-1] == f"https://web-{user}.karvdash.localtest.me/"

    service = _wait_running(karvdash, "web")
    assert service["values"]["MESSAGE"] == "hi there"
    table = karvdash("services").stdout.splitlines()
    assert table[1].split()[:3] == ["web", "hello-kubernetes", "Running"]

    # the kubelet serves the container's log (the dev cluster's: empty, the image cannot run)
    logs = karvdash("logs", "web", "--tail", "10", "-o", "json")
    assert logs.returncode == 0, logs.stderr
    data = json.loads(logs.stdout)
    assert data["name"] == "web"
    assert list(data["logs"]) == [f"{service['pods'][0]}/hello-kubernetes"]
    assert logs.stderr == ""

    stopped = karvdash("stop", "web", "-o", "json")
    assert stopped.returncode == 0, stopped.stderr
    data = json.loads(stopped.stdout)
    assert data["name"] == "web"
    assert {"kind": "Deployment", "name": "web"} in data["objects"]
    assert _json(karvdash, "services") == []

    again = karvdash("stop", "web")
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr == "karvdash: error: there is no service 'web'\n"


def test_refused_values_change_nothing(karvdash: Run) -> None:
    answer = karvdash("launch", "hello-kubernetes", "REPLICAS=9")
    assert answer.returncode == 1
    assert answer.stderr == ("karvdash: error: variable REPLICAS: must be one of 1, 2, 3, not 9\n")
    assert _json(karvdash, "services") == []


def test_user_templates_from_a_file_and_from_stdin(karvdash: Run, tmp_path: Path) -> None:
    path = tmp_path / "echo.template.yaml"
    path.write_text(TEMPLATE)
    added = karvdash("template", "add", str(path))
    assert added.returncode == 0, added.stderr
    assert added.stdout.splitlines()[0] == "added template term-echo"
    assert karvdash("template", "get", "term-echo").stdout == TEMPLATE

    taken = karvdash("template", "add", str(path))
    assert taken.returncode == 1
    assert "there is already a user template 'term-echo'" in taken.stderr

    piped = karvdash("template", "add", "-", "--id", "piped-echo", "-o", "json", stdin=TEMPLATE)
    assert piped.returncode == 0, piped.stderr
    assert json.loads(piped.stdout)["id"] == "piped-echo"

    ids = [t["id"] for t in _json(karvdash, "templates")]
    assert {"term-echo", "piped-echo", "hello-kubernetes"} <= set(ids)
    for template_id in ("term-echo", "piped-echo"):
        deleted = karvdash("template", "delete", template_id)
        assert deleted.stdout == f"deleted template {template_id}\n"
    assert karvdash("template", "get", "term-echo").stderr == (
        "karvdash: error: there is no template 'term-echo'\n"
    )


def test_a_missing_template_file_is_one_line(karvdash: Run, tmp_path: Path) -> None:
    answer = karvdash("template", "add", str(tmp_path / "missing.yaml"))
    assert answer.returncode == 1
    assert answer.stderr.startswith(f"karvdash: error: cannot read the template file {tmp_path}")
    assert answer.stderr.count("\n") == 1


def test_system_templates_cannot_be_deleted(karvdash: Run) -> None:
    answer = karvdash("template", "delete", "hello-kubernetes")
    assert answer.returncode == 1
    assert answer.stderr == (
        "karvdash: error: 'hello-kubernetes' is a system template; system templates are read-only\n"
    )
