"""docs/openapi.yaml documents exactly the route table: the same paths, the same methods,
the same path parameters; it is valid OpenAPI 3.1; every operation needs credentials
and documents the refusal. (Every answer in the other tests is checked against it.)"""

from __future__ import annotations

import re

from openapi_spec_validator import validate

from .openapi import document
from .routes import endpoints

METHODS = ("get", "post", "put", "patch", "delete")


def _documented() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in document()["paths"].items()
        for method in item
        if method in METHODS
    }


def test_openapi_documents_exactly_the_routes() -> None:
    routes = set(endpoints())
    documented = _documented()
    assert routes - documented == set(), "routes missing from docs/openapi.yaml"
    assert documented - routes == set(), "docs/openapi.yaml documents routes that do not exist"


def test_the_document_is_valid_openapi() -> None:
    validate(document())  # type: ignore[arg-type]


def test_path_parameters_are_declared() -> None:
    for path, item in document()["paths"].items():
        names = set(re.findall(r"\{(\w+)\}", path))
        declared = set()
        for param in item.get("parameters", []):
            ref = param["$ref"].rsplit("/", 1)[-1]
            declared.add(document()["components"]["parameters"][ref]["name"])
        assert names == declared, path


def test_every_operation_needs_credentials_and_documents_the_refusal() -> None:
    assert document()["security"] == [{"token": []}, {"cookie": []}]
    for path, item in document()["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                assert "security" not in operation, f"{method} {path} overrides security"
                assert "403" in operation["responses"], f"{method} {path}"
