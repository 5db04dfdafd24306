"""The magics in a real IPython shell, without a cluster: output objects, usage errors,
and one-line errors instead of tracebacks."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from karvdash.commands.output import Rich
from karvdash.magics import KarvdashMagicError


def test_info_is_a_rich_table_with_html_and_text(shell: InteractiveShell) -> None:
    result = shell.run_line_magic("karvdash", "info")
    assert isinstance(result, Rich)
    html = result._repr_html_()
    assert html.startswith('<table class="karvdash-table">')
    assert "<td>karvdash-alice</td>" in html
    lines = repr(result).splitlines()
    assert lines[0].split() == ["SETTING", "VALUE"]
    assert lines[1].split() == ["user", "alice"]


def test_json_output_returns_the_data(shell: InteractiveShell) -> None:
    data = shell.run_line_magic("karvdash", "info -o json")
    assert data["user"] == "alice"
    assert data["service_url"] == "https://{name}-alice.karvdash.localtest.me/"


def test_user_and_namespace_options(shell: InteractiveShell) -> None:
    data = shell.run_line_magic("karvdash", "info -o json --user bob --namespace team")
    assert (data["user"], data["namespace"]) == ("bob", "team")


def test_help_prints_and_returns_nothing(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    assert shell.run_line_magic("karvdash", "--help") is None
    out = capsys.readouterr().out
    assert "usage: %karvdash" in out
    for verb in ("templates", "services", "launch", "logs", "stop", "template", "info"):
        assert verb in out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "the following arguments are required: VERB"),
        ("launch", "the following arguments are required: template"),
        ("launch hello A", "expected VARIABLE=value, not 'A'"),
        ("launch hello A=1 A=2", "variable A is given twice"),
        ("logs web --tail 0", "expected a positive whole number"),
        ("frobnicate", "invalid choice: 'frobnicate'"),
        ("services 'unbalanced", "No closing quotation"),
    ],
)
def test_usage_errors_are_ipython_usage_errors(
    shell: InteractiveShell, line: str, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        shell.run_line_magic("karvdash", line)


def test_the_cell_magic_is_only_for_templates(shell: InteractiveShell) -> None:
    with pytest.raises(UsageError, match="the cell magic is `%%karvdash template"):
        shell.run_cell_magic("karvdash", "services", "x")


def test_failures_are_one_line_without_a_traceback(
    shell: InteractiveShell,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KUBECONFIG", "/nonexistent/kubeconfig")
    result = shell.run_cell("%karvdash services")
    assert isinstance(result.error_in_exec, KarvdashMagicError)
    out = capsys.readouterr()
    shown = (out.out + out.err).strip().splitlines()
    assert shown == [
        "karvdash: error: cannot use Kubernetes: no kubeconfig at /nonexistent/kubeconfig "
        "and not running in a cluster"
    ]
