"""The verbs' syntax: what is accepted and the clear refusals."""

from __future__ import annotations

import argparse

import pytest

from karvdash.commands.parser import UsageError, add_verb_parsers, parse_assignments


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="karvdash", exit_on_error=False)
    add_verb_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_assignments_keep_everything_after_the_first_equals_sign() -> None:
    assert parse_assignments(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}


@pytest.mark.parametrize("item", ["A", "=1", "1A=x", "A B=1", "A-B=1"])
def test_bad_assignments_are_refused(item: str) -> None:
    with pytest.raises(UsageError, match="expected VARIABLE=value"):
        parse_assignments([item])


def test_a_variable_given_twice_is_refused() -> None:
    with pytest.raises(UsageError, match="variable A is given twice"):
        parse_assignments(["A=1", "A=2"])


def test_launch_takes_template_values_name_and_common_options() -> None:
    args = _parse(["launch", "zeppelin", "CPU=2", "--name", "z", "-o", "json", "--user", "bob"])
    assert (args.verb, args.template, args.values, args.name) == (
        "launch",
        "zeppelin",
        ["CPU=2"],
        "z",
    )
    assert (args.output, args.user, args.namespace, args.kubeconfig) == ("json", "bob", None, None)


def test_template_actions() -> None:
    assert (_parse(["template", "add", "-"]).action, _parse(["template", "add", "-"]).file) == (
        "add",
        "-",
    )
    args = _parse(["template", "delete", "mine", "--output", "json"])
    assert (args.verb, args.action, args.id, args.output) == ("template", "delete", "mine", "json")


def test_defaults_are_a_table_and_the_environment() -> None:
    args = _parse(["services"])
    assert (args.verb, args.output, args.user, args.namespace) == ("services", "table", None, None)
