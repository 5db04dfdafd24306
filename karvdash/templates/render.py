"""Rendering: a template, the user's values and Karvdash's context -> objects (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..naming import service_host, user_slug
from ..settings import Karvdash
from .ingress import apply_ingress, ingress_annotations
from .kinds import KINDS
from .model import InvalidValue, RenderContext, Template, Value
from .substitute import substitute, whole_reference
from .values import check_service_name, resolve_values

SERVICE_LABEL = "karvdash.io/service"
"""Label on every object of a service (and its pods); the value is the service name."""

TEMPLATE_LABEL = "karvdash.io/template"
"""Label on every object of a service; the value is the template id."""

VALUES_ANNOTATION = "karvdash.io/values"
"""Annotation on every object of a service: the values it was made with (secret ones
left out), as JSON."""

URL_ANNOTATION = "karvdash.io/url"
"""Annotation on the main Service of a service with an Ingress: its ``https://`` address
(so listing services needs no list of Ingresses)."""


def hostname_for(settings: Karvdash, user: str, name: str) -> str:
    """``<name>-<user slug>.<ingress_domain>``: where service ``name`` of ``user`` lives."""
    return service_host(name, user_slug(user), settings.ingress_domain)


def registry_host(registry_url: str) -> str:
    """The registry's host (and port) without scheme or path, as image names use it."""
    rest = registry_url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


def context_for(settings: Karvdash, user: str, namespace: str, name: str) -> RenderContext:
    """What Karvdash fills in for service ``name`` of ``user`` in ``namespace``."""
    host = hostname_for(settings, user, name)
    return RenderContext(
        name=name,
        namespace=namespace,
        hostname=host,
        registry=registry_host(settings.registry_url),
        storage=tuple((d.name, d.mount_path) for d in settings.domains),
        ingress_class=settings.ingress_class,
        tls_secret_name=settings.tls_secret_name,
        ingress_annotations=tuple(ingress_annotations(settings, host).items()),
    )


def recorded_values(template: Template, resolved: Mapping[str, Value]) -> dict[str, Value]:
    """The values kept with a service (its annotation): all but the secret ones."""
    secret = {v.name for v in template.variables if v.secret}
    return {k: v for k, v in resolved.items() if k not in secret}


def render(
    template: Template, values: Mapping[str, Any], context: RenderContext
) -> list[dict[str, Any]]:
    """The objects to create for one service, in creation order.

    ``values`` are the user's (``NAME`` may be present if it equals ``context.name``).
    Raises :class:`InvalidValue` for a refused value; never touches the cluster.
    The main Service (named ``$NAME``) comes first: creating it claims the name.
    """
    check_service_name(context.name)
    given = dict(values) if isinstance(values, Mapping) else values
    if isinstance(given, dict) and given.pop("NAME", None) not in (None, context.name):
        raise InvalidValue("NAME", "differs from the name given for the service")
    resolved = resolve_values(template, given)
    substitutions: dict[str, Value] = {**resolved, **context.builtins()}
    labels = {SERVICE_LABEL: context.name, TEMPLATE_LABEL: template.id}
    annotation = json.dumps(
        recorded_values(template, resolved), sort_keys=True, separators=(",", ":")
    )
    annotations = dict(context.ingress_annotations)
    rendered: list[tuple[tuple[int, int, int], dict[str, Any]]] = []
    for index, source in enumerate(template.objects):
        obj = substitute(source, substitutions)
        kind = KINDS[obj["kind"]]
        meta = obj["metadata"]
        meta["namespace"] = context.namespace
        meta["labels"] = {**_strings(meta.get("labels")), **labels}
        meta["annotations"] = {**_strings(meta.get("annotations")), VALUES_ANNOTATION: annotation}
        for path in kind.label_paths:
            _label_nested(obj, path, labels)
        if obj["kind"] == "StatefulSet":
            for claim in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:
                if isinstance(claim, dict):
                    claim_meta = claim.setdefault("metadata", {})
                    claim_meta["labels"] = {**_strings(claim_meta.get("labels")), **labels}
        if obj["kind"] == "Ingress":
            apply_ingress(
                obj, context.hostname, context.ingress_class, context.tls_secret_name, annotations
            )
        main = obj["kind"] == "Service" and whole_reference(source["metadata"]["name"]) == "NAME"
        if main and "Ingress" in template.kinds:
            meta["annotations"][URL_ANNOTATION] = f"https://{context.hostname}/"
        rendered.append(((kind.rank, 0 if main else 1, index), obj))
    return [obj for _, obj in sorted(rendered, key=lambda pair: pair[0])]


def _strings(mapping: Any) -> dict[str, Any]:
    """Labels or annotations as a fresh dict (values made text, as Kubernetes wants)."""
    if not isinstance(mapping, dict):
        return {}
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in mapping.items()
    }


def _label_nested(obj: dict[str, Any], path: tuple[str, ...], labels: dict[str, str]) -> None:
    node: Any = obj
    for key in path:
        if not isinstance(node, dict) or not isinstance(node.get(key), dict):
            return
        node = node[key]
    meta = node.setdefault("metadata", {})
    if isinstance(meta, dict):
        meta["labels"] = {**_strings(meta.get("labels")), **labels}
