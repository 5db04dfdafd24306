"""A notebook user on the dev cluster: templates, launch, watch, stop, and templates
from a cell, with the magics of a real IPython shell and the user's service account."""

from __future__ import annotations

import time
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from karvdash.commands.output import Rich
from karvdash.magics import KarvdashMagicError

CELL_TEMPLATE = """\
kind: Template
name: Cell Echo
description: an echo server from a notebook cell
variables:
- name: WORD
  default: hi
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
    args: ["-text=$WORD"]
"""


def _services(shell: InteractiveShell) -> list[dict[str, Any]]:
    return list(shell.run_line_magic("karvdash", "services -o json"))


def _wait_running(shell: InteractiveShell, name: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = {s["name"]: s for s in _services(shell)}
        if found.get(name, {}).get("status") == "Running":
            return found[name]
        time.sleep(0.3)
    raise AssertionError(f"{name} is not Running: {_services(shell)}")


def test_templates_are_a_table_with_the_system_ones(
    shell: InteractiveShell, user_env: tuple[str, str]
) -> None:
    result = shell.run_line_magic("karvdash", "templates")
    assert isinstance(result, Rich)
    rows = repr(result).splitlines()
    assert rows[0].split()[:3] == ["ID", "NAME", "ORIGIN"]
    hello = next(r for r in rows if r.startswith("hello-kubernetes "))
    assert "Hello Kubernetes" in hello
    assert "MESSAGE=Hello from Karvdash!" in hello
    redis = next(r for r in rows if r.startswith("redis "))
    assert "PASSWORD (secret)" in redis


def test_launch_watch_and_stop_from_a_notebook(
    shell: InteractiveShell, user_env: tuple[str, str]
) -> None:
    user, _ = user_env
    launched = shell.run_line_magic(
        "karvdash", "launch hello-kubernetes 'MESSAGE=<b>hi</b>' REPLICAS=2 --name web"
    )
    url = f"https://web-{user}.karvdash.localtest.me/"
    html = launched._repr_html_()
    assert "launched service web" in html
    assert f'<a href="{url}" target="_blank" rel="noopener noreferrer">web</a>' in html
    assert "<b>hi</b>" not in html

    service = _wait_running(shell, "web")
    assert service["values"] == {"MESSAGE": "<b>hi</b>", "REPLICAS": 2}
    assert service["url"] == url
    text = repr(shell.run_line_magic("karvdash", "services"))
    assert text.splitlines()[1].split()[:3] == ["web", "hello-kubernetes", "Running"]

    stopped = shell.run_line_magic("karvdash", "stop web")
    assert repr(stopped).startswith("removed service web (")
    assert "Deployment/web" in repr(stopped)
    assert _services(shell) == []
    assert "no services" in shell.run_line_magic("karvdash", "services")._repr_html_()


def test_stopping_an_unknown_service_is_one_clear_line(
    shell: InteractiveShell, user_env: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = shell.run_cell("%karvdash stop nothing")
    assert isinstance(result.error_in_exec, KarvdashMagicError)
    out = capsys.readouterr()
    assert (out.out + out.err).strip() == "karvdash: error: there is no service 'nothing'"


def test_a_cell_becomes_a_user_template_that_launches(
    shell: InteractiveShell, user_env: tuple[str, str]
) -> None:
    added = shell.run_cell_magic("karvdash", "template --id cell-echo", CELL_TEMPLATE)
    assert repr(added).splitlines()[0] == "added template cell-echo"
    source = shell.run_line_magic("karvdash", "template get cell-echo")
    assert repr(source) == CELL_TEMPLATE.rstrip("\n")
    try:
        launched = shell.run_line_magic("karvdash", "launch cell-echo WORD=yo -o json")
        assert launched["template"] == "cell-echo"
        assert launched["values"] == {"WORD": "yo"}
        assert _wait_running(shell, launched["name"])["template"] == "cell-echo"
        shell.run_line_magic("karvdash", f"stop {launched['name']}")
    finally:
        deleted = shell.run_line_magic("karvdash", "template delete cell-echo")
    assert repr(deleted) == "deleted template cell-echo"
    ids = [t["id"] for t in shell.run_line_magic("karvdash", "templates -o json")]
    assert "cell-echo" not in ids


def test_an_invalid_cell_template_is_refused(
    shell: InteractiveShell, user_env: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    result = shell.run_cell("%%karvdash template\nkind: Template\nname: x\n")
    assert isinstance(result.error_in_exec, KarvdashMagicError)
    out = capsys.readouterr()
    line = (out.out + out.err).strip()
    assert line.startswith("karvdash: error: ")
    assert "\n" not in line


async def test_magics_work_while_the_kernel_runs_an_event_loop(
    shell: InteractiveShell, user_env: tuple[str, str]
) -> None:
    # an IPython kernel calls magics from inside its running loop, as here
    assert _services(shell) == []
    templates = shell.run_line_magic("karvdash", "templates -o json")
    assert "hello-kubernetes" in [t["id"] for t in templates]
