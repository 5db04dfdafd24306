"""The values a user gives: checked against each variable's rules and typed.

Every refusal is an :class:`~.model.InvalidValue` naming the variable and the rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .model import BUILTIN_VARIABLES, InvalidValue, Template, Value, Variable

MAX_NAME_LENGTH = 32
"""Longest service name: ``<name>-<user slug>`` must fit in one 63-character DNS label."""

MAX_VALUE_LENGTH = 16 * 1024
"""Longest string value, in characters."""

_SERVICE_NAME = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_INTEGER = re.compile(r"^[+-]?[0-9]{1,18}$")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def is_service_name(name: object) -> bool:
    """A DNS label of at most :data:`MAX_NAME_LENGTH` characters, starting with a letter."""
    return (
        isinstance(name, str) and len(name) <= MAX_NAME_LENGTH and bool(_SERVICE_NAME.match(name))
    )


def check_service_name(name: object) -> str:
    """``name`` if it is a valid service name; :class:`InvalidValue` for ``NAME`` if not."""
    if not is_service_name(name):
        raise InvalidValue(
            "NAME",
            f"the service name {name!r} must be lower-case letters, digits and '-', start "
            f"with a letter, end with a letter or digit and have at most {MAX_NAME_LENGTH} "
            "characters",
        )
    assert isinstance(name, str)
    return name


def coerce(variable: Variable, raw: object) -> Value:
    """``raw`` as a value of ``variable``'s type, if it follows every rule of it.

    Strings are taken as they are, whatever they contain; integers and booleans are
    accepted typed or as their usual spellings (``"8080"``, ``"true"``, ``"no"``).
    """
    name = variable.name
    value: Value
    if variable.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise InvalidValue(name, f"must be an integer, not {_show(raw)}")
        if isinstance(raw, str):
            if not _INTEGER.match(raw.strip()):
                raise InvalidValue(name, f"must be an integer, not {_show(raw)}")
            raw = int(raw.strip())
        value = raw
    elif variable.type == "boolean":
        if isinstance(raw, str) and raw.strip().lower() in _TRUE + _FALSE:
            raw = raw.strip().lower() in _TRUE
        if not isinstance(raw, bool):
            raise InvalidValue(name, f"must be true or false, not {_show(raw)}")
        value = raw
    else:
        if not isinstance(raw, str):
            raise InvalidValue(name, f"must be a string, not {_show(raw)}")
        if len(raw) > MAX_VALUE_LENGTH:
            raise InvalidValue(name, f"must be at most {MAX_VALUE_LENGTH} characters long")
        if variable.required and not raw.strip():
            raise InvalidValue(name, "is required and cannot be empty")
        if variable.pattern is not None and not re.fullmatch(variable.pattern, raw):
            raise InvalidValue(name, f"must match the pattern {variable.pattern!r}")
        value = raw
    if variable.choices and value not in variable.choices:
        allowed = ", ".join(_show(c) for c in variable.choices)
        raise InvalidValue(name, f"must be one of {allowed}, not {_show(value)}")
    return value


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return repr(shown)
    if value is None:
        return "nothing (null)"
    return repr(value) if isinstance(value, int | float) else type(value).__name__


def resolve_values(template: Template, values: Mapping[str, Any]) -> dict[str, Value]:
    """Every variable of ``template`` except ``NAME``, from ``values`` or its default.

    Refused: names that are not variables of the template, built-in variables other
    than ``NAME`` (which the caller handles), values that break a rule, and missing
    values of variables without a default.
    """
    if not isinstance(values, Mapping):
        raise InvalidValue("values", "must be a mapping of variable names to values")
    for key in values:
        if not isinstance(key, str):
            raise InvalidValue(repr(key), "a variable name must be a string")
        if key in BUILTIN_VARIABLES and key != "NAME":
            raise InvalidValue(key, "is set by Karvdash and cannot be given")
        if template.variable(key) is None:
            names = ", ".join(v.name for v in template.variables) or "none"
            raise InvalidValue(
                key, f"is not a variable of template {template.id} (its variables: {names})"
            )
    resolved: dict[str, Value] = {}
    for variable in template.variables:
        if variable.name == "NAME":
            continue
        if variable.name in values and values[variable.name] is not None:
            resolved[variable.name] = coerce(variable, values[variable.name])
        elif variable.default is not None:
            resolved[variable.name] = variable.default
        elif variable.type == "string" and not variable.required:
            resolved[variable.name] = ""
        else:
            raise InvalidValue(variable.name, "is required: give a value")
    return resolved
