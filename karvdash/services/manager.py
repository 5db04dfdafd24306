"""Services of one user: create from a template, list, logs, delete (the I/O side).

Everything happens in the user's namespace with the caller's ApiClient (in a user's
server, the user's own service account). Lists are label-selected and made once per
kind, never once per service; answers are read as raw JSON.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import secrets
import string
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from ..errors import Conflict, KarvdashError, NotFound
from ..kube import karvdash_error, request_bytes, request_json, with_retries
from ..settings import Karvdash
from ..templates.kinds import KINDS
from ..templates.model import InvalidValue, Template
from ..templates.render import (
    SERVICE_LABEL,
    TEMPLATE_LABEL,
    URL_ANNOTATION,
    VALUES_ANNOTATION,
    context_for,
    recorded_values,
    render,
)
from ..templates.store import TemplateStore
from ..templates.values import MAX_NAME_LENGTH, check_service_name, resolve_values
from .listing import PARTIAL_METADATA, decode_objects, decode_pods
from .logs import read_logs
from .model import ObjectRef, Service
from .objects import NamespaceObjects
from .status import service_status

log = logging.getLogger(__name__)

JSON = dict[str, Any]
Objects = list[dict[str, Any]]
Refs = list[ObjectRef]
Names = list[str]

NAME_ATTEMPTS = 8
"""Names tried (the requested one, then with random suffixes) before giving up."""

SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
SUFFIX_LENGTH = 4


def with_suffix(name: str) -> str:
    """``name-x7k2``: a fresh random suffix, the whole still a valid service name."""
    base = name[: MAX_NAME_LENGTH - SUFFIX_LENGTH - 1].rstrip("-")
    suffix = "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))
    return f"{base}-{suffix}"


def parse_time(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _labels(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def service_from_objects(
    main: Mapping[str, Any],
    pods: Sequence[Mapping[str, Any]],
    ingress: Mapping[str, Any] | None,
    objects: tuple[ObjectRef, ...] = (),
) -> Service:
    """A :class:`Service` from its main Service object, its pods and its Ingress (pure)."""
    meta = main.get("metadata") or {}
    try:
        values = json.loads((meta.get("annotations") or {}).get(VALUES_ANNOTATION) or "{}")
    except ValueError:
        values = {}
    url = (meta.get("annotations") or {}).get(URL_ANNOTATION) or None
    if ingress is not None:
        rules = (ingress.get("spec") or {}).get("rules") or []
        host = rules[0].get("host") if rules and isinstance(rules[0], dict) else None
        url = f"https://{host}/" if host else url
    status, reason = service_status(pods)
    return Service(
        name=str(meta.get("name")),
        template=str(_labels(main).get(TEMPLATE_LABEL, "")),
        created=parse_time(meta.get("creationTimestamp")),
        status=status,
        reason=reason,
        url=url,
        values=values if isinstance(values, dict) else {},
        objects=objects,
        pods=tuple(sorted(str((p.get("metadata") or {}).get("name")) for p in pods)),
    )


class ServiceManager:
    """The services of ``user`` in ``namespace``."""

    def __init__(
        self,
        api_client: Any,
        settings: Karvdash,
        user: str,
        namespace: str,
        *,
        templates: TemplateStore | None = None,
    ) -> None:
        self.api = api_client
        self.settings = settings
        self.user = user
        self.namespace = namespace
        self.templates = templates or TemplateStore(api_client, settings, namespace)
        self.objects = NamespaceObjects(api_client, namespace)

    # ---- reading ---------------------------------------------------------------------

    async def list(self) -> list[Service]:
        """Every service of the user, oldest first.

        Two label-selected lists, whatever the number of services: the Services (their
        metadata only) and the Pods, uncompressed, decoded with only the fields read
        (see :mod:`.listing`). The URL comes from the main Service's annotation.
        """
        services_path = KINDS["Service"].collection_path(self.namespace)
        pods_path = KINDS["Pod"].collection_path(self.namespace)
        query = {"labelSelector": SERVICE_LABEL}
        try:
            services_data, pods_data = await asyncio.gather(
                with_retries(
                    partial(
                        request_bytes,
                        self.api,
                        "GET",
                        services_path,
                        query=query,
                        accept=f"{PARTIAL_METADATA}, application/json",
                        compressed=False,
                    ),
                    "listing services",
                ),
                with_retries(
                    partial(
                        request_bytes, self.api, "GET", pods_path, query=query, compressed=False
                    ),
                    "listing pods",
                ),
            )
        except Exception as exc:
            raise karvdash_error(exc, "listing services") from None
        pods_of: dict[str, list[Mapping[str, Any]]] = {}
        for pod in decode_pods(pods_data):
            pods_of.setdefault(pod["metadata"]["labels"].get(SERVICE_LABEL, ""), []).append(pod)
        found = [
            service_from_objects(s, pods_of.get(s["metadata"]["name"], []), None)
            for s in decode_objects(services_data)
            if s["metadata"]["labels"].get(SERVICE_LABEL) == s["metadata"]["name"]
        ]
        epoch = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
        return sorted(found, key=lambda s: (s.created or epoch, s.name))

    async def get(self, name: str) -> Service:
        """One service with every object it holds; :class:`NotFound` if there is none."""
        self._check_name(name)
        selector = f"{SERVICE_LABEL}={name}"
        found = await asyncio.gather(*(self.objects.list(kind, selector) for kind in KINDS))
        by_kind = {kind: items for kind, items in zip(KINDS, found, strict=True)}
        main = [s for s in by_kind["Service"] if s["metadata"]["name"] == name]
        if not main:
            raise NotFound(f"there is no service {name!r}")
        refs = tuple(
            ObjectRef(kind, item["metadata"]["name"])
            for kind in sorted(KINDS, key=lambda k: KINDS[k].rank)
            for item in by_kind[kind]
        )
        ingresses = by_kind["Ingress"]
        return service_from_objects(
            main[0], by_kind["Pod"], ingresses[0] if ingresses else None, refs
        )

    def _check_name(self, name: str) -> None:
        try:
            check_service_name(name)
        except KarvdashError:
            raise NotFound(f"there is no service {name!r}") from None

    # ---- creating --------------------------------------------------------------------

    async def create(
        self, template_id: str, values: Mapping[str, Any] | None = None, name: str | None = None
    ) -> Service:
        """Launch a service from a template.

        The name is ``name``, else ``values["NAME"]``, else the template's default; if it
        is taken, a short random suffix is added. Values are checked before anything is
        created; a singleton refuses a second instance (:class:`Conflict`). Objects are
        created in order (the Service first: it claims the name); if one fails, every
        object created so far is deleted and the error is raised.
        """
        template = await self.templates.get(template_id)
        given = dict(values or {})
        if "NAME" in given:
            named = given.pop("NAME")
            if name is not None and named not in (None, name):
                raise InvalidValue("NAME", "differs from the name given for the service")
            name = name or named
        if name is None:
            variable = template.variable("NAME")
            name = str(variable.default) if variable and variable.default else template.id
        check_service_name(name)
        resolved = resolve_values(template, given)
        render(template, given, context_for(self.settings, self.user, self.namespace, name))
        if template.singleton:
            await self._refuse_second_singleton(template)
        candidate = name
        clash = Conflict(f"the name {name!r} is taken")
        for _attempt in range(NAME_ATTEMPTS):
            objects = render(
                template, given, context_for(self.settings, self.user, self.namespace, candidate)
            )
            try:
                created = await self._create_all(objects)
            except Conflict as exc:
                log.info("service name %s is taken in %s: %s", candidate, self.namespace, exc)
                clash = exc
                candidate = with_suffix(name)
                continue
            if template.singleton:
                await self._keep_first_singleton(template, candidate, created)
            refs = tuple(ObjectRef(o["kind"], o["metadata"]["name"]) for o in objects)
            main = created[0]
            ingress = next((o for o in objects if o["kind"] == "Ingress"), None)
            service = service_from_objects(main, [], ingress, refs)
            log.info("created service %s (%s) in %s", candidate, template.id, self.namespace)
            return Service(**{**service.__dict__, "values": recorded_values(template, resolved)})
        raise Conflict(f"{clash.message} (and so with {NAME_ATTEMPTS} other names)")

    async def _create_all(self, objects: Objects) -> Objects:
        """Create ``objects`` in order; on any failure delete those created, then raise.

        :class:`Conflict` (an object of that name exists) tells the caller to try
        another name; other failures carry the API server's message.
        """
        created: Objects = []
        try:
            for obj in objects:
                kind = KINDS[obj["kind"]]
                path = kind.collection_path(self.namespace, obj["apiVersion"])
                what = f"creating {obj['kind']} {obj['metadata']['name']}"
                try:
                    answer = await with_retries(
                        partial(request_json, self.api, "POST", path, body=obj),
                        what,
                        attempts=1,
                    )
                except Exception as exc:
                    raise karvdash_error(exc, what) from None
                created.append(answer)
        except BaseException as exc:
            if created:
                await asyncio.shield(self.objects.remove(created, reason=str(exc)))
            raise
        return created

    async def _refuse_second_singleton(self, template: Template) -> None:
        running = await self._instances(template.id)
        if running:
            raise Conflict(
                f"template {template.name!r} is a singleton and service {running[0]!r} "
                "already runs it; delete that service first"
            )

    async def _instances(self, template_id: str) -> Names:
        """Names of the services made from ``template_id``, oldest first."""
        items = await self.objects.list("Service", f"{TEMPLATE_LABEL}={template_id}")
        mains = [
            i
            for i in items
            if _labels(i).get(SERVICE_LABEL) == (i.get("metadata") or {}).get("name")
        ]
        mains.sort(
            key=lambda i: (i["metadata"].get("creationTimestamp", ""), i["metadata"]["name"])
        )
        return [i["metadata"]["name"] for i in mains]

    async def _keep_first_singleton(self, template: Template, name: str, created: Objects) -> None:
        """Two launches of a singleton at once: the older stays, the other backs out."""
        running = await self._instances(template.id)
        if running and running[0] != name:
            await self.objects.remove(created, reason="a concurrent launch of the same singleton")
            raise Conflict(
                f"template {template.name!r} is a singleton and service {running[0]!r} "
                "already runs it; delete that service first"
            )

    # ---- deleting and logs -----------------------------------------------------------

    async def delete(self, name: str) -> Refs:
        """Delete every object labelled with the service, of every kind a template can
        hold; the objects deleted. :class:`NotFound` if there were none."""
        self._check_name(name)
        deleted = await self.objects.delete_labelled(f"{SERVICE_LABEL}={name}")
        if not deleted:
            raise NotFound(f"there is no service {name!r}")
        log.info("deleted service %s in %s (%d objects)", name, self.namespace, len(deleted))
        return deleted

    async def logs(self, name: str, *, tail_lines: int = 1000) -> dict[str, str]:
        """The last ``tail_lines`` lines of every started container of the service's pods,
        keyed ``<pod>/<container>``, through the API server's ``pods/log``.

        Containers that have not started yet are left out. If the API server cannot
        serve a container's log (its node's kubelet is unreachable, say), the whole call
        raises :class:`Unavailable` with the API server's reason for each container.
        """
        self._check_name(name)
        pods = await self.objects.list("Pod", f"{SERVICE_LABEL}={name}")
        if not pods:
            await self.get(name)  # NotFound when there is no such service
            return {}
        return await read_logs(self.api, self.namespace, name, pods, tail_lines)
