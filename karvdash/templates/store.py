"""Where templates come from: system templates (files) and user templates (custom resources).

* System templates are the ``*.template.yaml`` files of ``settings.template_dirs``; the
  id is the file name without ``.template.yaml``. Read-only. The first folder holding
  an id wins.
* User templates are ``Template`` objects (``templates.karvdash.io``, see
  ``deploy/crds/``) in the user's namespace, named by the template id; ``spec.source``
  holds the original YAML, the other ``spec`` fields are copies for ``kubectl``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from ..errors import Conflict, Forbidden, NotFound, Unavailable
from ..kube import karvdash_error, request_json, with_retries
from ..settings import Karvdash
from .model import Template, TemplateError
from .parse import parse_template

log = logging.getLogger(__name__)

GROUP = "karvdash.io"
VERSION = "v1"
PLURAL = "templates"
SUFFIX = ".template.yaml"

_cache: dict[Path, tuple[float, int, Template]] = {}


def template_id_for(name: str) -> str:
    """A template id from a template's name: ``"My Jupyter (GPU)"`` -> ``my-jupyter-gpu``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return slug or "template"


def load_system_template(path: Path) -> Template:
    """Parse one template file (cached while its modification time and size hold)."""
    stat = path.stat()
    cached = _cache.get(path)
    if cached is not None and cached[:2] == (stat.st_mtime, stat.st_size):
        return cached[2]
    template_id = path.name[: -len(SUFFIX)]
    try:
        template = parse_template(path.read_text(encoding="utf-8"), template_id, system=True)
    except TemplateError as exc:
        raise TemplateError(f"system template {path}: {exc.message}") from None
    _cache[path] = (stat.st_mtime, stat.st_size, template)
    return template


def system_templates(dirs: list[str]) -> dict[str, Template]:
    """Every valid system template of ``dirs`` by id (broken files are logged, skipped)."""
    found: dict[str, Template] = {}
    for folder in dirs:
        base = Path(folder)
        if not base.is_dir():
            log.warning("template folder %s does not exist", base)
            continue
        for path in sorted(base.glob("*" + SUFFIX)):
            template_id = path.name[: -len(SUFFIX)]
            if template_id in found:
                continue
            try:
                found[template_id] = load_system_template(path)
            except (TemplateError, OSError, UnicodeDecodeError) as exc:
                log.error("skipping system template %s: %s", path, exc)
    return found


def custom_resource(template: Template, namespace: str) -> dict[str, Any]:
    """The ``Template`` custom resource that stores a user template."""
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Template",
        "metadata": {
            "name": template.id,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "karvdash"},
        },
        "spec": {
            "name": template.name,
            # Kubernetes 1.20 reads an empty string here as null and refuses it.
            **({"description": template.description} if template.description else {}),
            "singleton": template.singleton,
            "variables": [v.name for v in template.variables],
            "source": template.source,
        },
    }


def from_custom_resource(resource: dict[str, Any]) -> Template:
    """The user template a ``Template`` custom resource holds (parsed and checked again)."""
    name = resource.get("metadata", {}).get("name", "")
    source = (resource.get("spec") or {}).get("source")
    if not isinstance(source, str):
        raise TemplateError(f"user template {name}: spec.source is missing")
    return parse_template(source, name, system=False)


class TemplateStore:
    """The templates one user sees: the system ones and those of their namespace."""

    def __init__(self, api_client: Any, settings: Karvdash, namespace: str) -> None:
        self.api = api_client
        self.settings = settings
        self.namespace = namespace

    def _path(self, name: str | None = None) -> str:
        path = f"/apis/{GROUP}/{VERSION}/namespaces/{self.namespace}/{PLURAL}"
        return f"{path}/{name}" if name else path

    def system(self) -> dict[str, Template]:
        """The system templates by id."""
        return system_templates(list(self.settings.template_dirs))

    async def list(self) -> list[Template]:
        """System templates, then the user's, each sorted by name.

        If user templates cannot be read (no CRD, no permission), the system templates
        are still listed and the reason is logged.
        """
        system = sorted(self.system().values(), key=lambda t: t.name.lower())
        try:
            answer = await with_retries(
                lambda: request_json(self.api, "GET", self._path()), "listing user templates"
            )
        except Exception as exc:
            log.warning("user templates of %s are not available: %s", self.namespace, exc)
            return system
        user: list[Template] = []
        for item in answer.get("items") or []:
            try:
                user.append(from_custom_resource(item))
            except TemplateError as exc:
                log.warning("skipping user template in %s: %s", self.namespace, exc.message)
        return system + sorted(user, key=lambda t: t.name.lower())

    async def get(self, template_id: str) -> Template:
        """One template by id; :class:`NotFound` if there is none."""
        system = self.system()
        if template_id in system:
            return system[template_id]
        if not isinstance(template_id, str) or not re.fullmatch(r"[a-z0-9][-a-z0-9]*", template_id):
            raise NotFound(f"there is no template {template_id!r}")
        try:
            resource = await with_retries(
                lambda: request_json(self.api, "GET", self._path(template_id)),
                f"reading template {template_id}",
            )
        except Exception as exc:
            error = karvdash_error(exc, f"reading template {template_id}")
            if isinstance(error, NotFound):
                raise NotFound(f"there is no template {template_id!r}") from None
            raise error from None
        return from_custom_resource(resource)

    async def add(self, source: str, template_id: str | None = None) -> Template:
        """Validate ``source`` and store it as a user template.

        The id is ``template_id`` or made from the template's name. Refused with
        :class:`~.model.TemplateError` (invalid, nothing stored) or :class:`Conflict`
        (the id is taken by a system template or another user template).
        """
        draft = parse_template(source, template_id or "draft")
        final_id = template_id or template_id_for(draft.name)
        template = parse_template(source, final_id, system=False)
        if final_id in self.system():
            raise Conflict(f"{final_id!r} is a system template's id; choose another name or id")
        body = custom_resource(template, self.namespace)
        try:
            await with_retries(
                lambda: request_json(self.api, "POST", self._path(), body=body),
                f"storing template {final_id}",
                attempts=1,  # a create is not repeated blindly
            )
        except Exception as exc:
            error = karvdash_error(exc, f"storing template {final_id}")
            if isinstance(error, Conflict):
                raise Conflict(
                    f"there is already a user template {final_id!r}; delete it first"
                ) from None
            if isinstance(error, NotFound):
                raise Unavailable(
                    "user templates cannot be stored: the templates.karvdash.io custom "
                    "resource is not installed (deploy/crds/)"
                ) from None
            raise error from None
        return template

    async def delete(self, template_id: str) -> None:
        """Delete a user template; system templates are :class:`Forbidden`."""
        if template_id in self.system():
            raise Forbidden(f"{template_id!r} is a system template; system templates are read-only")
        try:
            await with_retries(
                lambda: request_json(self.api, "DELETE", self._path(template_id)),
                f"deleting template {template_id}",
            )
        except Exception as exc:
            error = karvdash_error(exc, f"deleting template {template_id}")
            if isinstance(error, NotFound):
                raise NotFound(f"there is no template {template_id!r}") from None
            raise error from None
