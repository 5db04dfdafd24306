"""A value never adds keys, objects or documents, whatever it contains."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karvdash.templates import parse_template, render

from .samples import SAMPLE, context

TEMPLATE = parse_template(SAMPLE, "sample")

ATTACKS = [
    "hello\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: stolen\n",
    "x\nhostNetwork: true\nprivileged: true",
    '{"privileged": true}',
    "{}",
    "[1, 2, 3]",
    "'; rm -rf / #",
    "\"quoted\" and 'single'",
    "$NAMESPACE ${HOSTNAME} $$NAME $PORT",
    "key: value",
    "- item",
    "&anchor *alias",
    "!!python/object:os.system ['id']",
    "\x00\t\r\n\u2028\u2029",
    "...",
    "true",
    "8080",
    "null",
    "",
]


def _paths(node: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON tree (list items by index)."""
    found = {prefix}
    if isinstance(node, dict):
        for key, value in node.items():
            found |= _paths(value, f"{prefix}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found |= _paths(item, f"{prefix}/{index}")
    return found


def _check_plain(value: str) -> None:
    reference = render(TEMPLATE, {"MESSAGE": "x"}, context())
    objects = render(TEMPLATE, {"MESSAGE": value}, context())
    assert len(objects) == len(reference)
    assert [_paths(o) for o in objects] == [_paths(o) for o in reference]
    assert json.loads(json.dumps(objects)) == objects
    container = objects[1]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][1] == value
    assert {"name": "MESSAGE", "value": value} in container["env"]
    assert [o["metadata"]["name"] for o in objects] == ["web", "web", "web"]
    assert objects[0]["metadata"]["namespace"] == "karvdash-alice"


@pytest.mark.parametrize("value", ATTACKS)
def test_attack_values_stay_plain_strings(value: str) -> None:
    _check_plain(value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_stays_one_plain_string(value: str) -> None:
    _check_plain(value)


@settings(max_examples=100, deadline=None)
@given(st.from_regex(r"[-\n{}\[\]:'\"$&*!|>#%@`, ]{0,40}", fullmatch=True))
def test_yaml_punctuation_stays_one_plain_string(value: str) -> None:
    _check_plain(value)
