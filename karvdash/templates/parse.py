"""Reading a template: YAML documents -> a validated :class:`~.model.Template`.

Everything a template can get wrong is found here, before anything is stored or
created, and reported as a :class:`~.model.TemplateError` naming the document and the
field. The checks on the objects are in :mod:`.checks`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from .checks import check_objects
from .model import (
    BUILTIN_VARIABLES,
    InvalidValue,
    Template,
    TemplateError,
    Value,
    Variable,
    VariableType,
)
from .substitute import Quoted
from .values import MAX_NAME_LENGTH, coerce, is_service_name

MAX_SOURCE_LENGTH = 256 * 1024
"""Largest template accepted, in characters (a custom resource must fit in etcd)."""

VARIABLE_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
TEMPLATE_ID = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_TEMPLATE_KEYS = {"apiVersion", "kind", "name", "description", "singleton", "variables"}
_VARIABLE_KEYS = {"name", "default", "help", "type", "choices", "required", "pattern", "secret"}
_TYPES = ("string", "integer", "boolean")
TEMPLATE_DOC = "the Template document"


class _Loader(yaml.SafeLoader):
    """Safe loader that remembers which scalars were quoted."""


def _construct_str(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    value = loader.construct_scalar(node)
    if node.style in ('"', "'") and "$" in value:
        return Quoted(value)
    return str(value)


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)


def load_documents(text: str) -> list[Any]:
    """The YAML documents of ``text`` (empty ones dropped); no anchors or aliases."""
    if not isinstance(text, str):
        raise TemplateError("a template is YAML text")
    if len(text) > MAX_SOURCE_LENGTH:
        raise TemplateError(f"the template is larger than {MAX_SOURCE_LENGTH // 1024} KiB")
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise TemplateError(
                    f"line {line}: YAML anchors and aliases are not allowed in templates"
                )
        documents = list(yaml.load_all(text, Loader=_Loader))
    except yaml.YAMLError as exc:
        raise TemplateError(f"not valid YAML: {_yaml_problem(exc)}") from None
    return [d for d in documents if d is not None]


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
    return str(problem)


def parse_template(text: str, template_id: str, *, system: bool = False) -> Template:
    """Parse and validate a template; raises :class:`TemplateError` on any problem."""
    if not isinstance(template_id, str) or not TEMPLATE_ID.match(template_id):
        raise TemplateError(
            f"template id {template_id!r} must be lower-case letters, digits and dashes"
        )
    if len(template_id) > 63:
        raise TemplateError(f"template id {template_id!r} is longer than 63 characters")
    documents = load_documents(text)
    meta_docs: list[Mapping[str, Any]] = []
    objects: list[tuple[int, dict[str, Any]]] = []
    for index, doc in enumerate(documents, start=1):
        if not isinstance(doc, dict):
            raise TemplateError(
                f"must be a mapping (a Kubernetes object), not {type(doc).__name__}",
                document=f"document {index}",
            )
        if doc.get("kind") == "Template" and "metadata" not in doc:
            meta_docs.append(doc)
        else:
            objects.append((index, doc))
    if len(meta_docs) != 1:
        found = "none" if not meta_docs else f"{len(meta_docs)}"
        raise TemplateError(
            f"a template needs exactly one 'kind: Template' document, found {found}"
        )
    meta = meta_docs[0]
    unknown = sorted(set(meta) - _TEMPLATE_KEYS)
    if unknown:
        raise TemplateError(
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_TEMPLATE_KEYS))}",
            document=TEMPLATE_DOC,
        )
    name = meta.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise TemplateError(
            "must be a non-empty string of at most 100 characters",
            document=TEMPLATE_DOC,
            field="name",
        )
    description = meta.get("description", "")
    if description is None:
        description = ""
    if not isinstance(description, str):
        raise TemplateError("must be a string", document=TEMPLATE_DOC, field="description")
    singleton = meta.get("singleton", False)
    if not isinstance(singleton, bool):
        raise TemplateError("must be true or false", document=TEMPLATE_DOC, field="singleton")
    variables = _parse_variables(meta.get("variables"), template_id)
    if not objects:
        raise TemplateError("a template needs at least one Kubernetes object (a Service)")
    check_objects(objects, {v.name for v in variables} | set(BUILTIN_VARIABLES))
    return Template(
        id=template_id,
        name=name.strip(),
        description=description.strip(),
        singleton=singleton,
        variables=variables,
        source=text,
        system=system,
        objects=tuple(doc for _, doc in objects),
    )


def _parse_variables(raw: Any, template_id: str) -> tuple[Variable, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise TemplateError("must be a list", document=TEMPLATE_DOC, field="variables")
    variables: list[Variable] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = f"variables[{index}]"
        if not isinstance(item, dict):
            raise TemplateError("must be a mapping with a name", document=TEMPLATE_DOC, field=where)
        variable = _parse_variable(item, where)
        if variable.name in seen:
            raise TemplateError(
                f"variable {variable.name} is declared twice", document=TEMPLATE_DOC, field=where
            )
        seen.add(variable.name)
        variables.append(variable)
    if "NAME" not in seen:
        default = template_id[:MAX_NAME_LENGTH].rstrip("-")
        if not default[:1].isalpha():
            default = f"s{default}"[:MAX_NAME_LENGTH]
        variables.append(Variable("NAME", default, "Name of the service."))
    variables.sort(key=lambda v: v.name != "NAME")
    return tuple(variables)


def _parse_variable(item: Mapping[str, Any], where: str) -> Variable:
    unknown = sorted(set(item) - _VARIABLE_KEYS)
    if unknown:
        raise TemplateError(
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_VARIABLE_KEYS))}",
            document=TEMPLATE_DOC,
            field=where,
        )
    name = item.get("name")
    if not isinstance(name, str) or not VARIABLE_NAME.match(name):
        raise TemplateError(
            f"name {name!r} must be upper-case letters, digits and '_', starting with a letter",
            document=TEMPLATE_DOC,
            field=f"{where}.name",
        )
    where = f"{where} ({name})"
    help_text = item.get("help", "") or ""
    if not isinstance(help_text, str):
        raise TemplateError("must be a string", document=TEMPLATE_DOC, field=f"{where}.help")
    default = item.get("default")
    if name == "NAME":
        extra = sorted(set(item) - {"name", "default", "help"})
        if extra:
            raise TemplateError(
                f"NAME takes only a default and a help text, not {', '.join(extra)}",
                document=TEMPLATE_DOC,
                field=where,
            )
        if default is not None and not (isinstance(default, str) and is_service_name(default)):
            raise TemplateError(
                f"the default service name {default!r} must be a DNS label (lower-case "
                f"letters, digits and '-', starting with a letter) of at most "
                f"{MAX_NAME_LENGTH} characters",
                document=TEMPLATE_DOC,
                field=f"{where}.default",
            )
        return Variable("NAME", default, help_text or "Name of the service.")
    if name in BUILTIN_VARIABLES:
        raise TemplateError(
            f"{name} is set by Karvdash; remove it from the variables and use ${name} directly",
            document=TEMPLATE_DOC,
            field=where,
        )
    kind = _variable_type(item.get("type"), default, where)
    required = item.get("required", False)
    if not isinstance(required, bool):
        raise TemplateError(
            "must be true or false", document=TEMPLATE_DOC, field=f"{where}.required"
        )
    pattern = item.get("pattern")
    if pattern is not None:
        if kind != "string" or not isinstance(pattern, str):
            raise TemplateError(
                "a pattern is a regular expression for a string variable",
                document=TEMPLATE_DOC,
                field=f"{where}.pattern",
            )
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TemplateError(
                f"not a valid regular expression: {exc}",
                document=TEMPLATE_DOC,
                field=f"{where}.pattern",
            ) from None
    choices_raw = item.get("choices") or []
    if not isinstance(choices_raw, list):
        raise TemplateError("must be a list", document=TEMPLATE_DOC, field=f"{where}.choices")
    draft = Variable(name, None, help_text, kind, (), required, pattern)
    choices: list[Value] = []
    for i, choice in enumerate(choices_raw):
        try:
            choices.append(coerce(draft, _stringify(kind, choice)))
        except InvalidValue as exc:
            raise TemplateError(
                exc.rule, document=TEMPLATE_DOC, field=f"{where}.choices[{i}]"
            ) from None
    variable = Variable(name, None, help_text, kind, tuple(choices), required, pattern)
    if default is not None:
        try:
            default = coerce(variable, _stringify(kind, default))
        except InvalidValue as exc:
            raise TemplateError(
                f"the default breaks the variable's own rule: it {exc.rule}",
                document=TEMPLATE_DOC,
                field=f"{where}.default",
            ) from None
    secret = item.get("secret", False)
    if not isinstance(secret, bool):
        raise TemplateError("must be true or false", document=TEMPLATE_DOC, field=f"{where}.secret")
    return Variable(name, default, help_text, kind, tuple(choices), required, pattern, secret)


def _variable_type(declared: object, default: object, where: str) -> VariableType:
    """The declared type, or the default's (``8080`` -> integer, ``true`` -> boolean)."""
    if declared is None:
        if isinstance(default, bool):
            return "boolean"
        return "integer" if isinstance(default, int) else "string"
    if declared == "string" or declared == "integer" or declared == "boolean":
        return declared
    raise TemplateError(
        f"type must be one of {', '.join(_TYPES)}, not {declared!r}",
        document=TEMPLATE_DOC,
        field=f"{where}.type",
    )


def _stringify(kind: str, value: object) -> object:
    """A YAML number given for a string variable (``default: 5432``) as its text."""
    if kind == "string" and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value
