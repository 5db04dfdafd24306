"""Substitution of ``$VAR`` and ``${VAR}`` in parsed YAML values (never in raw text).

A reference is ``$`` followed by an upper-case name (``$PORT``, ``${PORT}``); ``$$`` is a
literal ``$``; anything else (``$home``, ``$(VAR)``, a lone ``$``) stays as it is.

A string that is exactly one reference, written as a plain (unquoted) YAML scalar,
becomes the value itself with its type (``replicas: $REPLICAS`` gives an integer);
quoted (``value: "$PORT"``) or inside a longer string it becomes text. A value is
inserted as one string or scalar and never parsed again, so nothing it contains (new
lines, ``---``, ``{}``, quotes, ``$OTHER``) can add keys, objects or documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from .model import Value

REFERENCE = re.compile(r"\$(?:(\$)|\{([A-Z][A-Z0-9_]*)\}|([A-Z][A-Z0-9_]*))")
_WHOLE = re.compile(r"^\$(?:\{([A-Z][A-Z0-9_]*)\}|([A-Z][A-Z0-9_]*))$")


class Quoted(str):
    """A quoted YAML scalar holding a ``$``: ``"$PORT"`` stays a string."""

    __slots__ = ()


def references(text: str) -> Iterator[str]:
    """The variable names ``text`` refers to, in order (escapes skipped)."""
    for match in REFERENCE.finditer(text):
        if match.group(1) is None:
            yield match.group(2) or match.group(3)


def whole_reference(text: str) -> str | None:
    """The name when ``text`` is exactly one reference (``$X`` or ``${X}``)."""
    match = _WHOLE.match(text)
    return (match.group(1) or match.group(2)) if match else None


def as_text(value: Value) -> str:
    """A value inside a longer string: booleans as ``true``/``false``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def substitute_string(text: str, values: Mapping[str, Value]) -> Value:
    """One string with its references replaced (typed when it is a plain whole one)."""
    if "$" not in text:
        return str(text)
    whole = whole_reference(text)
    if whole is not None and not isinstance(text, Quoted):
        return values[whole]

    def replace(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return "$"
        return as_text(values[match.group(2) or match.group(3)])

    return REFERENCE.sub(replace, text)


def substitute(node: Any, values: Mapping[str, Value]) -> Any:
    """A copy of ``node`` (parsed YAML) with every string value substituted.

    Keys are copied as they are (templates may not use variables in keys). Every
    referenced name must be in ``values`` (the parser checked that).
    """
    if isinstance(node, dict):
        return {key: substitute(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [substitute(item, values) for item in node]
    if isinstance(node, str):
        return substitute_string(node, values)
    return node
