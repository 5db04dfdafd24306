"""Service templates: parsing, validation, rendering (pure) and the template store.

A template is multi-document YAML: Kubernetes objects plus one ``kind: Template``
document (see docs/templates.md). Nothing here imports Jupyter.
"""

from __future__ import annotations

from .ingress import credential_filter, ingress_annotations
from .kinds import KINDS, Kind
from .model import (
    BUILTIN_VARIABLES,
    InvalidValue,
    RenderContext,
    Template,
    TemplateError,
    Variable,
)
from .parse import parse_template
from .render import (
    SERVICE_LABEL,
    TEMPLATE_LABEL,
    URL_ANNOTATION,
    VALUES_ANNOTATION,
    context_for,
    hostname_for,
    render,
)
from .store import TemplateStore, template_id_for
from .values import MAX_NAME_LENGTH, check_service_name, resolve_values

__all__ = [
    "BUILTIN_VARIABLES",
    "KINDS",
    "MAX_NAME_LENGTH",
    "SERVICE_LABEL",
    "TEMPLATE_LABEL",
    "URL_ANNOTATION",
    "VALUES_ANNOTATION",
    "InvalidValue",
    "Kind",
    "RenderContext",
    "Template",
    "TemplateError",
    "TemplateStore",
    "Variable",
    "check_service_name",
    "context_for",
    "credential_filter",
    "hostname_for",
    "ingress_annotations",
    "parse_template",
    "render",
    "resolve_values",
    "template_id_for",
]
