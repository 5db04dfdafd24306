"""docs/openapi.yaml as the tests use it: every answer of the REST API in these tests is
checked against it (status documented, body valid against the schema)."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import requests
import yaml
from jsonschema import Draft202012Validator

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@functools.cache
def document() -> dict[str, Any]:
    return dict(yaml.safe_load(DOC.read_text()))


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")


def operation_for(method: str, api_path: str) -> dict[str, Any] | None:
    """The documented operation for ``method`` on ``/services/web/logs``-like paths."""
    for path, item in document()["paths"].items():
        if _pattern(path).match(api_path):
            return item.get(method.lower())  # type: ignore[no-any-return]
    return None


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if not ref:
        return node
    target: Any = document()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def schema_errors(schema: dict[str, Any], value: Any) -> list[str]:
    validator = Draft202012Validator({**schema, "components": document()["components"]})
    errors = validator.iter_errors(value)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors]


def check_answer(method: str, api_path: str, answer: requests.Response) -> None:
    """Fail unless ``answer`` is what docs/openapi.yaml says this operation answers."""
    operation = operation_for(method, api_path)
    if operation is None:  # unknown path or method: the one error shape
        assert answer.status_code in (403, 404, 405), answer.text
        assert not schema_errors({"$ref": "#/components/schemas/Error"}, answer.json())
        return
    documented = operation["responses"]
    status = str(answer.status_code)
    if status == "500":
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Error"}
    else:
        assert status in documented, f"{method} {api_path}: {status} is not documented"
        content = _resolve(documented[status]).get("content")
        if not content:
            assert answer.content == b"", answer.content
            return
        schema = content["application/json"]["schema"]
    assert answer.headers["Content-Type"].startswith("application/json")
    errors = schema_errors(schema, answer.json())
    assert not errors, f"{method} {api_path} {status} does not match docs/openapi.yaml: {errors}"
