"""The ``karvdash`` command without a cluster: exit codes, one-line errors, help."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import run_karvdash


def test_info_as_a_table_and_as_json() -> None:
    table = run_karvdash("info", env={"KARVDASH_USER": "alice"})
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["SETTING", "VALUE"]
    assert lines[1].split() == ["user", "alice"]
    assert lines[2].split() == ["namespace", "karvdash-alice"]

    data = json.loads(run_karvdash("info", "-o", "json", env={"KARVDASH_USER": "alice"}).stdout)
    assert data["service_url"] == "https://{name}-alice.karvdash.localtest.me/"


def test_user_and_namespace_from_options_then_environment() -> None:
    env = {"KARVDASH_USER": "alice", "KARVDASH_NAMESPACE": "team-a", "JUPYTERHUB_USER": "x"}
    data = json.loads(run_karvdash("info", "-o", "json", env=env).stdout)
    assert (data["user"], data["namespace"]) == ("alice", "team-a")
    data = json.loads(run_karvdash("info", "-o", "json", env={"JUPYTERHUB_USER": "Bob.B"}).stdout)
    assert data["user"] == "Bob.B"
    assert data["namespace"].startswith("karvdash-bob-b---")
    data = json.loads(run_karvdash("info", "-o", "json", "--user", "carol", env=env).stdout)
    assert (data["user"], data["namespace"]) == ("carol", "team-a")


def test_settings_come_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "karvdash.json"
    config.write_text(json.dumps({"Karvdash": {"ingress_domain": "apps.example.org"}}))
    answer = run_karvdash("info", "-o", "json", "--config", str(config), "--user", "dee")
    assert json.loads(answer.stdout)["service_url"] == "https://{name}-dee.apps.example.org/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("launch", "hello", "A"), "karvdash: error: expected VARIABLE=value, not 'A'\n"),
        (("launch", "hello", "A=1", "A=2"), "karvdash: error: variable A is given twice\n"),
    ],
)
def test_bad_variables_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    answer = run_karvdash(*args, env={"KARVDASH_USER": "alice"})
    assert (answer.returncode, answer.stdout, answer.stderr) == (2, "", message)


@pytest.mark.parametrize(
    "args",
    [("launch",), ("logs", "web", "--tail", "0"), ("services", "-o", "yaml"), ("template",)],
)
def test_wrong_command_lines_exit_2_with_usage(args: tuple[str, ...]) -> None:
    answer = run_karvdash(*args)
    assert answer.returncode == 2
    assert answer.stdout == ""
    assert "usage: karvdash" in answer.stderr


def test_no_cluster_is_one_line_and_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    answer = run_karvdash("services", "--kubeconfig", str(missing), "--user", "alice")
    assert answer.returncode == 1
    assert answer.stdout == ""
    assert answer.stderr == (
        f"karvdash: error: cannot use Kubernetes: no kubeconfig at {missing} "
        "and not running in a cluster\n"
    )


def test_unusable_settings_are_one_line_and_exit_1(tmp_path: Path) -> None:
    answer = run_karvdash("info", env={"KARVDASH_NAMESPACE_PREFIX": "Bad!", "KARVDASH_USER": "a"})
    assert answer.returncode == 1
    assert answer.stderr.startswith("karvdash: error: the Karvdash settings are unusable: ")
    assert answer.stderr.count("\n") == 1


def test_help_names_every_verb() -> None:
    answer = run_karvdash("--help")
    assert answer.returncode == 0
    for verb in ("dev", "templates", "services", "launch", "logs", "stop", "template", "info"):
        assert verb in answer.stdout
