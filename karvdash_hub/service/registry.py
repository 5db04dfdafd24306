"""The registry gateway's handlers: thin wrappers of :class:`~karvdash.registry.RegistryGateway`.

Under ``<prefix>`` (``/services/karvdash/api/registry``), see docs/registry.md:

=======  ======================================  ========================================
GET      ``/``                                   the registry's address, am I an admin
GET      ``/repositories?n=&last=``              one page of repositories
GET      ``/repositories/<repo>/tags?n=&last=``  one page of a repository's tags
GET      ``/repositories/<repo>/tags/<tag>``     digest, size, platform, created, layers
DELETE   ``/repositories/<repo>/tags/<tag>``     admin: delete the image (``?digest=``)
POST     ``/uploads``                            announce an upload ``{repository, tag}``
GET      ``/uploads``                            my recent uploads
GET      ``/uploads/<id>``                       progress of an upload
PUT      ``/uploads/<id>``                       the archive (streamed); the final state
DELETE   ``/uploads/<id>``                       forget an upload not started
POST     ``/gc``                                 admin: garbage collection, its report
=======  ======================================  ========================================

Every user may browse and upload; replacing a tag, deleting and collecting garbage need
:data:`~karvdash_hub.service.REGISTRY_ADMIN_SCOPE`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, cast

from tornado import web

from karvdash.errors import KarvdashError
from karvdash.registry import ArchiveError, BytePipe, RegistryGateway, TagExists
from karvdash.registry.names import check_repository, check_tag

from . import REGISTRY_ADMIN_SCOPE, REGISTRY_ADMIN_SCOPES
from .auth import ServiceHandler, log
from .uploads import Upload, Uploads

MAX_ARCHIVE = 1 << 40
"""Largest archive accepted (1 TiB: memory does not grow with it)."""

REPO = r"(?P<repo>[a-z0-9][a-z0-9._/-]*)"
TAG = r"(?P<tag>[^/]+)"
UPLOAD = r"(?P<upload_id>[A-Za-z0-9_-]+)"

Route = tuple[str, type[web.RequestHandler]]


class RegistryHandler(ServiceHandler):
    @property
    def gateway(self) -> RegistryGateway:
        return cast(RegistryGateway, self.settings["registry_gateway"])

    @property
    def uploads(self) -> Uploads:
        return cast(Uploads, self.settings["registry_uploads"])

    @property
    def is_admin(self) -> bool:
        """A registry admin: the custom scope, or a hub admin's ``admin:services``."""
        return any(self.has_scope(s) for s in REGISTRY_ADMIN_SCOPES)

    def require_admin(self, action: str) -> None:
        if not self.is_admin:
            raise web.HTTPError(
                403, "only registry admins can %s (scope %s)", action, REGISTRY_ADMIN_SCOPE
            )


class InfoHandler(RegistryHandler):
    def get(self) -> None:
        self.write_json({**self.gateway.info(), "user": self.user["name"], "admin": self.is_admin})


class RepositoriesHandler(RegistryHandler):
    async def get(self) -> None:
        n, last = self.int_argument("n"), self.get_argument("last", None)
        self.write_json(await self.gateway.repositories(n, last))


class TagsHandler(RegistryHandler):
    async def get(self, repo: str) -> None:
        n, last = self.int_argument("n"), self.get_argument("last", None)
        self.write_json(await self.gateway.tags(repo, n, last))


class TagHandler(RegistryHandler):
    async def get(self, repo: str, tag: str) -> None:
        self.write_json(await self.gateway.details(repo, tag))

    async def delete(self, repo: str, tag: str) -> None:
        self.require_admin("delete images")
        result = await self.gateway.delete(repo, tag, self.get_argument("digest", None))
        log.info(
            "%s deleted %s (tags %s)", self.user["name"], result["digest"], result["removed_tags"]
        )
        self.write_json(result)


def _upload_json(upload: Upload) -> dict[str, Any]:
    return {"id": upload.id, "replace": upload.replace, **upload.progress.to_json()}


class UploadsHandler(RegistryHandler):
    def get(self) -> None:
        self.write_json({"uploads": [_upload_json(u) for u in self.uploads.of(self.user["name"])]})

    async def post(self) -> None:
        body = self.json_object()
        repo = check_repository(str(body.get("repository", "")))
        tag = check_tag(str(body.get("tag", "")))
        replace = body.get("replace", False)
        if not isinstance(replace, bool):
            raise web.HTTPError(400, "replace must be true or false")
        if replace:
            self.require_admin("replace tags")
        self.gateway.gate.check_open()
        existing = await self.gateway.exists(repo, tag)
        if existing and not replace:
            how = (
                "or upload with replace" if self.is_admin else "(only registry admins replace tags)"
            )
            raise TagExists(
                f"{repo}:{tag} already names an image ({existing}); choose another tag {how}"
            )
        upload = self.uploads.create(self.user["name"], repo, tag, replace)
        self.set_header("Location", self.request.path.rstrip("/") + "/" + upload.id)
        self.write_json(_upload_json(upload), status=201)


@web.stream_request_body
class UploadHandler(RegistryHandler):
    """``PUT`` streams the archive to the registry as it arrives (see module docstring)."""

    pipe: BytePipe | None = None
    task: asyncio.Task[Any] | None = None
    upload: Upload | None = None
    dropping = False
    refusal: Exception | None = None

    async def prepare(self) -> None:
        await super().prepare()
        if self.request.method != "PUT":
            return
        self.request.connection.set_max_body_size(MAX_ARCHIVE)  # type: ignore[union-attr]
        try:
            self._start(self.path_kwargs["upload_id"])
        except (KarvdashError, web.HTTPError) as exc:
            # answering now would cut the body short, and proxies turn that into a 502/503:
            # read the body, drop it, and answer with the refusal at its end
            self.refusal = exc
            self.dropping = True

    def _start(self, upload_id: str) -> None:
        upload = self.uploads.get(self.user["name"], upload_id)
        if upload.progress.state != "waiting":
            raise web.HTTPError(409, "upload %s has already received its archive", upload_id)
        self.upload = upload
        length = self.request.headers.get("Content-Length")
        upload.progress.total = int(length) if length and length.isdigit() else None
        self.pipe = BytePipe()
        self.task = asyncio.create_task(
            self.gateway.upload(
                self.pipe,
                upload.progress.repository,
                upload.progress.tag,
                replace=upload.replace,
                progress=upload.progress,
            )
        )
        self.task.add_done_callback(_retrieve)

    async def data_received(self, chunk: bytes) -> None:
        if self.pipe is None or self.dropping:
            return
        try:
            await self.pipe.feed(chunk)
        except KarvdashError:
            self.dropping = True  # failed: read the rest and answer with the error

    def on_connection_close(self) -> None:
        if self.pipe is not None and self.task is not None and not self.task.done():
            self.pipe.abort(
                ArchiveError("the upload was interrupted: the connection closed before its end")
            )

    def get(self, upload_id: str) -> None:
        self.write_json(_upload_json(self.uploads.get(self.user["name"], upload_id)))

    def delete(self, upload_id: str) -> None:
        self.uploads.cancel(self.user["name"], upload_id)
        self.set_status(204)
        self.finish()

    async def put(self, upload_id: str) -> None:
        if self.refusal is not None:
            raise self.refusal
        assert self.pipe is not None
        assert self.task is not None
        assert self.upload is not None
        self.pipe.finish()
        await self.task
        self.write_json(_upload_json(self.upload))


def _retrieve(task: asyncio.Task[Any]) -> None:
    """Mark a failed upload's exception as seen (the PUT handler reports it)."""
    if not task.cancelled():
        with contextlib.suppress(BaseException):
            task.exception()


class GcHandler(RegistryHandler):
    async def post(self) -> None:
        self.require_admin("collect garbage")
        report = await self.gateway.collect_garbage()
        log.info("%s ran garbage collection: %s", self.user["name"], report.to_json())
        self.write_json(report.to_json())


def registry_routes(prefix: str) -> list[Route]:
    """The gateway's routes under ``prefix`` (e.g. ``/services/karvdash/api/registry``)."""
    base = prefix.rstrip("/")
    return [
        (base + "/?", InfoHandler),
        (base + "/repositories", RepositoriesHandler),
        (base + f"/repositories/{REPO}/tags/{TAG}", TagHandler),
        (base + f"/repositories/{REPO}/tags", TagsHandler),
        (base + "/uploads", UploadsHandler),
        (base + f"/uploads/{UPLOAD}", UploadHandler),
        (base + "/gc", GcHandler),
    ]
