"""Checks on the Kubernetes objects of a template, each error naming document and field."""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection
from typing import Any

from .kinds import CLUSTER_SCOPED, KINDS
from .model import TemplateError
from .substitute import references, whole_reference

_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_SAMPLE_NAME = "a" * 32
"""Stands for ``$NAME`` when checking object names: the longest service name."""


def describe(number: int, obj: Any) -> str:
    """``document 3 (Deployment $NAME)``: how errors name a document."""
    if isinstance(obj, dict):
        kind = obj.get("kind")
        meta = obj.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        label = " ".join(str(p) for p in (kind, name) if isinstance(p, str) and p)
        if label:
            return f"document {number} ({label})"
    return f"document {number}"


def check_objects(numbered: list[tuple[int, dict[str, Any]]], known: Collection[str]) -> None:
    """Validate the objects (``(document number, object)``) of a template.

    ``known`` holds every variable name the objects may refer to.
    """
    seen: set[tuple[str, str]] = set()
    main_services = 0
    ingresses = 0
    for number, obj in numbered:
        where = describe(number, obj)
        _check_tree(obj, "", where, known)
        kind, name = _check_identity(obj, where)
        if (kind, name) in seen:
            raise TemplateError(
                f"a second {kind} named {name!r}", document=where, field="metadata.name"
            )
        seen.add((kind, name))
        if kind == "Service" and whole_reference(name) == "NAME":
            main_services += 1
        if kind == "Ingress":
            ingresses += 1
            _check_ingress(obj, where)
    if main_services != 1:
        raise TemplateError(
            f"a template needs exactly one Service named $NAME (the service's entry point), "
            f"found {main_services}"
        )
    if ingresses > 1:
        raise TemplateError(
            f"a template holds at most one Ingress (the service's address), found {ingresses}"
        )


def _check_tree(node: Any, path: str, where: str, known: Collection[str]) -> None:
    """Only JSON types; no variables in keys; every reference known."""
    if isinstance(node, dict):
        for key, value in node.items():
            field = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str):
                raise TemplateError(
                    f"keys must be strings, not {key!r} (quote it)", document=where, field=path
                )
            if any(True for _ in references(key)):
                raise TemplateError(
                    "variables are not substituted in keys, only in values",
                    document=where,
                    field=field,
                )
            _check_tree(value, field, where, known)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            _check_tree(item, f"{path}[{index}]", where, known)
    elif isinstance(node, str):
        for name in references(node):
            if name not in known:
                raise TemplateError(
                    f"${name} is not a declared variable (declare it under variables, or "
                    "write $$ for a literal $)",
                    document=where,
                    field=path,
                )
    elif isinstance(node, datetime.date | bytes | set):
        raise TemplateError(
            f"YAML read this as a {type(node).__name__}; quote it to make it a string",
            document=where,
            field=path,
        )
    elif node is not None and not isinstance(node, bool | int | float):
        raise TemplateError(f"unsupported value {node!r}", document=where, field=path)


def _check_identity(obj: dict[str, Any], where: str) -> tuple[str, str]:
    kind = obj.get("kind")
    if not isinstance(kind, str) or not kind:
        raise TemplateError("every object needs a kind", document=where, field="kind")
    if kind in CLUSTER_SCOPED:
        raise TemplateError(
            f"{kind} is cluster-scoped; a service holds only objects of its user's namespace",
            document=where,
            field="kind",
        )
    spec = KINDS.get(kind)
    if spec is None:
        supported = ", ".join(sorted(KINDS))
        raise TemplateError(
            f"kind {kind} is not supported in templates (supported: {supported})",
            document=where,
            field="kind",
        )
    api_version = obj.get("apiVersion")
    if api_version not in spec.api_versions:
        raise TemplateError(
            f"{kind} takes apiVersion {' or '.join(spec.api_versions)}, not {api_version!r}",
            document=where,
            field="apiVersion",
        )
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise TemplateError(
            "every object needs metadata with a name", document=where, field="metadata"
        )
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise TemplateError("every object needs a name", document=where, field="metadata.name")
    namespace = meta.get("namespace")
    if namespace is not None and whole_reference(str(namespace)) != "NAMESPACE":
        raise TemplateError(
            f"objects are created in the user's namespace, not {namespace!r}: remove "
            "metadata.namespace or set it to $NAMESPACE",
            document=where,
            field="metadata.namespace",
        )
    for label_map in ("labels", "annotations"):
        if meta.get(label_map) is not None and not isinstance(meta.get(label_map), dict):
            raise TemplateError("must be a mapping", document=where, field=f"metadata.{label_map}")
    _check_name(kind, name, where)
    return kind, name


def _check_name(kind: str, name: str, where: str) -> None:
    """Names made of text and ``$NAME`` only are checked now; others at creation."""
    if set(references(name)) - {"NAME"}:
        return
    sample = re.sub(r"\$\{NAME\}|\$NAME", _SAMPLE_NAME, name).replace("$$", "$")
    rule = _DNS_LABEL if kind == "Service" else _DNS_SUBDOMAIN
    limit = 63 if kind == "Service" else 253
    if len(sample) > limit or not rule.match(sample):
        what = "a DNS label" if kind == "Service" else "a DNS subdomain"
        raise TemplateError(
            f"{name!r} does not make a valid name: it must be {what} (lower-case letters, "
            f"digits and '-'), at most {limit} characters with a {len(_SAMPLE_NAME)}-character "
            "$NAME",
            document=where,
            field="metadata.name",
        )


def _check_ingress(obj: dict[str, Any], where: str) -> None:
    spec = obj.get("spec")
    rules = spec.get("rules") if isinstance(spec, dict) else None
    if not isinstance(rules, list) or not rules or not all(isinstance(r, dict) for r in rules):
        raise TemplateError(
            "an Ingress needs a list of rules (Karvdash sets their host to $HOSTNAME)",
            document=where,
            field="spec.rules",
        )
