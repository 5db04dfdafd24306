"""What a service template is: its variables, its objects, and the errors about them."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import InvalidRequest

VariableType = Literal["string", "integer", "boolean"]
Value = str | int | bool

BUILTIN_VARIABLES = ("NAME", "NAMESPACE", "HOSTNAME", "REGISTRY", "LOCAL", "REMOTE", "SHARED")
"""Variables Karvdash sets itself. Templates may declare ``NAME`` (its default is the
default service name); users never set the others."""


class TemplateError(InvalidRequest):
    """A template does not follow the rules; the message names the document and field.

    ``document`` is a short description such as ``document 2 (Deployment $NAME)`` or
    ``the Template document``; ``field`` is a dotted path such as
    ``spec.template.spec.containers[0].image`` (either may be empty).
    """

    def __init__(self, message: str, *, document: str = "", field: str = "") -> None:
        where = ": ".join(p for p in (document, field) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.document = document
        self.field = field
        self.detail = message


class InvalidValue(InvalidRequest):
    """A value given for a variable is refused; the message names it and the rule broken."""

    def __init__(self, variable: str, rule: str) -> None:
        super().__init__(f"variable {variable}: {rule}")
        self.variable = variable
        self.rule = rule


@dataclass(frozen=True)
class Variable:
    """A variable the user may set when launching a template.

    ``default`` has the variable's type (``None``: no default). ``choices``, when not
    empty, lists every accepted value; ``pattern`` is a regular expression a string
    value must match entirely; ``required`` refuses an empty string; ``secret`` values
    (passwords) are not recorded with the service and forms hide them.
    """

    name: str
    default: Value | None = None
    help: str = ""
    type: VariableType = "string"
    choices: tuple[Value, ...] = ()
    required: bool = False
    pattern: str | None = None
    secret: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "default": self.default,
            "help": self.help,
            "type": self.type,
            "choices": list(self.choices),
            "required": self.required,
            "pattern": self.pattern,
            "secret": self.secret,
        }


@dataclass(frozen=True)
class Template:
    """A parsed, validated template.

    ``id`` names it (the file name without ``.template.yaml`` for system templates, the
    custom resource's name for user templates); ``source`` is the original YAML;
    ``objects`` are the Kubernetes documents with their ``$VARIABLES`` still in place.
    ``variables`` are the ones a user may set, ``NAME`` first (always present).
    """

    id: str
    name: str
    description: str
    singleton: bool
    variables: tuple[Variable, ...]
    source: str
    system: bool
    objects: tuple[dict[str, Any], ...] = field(repr=False, default=())

    def variable(self, name: str) -> Variable | None:
        for variable in self.variables:
            if variable.name == name:
                return variable
        return None

    @property
    def kinds(self) -> list[str]:
        """Kinds of the objects, in template order."""
        return [str(obj["kind"]) for obj in self.objects]

    def copy_objects(self) -> list[dict[str, Any]]:
        """A deep copy of the objects, safe to modify."""
        return copy.deepcopy(list(self.objects))

    def to_json(self, *, source: bool = False) -> dict[str, Any]:
        """Plain JSON for the REST API (``source`` adds the original YAML)."""
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "singleton": self.singleton,
            "system": self.system,
            "variables": [v.to_json() for v in self.variables],
            "kinds": self.kinds,
        }
        if source:
            data["source"] = self.source
        return data


@dataclass(frozen=True)
class RenderContext:
    """What Karvdash fills in for one service: the built-in variables and the ingress.

    ``storage`` maps each storage domain's name to its mount path (``local`` ->
    ``/local``): ``$LOCAL``, ``$REMOTE`` and ``$SHARED`` are the mount paths of the
    domains of those names (empty when there is no such domain). Build it with
    :func:`karvdash.templates.render.context_for`.
    """

    name: str
    namespace: str
    hostname: str
    registry: str
    storage: tuple[tuple[str, str], ...]
    ingress_class: str
    tls_secret_name: str
    ingress_annotations: tuple[tuple[str, str], ...] = ()

    def builtins(self) -> dict[str, str]:
        """The built-in variables and their values."""
        values = {
            "NAME": self.name,
            "NAMESPACE": self.namespace,
            "HOSTNAME": self.hostname,
            "REGISTRY": self.registry,
        }
        mounts = dict(self.storage)
        for name in ("LOCAL", "REMOTE", "SHARED"):
            values[name] = mounts.get(name.lower(), "")
        return values
