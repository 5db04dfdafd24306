"""The verbs, once for the CLI and the magics: each takes a :class:`~.session.Session`
and returns a :class:`~.output.Table` or :class:`~.output.Text` whose ``data`` is the
same JSON the REST API answers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .info import info as info_data
from .output import Column, Table, Text
from .session import Session

if TYPE_CHECKING:
    from ..services import Service
    from ..templates import Template

TEMPLATE_COLUMNS = (
    Column("id", "Id"),
    Column("name", "Name"),
    Column("origin", "Origin"),
    Column("singleton", "Singleton"),
    Column("variables", "Variables"),
    Column("description", "Description"),
)
REPOSITORY_COLUMNS = (Column("repository", "Repository"),)
IMAGE_COLUMNS = (
    Column("tag", "Tag"),
    Column("digest", "Digest"),
    Column("size", "Size"),
    Column("platform", "Platform"),
    Column("created", "Created"),
)
SERVICE_COLUMNS = (
    Column("name", "Name", link="url"),
    Column("template", "Template"),
    Column("status", "Status"),
    Column("created", "Created"),
    Column("url", "URL", link="url"),
)


def _variables(template: Template) -> list[str]:
    """``VAR=default`` of each variable a user may set (no default shown for secrets)."""
    shown = []
    for v in template.variables:
        if v.name == "NAME":
            continue
        if v.secret:
            shown.append(f"{v.name} (secret)")
        else:
            shown.append(v.name if v.default in (None, "") else f"{v.name}={v.default}")
    return shown


def template_row(template: Template) -> dict[str, Any]:
    return {
        **template.to_json(),
        "origin": "system" if template.system else "yours",
        "variables": _variables(template),
    }


def service_row(service: Service) -> dict[str, Any]:
    data = service.to_json()
    status = f"{service.status} ({service.reason})" if service.reason else service.status
    created = service.created.strftime("%Y-%m-%d %H:%M:%S") if service.created else ""
    return {**data, "status": status, "created": created}


def services_table(services: list[Service], title: str = "") -> Table:
    return Table(
        SERVICE_COLUMNS,
        [service_row(s) for s in services],
        empty="no services; start one with `launch TEMPLATE`",
        title=title,
        data=[s.to_json() for s in services],
    )


async def templates(session: Session) -> Table:
    found = await (await session.templates()).list()
    return Table(
        TEMPLATE_COLUMNS,
        [template_row(t) for t in found],
        empty="no templates",
        data=[t.to_json() for t in found],
    )


async def services(session: Session) -> Table:
    return services_table(await (await session.services()).list())


async def launch(
    session: Session, template: str, values: Mapping[str, str], name: str | None = None
) -> Table:
    service = await (await session.services()).create(template, dict(values), name)
    table = services_table([service], title=f"launched service {service.name}")
    return Table(table.columns, table.rows, title=table.title, data=service.to_json())


async def logs(session: Session, service: str, tail: int | None = None) -> Text:
    manager = await session.services()
    found = await (manager.logs(service, tail_lines=tail) if tail else manager.logs(service))
    if not found:
        text = f"service {service} has no started containers yet"
    else:
        text = "\n".join(
            f"==> {key} <==\n{body.rstrip()}" if len(found) > 1 else body.rstrip()
            for key, body in found.items()
        )
    return Text(text, data={"name": service, "logs": found})


async def stop(session: Session, service: str) -> Text:
    deleted = await (await session.services()).delete(service)
    text = f"removed service {service} ({', '.join(str(r) for r in deleted)})"
    return Text(text, data={"name": service, "objects": [r.to_json() for r in deleted]})


async def template_add(session: Session, source: str, template_id: str | None = None) -> Table:
    added = await (await session.templates()).add(source, template_id)
    return Table(
        TEMPLATE_COLUMNS,
        [template_row(added)],
        title=f"added template {added.id}",
        data=added.to_json(),
    )


async def template_get(session: Session, template_id: str) -> Text:
    found = await (await session.templates()).get(template_id)
    return Text(found.source.rstrip("\n"), data=found.to_json(source=True))


async def template_delete(session: Session, template_id: str) -> Text:
    await (await session.templates()).delete(template_id)
    return Text(f"deleted template {template_id}", data={"id": template_id})


async def images(session: Session, repository: str | None = None) -> Table:
    """The registry's repositories, or one repository's tags with their details."""
    gateway = session.gateway()
    if repository is None:
        repositories, more = await gateway.repositories()
        return Table(
            REPOSITORY_COLUMNS,
            [{"repository": r} for r in repositories],
            empty="the registry holds no images yet; upload one in the Images panel",
            title="the first 1000 repositories" if more else "",
            data={"repositories": repositories, "more": more},
        )
    tags = sorted(await gateway.tags(repository))
    sem = asyncio.Semaphore(8)

    async def details(tag: str) -> dict[str, Any]:
        async with sem:
            return await gateway.details(repository, tag)

    found = await asyncio.gather(*map(details, tags))
    return Table(
        IMAGE_COLUMNS,
        [image_row(d) for d in found],
        empty=f"{repository} has no tags",
        title=f"images of {repository}",
        data={"repository": repository, "tags": found},
    )


def image_row(details: Mapping[str, Any]) -> dict[str, Any]:
    """A tag's details as a row: short digest, size in MiB, ``os/arch``."""
    size = details.get("size")
    platform = "/".join(p for p in (details.get("os"), details.get("architecture")) if p)
    return {
        "tag": details.get("tag", ""),
        "digest": str(details.get("digest", ""))[:19],
        "size": "" if size is None else human_size(int(size)),
        "platform": platform,
        "created": str(details.get("created") or "")[:19].replace("T", " "),
    }


def human_size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


async def info(session: Session) -> Table:
    data = info_data(session.settings, session.identity)
    rows = [
        {"key": "user", "value": data["user"]},
        {"key": "namespace", "value": data["namespace"]},
        {"key": "service address", "value": data["service_url"]},
        {"key": "registry", "value": data["registry_url"]},
        *(
            {
                "key": f"storage {d['name']}",
                "value": d["mount_path"] + (" (read-only)" if d["read_only"] else ""),
            }
            for d in data["domains"]
        ),
        {"key": "version", "value": data["version"]},
    ]
    return Table((Column("key", "Setting"), Column("value", "Value")), rows, data=data)
