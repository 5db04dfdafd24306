"""The Karvdash admin pages: users, their namespaces and services, and the registry.

Server-rendered HTML under ``<prefix>admin/`` (``/services/karvdash/admin/``), readable
without JavaScript; every action is a form (POST with JupyterHub's XSRF token), then a
redirect to the page it changed with a fixed sentence saying what was done.

=======  ==============================================  =================================
GET      ``/``                                           users, namespaces, folders
GET      ``/users/<name>``                               one user: server, services, data
POST     ``/users/<name>/services/<service>/stop``       delete the service's objects
GET      ``/users/<name>/delete``                        confirm: keep or delete namespace
POST     ``/users/<name>/delete``                        delete the user (data stays)
GET      ``/registry?last=``                             repositories: tags, images, size
GET      ``/registry/repositories/<repo>``               its tags: digest, size, created
POST     ``/registry/repositories/<repo>/-/tags/<tag>/delete``  delete that image
POST     ``/registry/repositories/<repo>/-/delete``      delete every image of it
POST     ``/registry/gc``                                collect garbage, then to its report
GET      ``/registry/gc``                                the last collection's report
=======  ==============================================  =================================

The registry's actions sit behind ``/-/``, which no repository name can contain (its
path components start with a letter or digit): any user may push a repository named
``alice/tags/latest``, and its "delete every image" must never read as "delete
``alice:latest``".

Who: holders of :data:`~karvdash_hub.service.ADMIN_PAGE_SCOPE` (``admin:users``, which
every hub admin holds); the registry's writes also need a registry admin scope, as in the
gateway. Others get 403 (and the hub shows them no link, see
``karvdash_hub/templates/page.html``). A browser that is not logged in is sent to log in.

How the actions reach the cluster and the hub (docs/operators.md):

* the lists come from the hub's API with the admin's own token (:mod:`.hubapi`) and from
  four cluster-wide lists with the hub's account (:mod:`karvdash.admin.overview`);
* "stop service" deletes the service's objects acting as the user's own namespace account
  (``Impersonate-User: system:serviceaccount:<namespace>:default``), so it can do nothing
  the user could not;
* "delete user" first records the choice in the namespace's
  :data:`~karvdash.settings.ON_USER_DELETE_ANNOTATION`, then deletes the user through the
  hub (which stops their server; :class:`~karvdash_hub.spawner.KarvdashSpawner` honours
  the choice), then deletes the namespace itself if asked and it is still there. If the
  hub refuses, the annotation is put back as it was. Data folders are never touched.

Every page and action acts only in the namespace labelled as that very user's
(``karvdash.io/user=<their slug>``): a namespace of the same name with another label, or
none, is shown as foreign and never acted in.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from http.client import responses
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote, urlencode

import jinja2
from jupyterhub.utils import url_path_join  # type: ignore[import-untyped]
from tornado import web

from karvdash.admin import FolderSizes, human_bytes, read_overview
from karvdash.errors import KarvdashError, NotFound
from karvdash.kube import (
    Impersonating,
    api_client,
    karvdash_error,
    request_json,
    service_account_user,
)
from karvdash.naming import namespace_for, slug_from_namespace, user_slug
from karvdash.registry import RegistryGateway
from karvdash.registry.gc import GcReport
from karvdash.registry.names import check_repository, check_tag
from karvdash.services import ServiceManager
from karvdash.settings import ON_USER_DELETE_ANNOTATION, Karvdash, load_settings

from . import ADMIN_PAGE_SCOPE, REGISTRY_ADMIN_SCOPE, REGISTRY_ADMIN_SCOPES
from .admin_view import folder_paths, user_folders, user_rows
from .auth import ServiceHandler
from .hubapi import HubAPI
from .registry import REPO, TAG, Route

log = logging.getLogger("karvdash_hub.service.admin")

TEMPLATES = Path(__file__).parent / "templates"
USER = r"(?P<username>[^/]+)"
SERVICE = r"(?P<service>[a-z0-9][a-z0-9-]*)"
REPOSITORIES_PER_PAGE = 50

DONE = {
    "stopped": "Service {service} was stopped: its objects were deleted from {namespace}.",
    "deleted": "User {user} was deleted from the hub. Namespace {namespace}: {namespace_fate}. "
    "Their data folders were not touched.",
    "image-deleted": "Image {repository}:{tag} was deleted ({digest}). Run garbage collection "
    "to free its space.",
    "repository-deleted": "Every image of {repository} was deleted. Run garbage collection to "
    "free their space.",
}
"""The sentences shown after an action (the query names which, and fills only fields)."""

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
_environment.filters["bytes"] = human_bytes
_environment.filters["q"] = lambda value: quote(str(value), safe="")
_environment.tests["web_address"] = lambda value: (
    re.fullmatch(r"https?://[^/\\\s@]+(/\S*)?", str(value), re.IGNORECASE) is not None
)
"""A link the page may show: an absolute http(s) address (services' addresses always
are). Users write their services' URL annotations, so anything else (``javascript:``,
``/\\evil``, a path of the hub such as its approval toggle, credentials in the host) is
shown as text only, never as a link an admin could click."""

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The pages' Content-Security-Policy: no inline script runs, whatever a user managed to
put in a value the page shows."""


class AdminContext:
    """What the pages share: settings, one Kubernetes client, the folder sizes."""

    def __init__(self, settings: Karvdash | None = None) -> None:
        self.settings = settings or load_settings()
        self.folders = FolderSizes()
        self.last_gc: tuple[GcReport, str, float] | None = None
        """The last garbage collection since the service started: report, admin, time."""
        self._kube: Any = None
        self._lock = asyncio.Lock()

    async def kube(self) -> Any:
        async with self._lock:
            if self._kube is None:
                self._kube = await api_client()
            return self._kube

    async def close(self) -> None:
        if self._kube is not None:
            await self._kube.close()


class AdminPage(ServiceHandler):
    """Base of the pages: login redirect, scope check, HTML errors, rendering."""

    public = True  # authenticated in prepare(), with a login redirect for browsers

    @property
    def context(self) -> AdminContext:
        settings = self.settings
        if "admin_context" not in settings:
            settings["admin_context"] = AdminContext()
        return cast(AdminContext, settings["admin_context"])

    @property
    def gateway(self) -> RegistryGateway:
        return cast(RegistryGateway, self.settings["registry_gateway"])

    @property
    def base(self) -> str:
        return str(url_path_join(self.settings["service_prefix"], "admin/"))

    @property
    def registry_admin(self) -> bool:
        return any(self.has_scope(s) for s in REGISTRY_ADMIN_SCOPES)

    async def prepare(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        if not model and self.request.method in ("GET", "HEAD"):
            self.redirect(self.get_login_url())
            return
        await self.authenticate()
        if not self.has_scope(ADMIN_PAGE_SCOPE):
            raise web.HTTPError(
                403,
                "the Karvdash admin page is for hub admins (it needs the scope %s); if you "
                "were made an admin since you logged in, log out and in again",
                ADMIN_PAGE_SCOPE,
            )

    def hub(self) -> HubAPI:
        token = self.hub_auth.get_token(self)
        if not token:
            raise web.HTTPError(401, "log in to JupyterHub again")
        return HubAPI(self.hub_auth.api_url, token)

    def render_page(self, template: str, **values: Any) -> None:
        hub_prefix = self.hub_auth.hub_prefix
        page = _environment.get_template(template).render(
            base=self.base,
            hub_prefix=hub_prefix,
            user=self.user,
            registry_admin=self.registry_admin,
            xsrf=self.xsrf_token.decode("ascii"),
            done=self._done(),
            **values,
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Content-Security-Policy", CSP)
        self.finish(page)

    def _done(self) -> str:
        sentence = DONE.get(self.get_argument("done", ""))
        if not sentence:
            return ""
        fields = {
            k: self.get_argument(k, "")
            for k in (
                "service",
                "namespace",
                "user",
                "namespace_fate",
                "repository",
                "tag",
                "digest",
            )
        }
        return sentence.format(**fields)

    def go(self, path: str, **query: str) -> None:
        self.redirect(url_path_join(self.base, path) + ("?" + urlencode(query) if query else ""))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        message = "the admin page failed; see the service log"
        reason: str | None = responses.get(status_code, "Error")
        if isinstance(exc, KarvdashError):
            self.set_status(exc.status, exc.reason)
            status_code, message, reason = exc.status, exc.message, exc.reason
        elif isinstance(exc, web.HTTPError) and exc.log_message:
            message = exc.log_message % exc.args if exc.args else exc.log_message
            reason = exc.reason or reason
        page = _environment.get_template("error.html").render(
            base=self.base,
            hub_prefix=self.hub_auth.hub_prefix,
            user=self.current_user,
            registry_admin=False,
            status=status_code,
            message=message,
            reason=reason or "",
            done="",
            xsrf="",
        )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Security-Policy", CSP)
        self.finish(page)


class UsersPage(AdminPage):
    async def get(self) -> None:
        context = self.context
        hub = self.hub()
        kube = await context.kube()
        hub_users, signups, namespaces = await asyncio.gather(
            hub.users(), hub.signups(), read_overview(kube)
        )
        names = [str(u["name"]) for u in hub_users] + [str(s["name"]) for s in signups or []]
        domains = context.settings.domains
        sizes = await context.folders.get_many(folder_paths(names, domains))
        rows = user_rows(
            hub_users, signups, namespaces, domains, sizes, prefix=context.settings.namespace_prefix
        )
        self.render_page("users.html", rows=rows, approvals=signups is not None)


class UserPage(AdminPage):
    async def get(self, username: str) -> None:
        context = self.context
        hub = self.hub()
        model, signups = await asyncio.gather(hub.user(username), hub.signups())
        namespace = namespace_for(model["name"], context.settings.namespace_prefix)
        kube = await context.kube()
        found = await _namespace(kube, namespace)
        exists = _own(found, model["name"])
        services = []
        if exists is not None:  # only a namespace labelled as a user's is shown
            manager = ServiceManager(kube, context.settings, model["name"], namespace)
            services = await manager.list()
        domains = context.settings.domains
        sizes = await context.folders.get_many(folder_paths([model["name"]], domains))
        own = None if signups is None else [s for s in signups if s["name"] == model["name"]]
        prefix = context.settings.namespace_prefix
        rows = user_rows([model], own, {}, domains, sizes, prefix=prefix)
        self.render_page(
            "user.html",
            row=rows[0],
            namespace=namespace,
            namespace_exists=exists is not None,
            foreign=found is not None and exists is None,
            terminating=bool(exists and exists.get("metadata", {}).get("deletionTimestamp")),
            services=services,
            folders=user_folders(model["name"], domains, sizes),
        )


class StopServiceAction(AdminPage):
    async def post(self, username: str, service: str) -> None:
        model = await self.hub().user(username)
        name = str(model["name"])
        namespace = namespace_for(name, self.context.settings.namespace_prefix)
        kube = await self.context.kube()
        if _own(await _namespace(kube, namespace), name) is None:
            raise NotFound(f"user {name} has no namespace {namespace}")
        as_user = Impersonating(kube, service_account_user(namespace))
        manager = ServiceManager(as_user, self.context.settings, name, namespace)
        deleted = await manager.delete(service)
        log.info(
            "admin %s stopped service %s of %s (%d objects)",
            self.user["name"], service, name, len(deleted),
        )  # fmt: skip
        self.go(
            f"users/{quote(name, safe='')}", done="stopped", service=service, namespace=namespace
        )


class DeleteUserPage(AdminPage):
    async def get(self, username: str) -> None:
        model = await self.hub().user(username)
        namespace = namespace_for(model["name"], self.context.settings.namespace_prefix)
        found = await _namespace(await self.context.kube(), namespace)
        own = _own(found, model["name"])
        domains = self.context.settings.domains
        self.render_page(
            "delete_user.html",
            name=model["name"],
            namespace=namespace,
            namespace_exists=own is not None,
            foreign=found is not None and own is None,
            folders=user_folders(model["name"], domains, {}),
            self_delete=model["name"] == self.user["name"],
        )

    async def post(self, username: str) -> None:
        choice = self.get_argument("namespace", "")
        if choice not in ("keep", "delete"):
            raise web.HTTPError(400, "say whether to keep or delete the namespace (keep or delete)")
        hub = self.hub()
        model = await hub.user(username)
        name = str(model["name"])
        if name == self.user["name"]:
            raise web.HTTPError(400, "you cannot delete yourself")
        namespace = namespace_for(name, self.context.settings.namespace_prefix)
        kube = await self.context.kube()
        found = await _namespace(kube, namespace)
        own = _own(found, name)
        if found is not None and own is None and choice == "delete":
            raise web.HTTPError(
                409,
                "namespace %s is not labelled as %s's: Karvdash does not delete it (nothing "
                "was changed)",
                namespace,
                name,
            )
        exists = own is not None
        before = None  # the annotation as it was, to put back if the hub refuses
        if own is not None:
            before = (own.get("metadata", {}).get("annotations") or {}).get(
                ON_USER_DELETE_ANNOTATION
            )
            await _annotate(kube, namespace, choice)
        try:
            await hub.delete_user(name)
        except Exception:
            if own is not None:
                await _annotate(kube, namespace, before)  # the hub refused: as it was
            raise
        fate = "kept" if exists else "there was none"
        if exists and choice == "delete":
            await _delete_namespace(kube, namespace)  # unless the spawner did already
            fate = "deleted"
        log.info(
            "admin %s deleted user %s; namespace %s %s", self.user["name"], name, namespace, fate
        )
        self.go("", done="deleted", user=name, namespace=namespace, namespace_fate=fate)


class RegistryPage(AdminPage):
    async def get(self) -> None:
        last = self.get_argument("last", None) or None
        page = await self.gateway.repositories(REPOSITORIES_PER_PAGE, last)
        sem = asyncio.Semaphore(4)

        async def usage(repo: str) -> Any:
            async with sem:
                try:
                    return await self.gateway.usage(repo)
                except KarvdashError as exc:
                    return exc.message

        usages = await asyncio.gather(*map(usage, page["repositories"]))
        self.render_page(
            "registry.html",
            repositories=list(zip(page["repositories"], usages, strict=True)),
            next=page.get("next"),
            registry=self.gateway.info(),
            gc=None,
        )


class RepositoryPage(AdminPage):
    async def get(self, repo: str) -> None:
        check_repository(repo)
        tags = sorted(await self.gateway.all_tags(repo))
        sem = asyncio.Semaphore(8)

        async def details(tag: str) -> Any:
            async with sem:
                try:
                    return await self.gateway.details(repo, tag)
                except KarvdashError as exc:
                    return {"tag": tag, "error": exc.message}

        self.render_page(
            "repository.html",
            repository=repo,
            tags=await asyncio.gather(*map(details, tags)),
            usage=await self.gateway.usage(repo),
        )


class RegistryAction(AdminPage):
    async def prepare(self) -> None:
        await super().prepare()
        if self.current_user and not self.registry_admin:
            raise web.HTTPError(
                403, "only registry admins can change the registry (scope %s)", REGISTRY_ADMIN_SCOPE
            )


class DeleteImageAction(RegistryAction):
    async def post(self, repo: str, tag: str) -> None:
        check_repository(repo)
        check_tag(tag)
        result = await self.gateway.delete(repo, tag, self.get_argument("digest", None) or None)
        log.info("admin %s deleted %s:%s (%s)", self.user["name"], repo, tag, result["digest"])
        self.go(
            f"registry/repositories/{repo}",
            done="image-deleted", repository=repo, tag=tag, digest=result["digest"],
        )  # fmt: skip


class DeleteRepositoryAction(RegistryAction):
    async def post(self, repo: str) -> None:
        check_repository(repo)
        result = await self.gateway.delete_repository(repo)
        log.info(
            "admin %s deleted every image of %s (%d)",
            self.user["name"],
            repo,
            len(result["deleted"]),
        )
        self.go("registry", done="repository-deleted", repository=repo)


class GarbageCollectionAction(RegistryAction):
    async def get(self) -> None:
        """The last report (a reload shows it again; it never collects again)."""
        last = self.context.last_gc
        report, by, at = last if last is not None else (None, "", 0.0)
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) if last else ""
        self.render_page("gc.html", report=report, by=by, when=when)

    async def post(self) -> None:
        report = await self.gateway.collect_garbage()
        log.info("admin %s collected garbage: %s", self.user["name"], report.to_json())
        self.context.last_gc = (report, str(self.user["name"]), time.time())
        self.go("registry/gc")


async def _namespace(kube: Any, name: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await request_json(kube, "GET", f"/api/v1/namespaces/{name}")
    except Exception as exc:
        if getattr(exc, "status", None) == 404:
            return None
        raise karvdash_error(exc, f"reading namespace {name}") from None
    return found


def _own(namespace: dict[str, Any] | None, username: str) -> dict[str, Any] | None:
    """``namespace`` if it is labelled as ``username``'s own, else None."""
    if namespace is None or slug_from_namespace(namespace) != user_slug(username):
        return None
    return namespace


async def _annotate(kube: Any, name: str, choice: str | None) -> None:
    """Record ``choice`` (None: remove the annotation) on namespace ``name``."""
    body = {"metadata": {"annotations": {ON_USER_DELETE_ANNOTATION: choice}}}
    try:
        await request_json(
            kube,
            "PATCH",
            f"/api/v1/namespaces/{name}",
            body=body,
            content_type="application/merge-patch+json",
        )
    except Exception as exc:
        raise karvdash_error(exc, f"recording the choice on namespace {name}") from None


async def _delete_namespace(kube: Any, name: str) -> None:
    try:
        await request_json(kube, "DELETE", f"/api/v1/namespaces/{name}")
    except Exception as exc:
        if getattr(exc, "status", None) != 404:
            raise karvdash_error(exc, f"deleting namespace {name}") from None


def admin_routes(prefix: str) -> list[Route]:
    """The admin pages under ``prefix`` (``<service prefix>admin``)."""
    p = prefix.rstrip("/")
    return [
        (p + "/?", UsersPage),
        (f"{p}/users/{USER}/?", UserPage),
        (f"{p}/users/{USER}/services/{SERVICE}/stop", StopServiceAction),
        (f"{p}/users/{USER}/delete", DeleteUserPage),
        (f"{p}/registry/?", RegistryPage),
        (f"{p}/registry/gc", GarbageCollectionAction),
        (f"{p}/registry/repositories/{REPO}/-/tags/{TAG}/delete", DeleteImageAction),
        (f"{p}/registry/repositories/{REPO}/-/delete", DeleteRepositoryAction),
        (f"{p}/registry/repositories/{REPO}/?", RepositoryPage),
    ]
