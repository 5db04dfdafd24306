"""The Karvdash admin page on the real hub, proxy, registry and dev cluster: admins see every
user, namespace, service and repository; users are refused; actions take effect in the
cluster, the hub and the registry, and data folders are never touched.

The page is read the way a browser without JavaScript reads it: plain GETs, forms posted
with the ``_xsrf`` field the page carries.
"""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from kubernetes import client

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for, user_slug
from karvdash.services import ServiceManager
from karvdash.settings import ON_USER_DELETE_ANNOTATION, load_settings

from ..helpers import push_images
from .hubclient import HubClient, api, user_model, wait_server

PASSWORD = "a-Long-passw0rd-for-tests"
XSRF = re.compile(r'name="_xsrf" value="([^"]+)"')
XSRF_FIELD = re.compile(r'name="_xsrf"\s+value="([^"]*)"')
SCOPE_FIELD = re.compile(r'name="scopes"\s+value="([^"]*)"')


def _admin_page(hub_url: str) -> str:
    return f"{hub_url}/services/karvdash/admin/"


def _get(browser: HubClient, url: str) -> requests.Response:
    answer = browser.session.get(url, timeout=60)
    assert answer.status_code == 200, answer.text[-800:]
    assert answer.url.startswith(url.split("?")[0]), answer.url  # no login detour left
    return answer


def _post_form(browser: HubClient, page: str, action: str, **fields: str) -> requests.Response:
    """Submit the form of ``page`` whose action is ``action``, as a browser would."""
    form = re.search(rf'<form[^>]*action="{re.escape(action)}".*?</form>', page, flags=re.DOTALL)
    assert form, f"no form posting to {action}"
    xsrf = XSRF.search(form.group(0))
    assert xsrf, "the form carries no XSRF token"
    return browser.session.post(
        browser.url + html.unescape(action),
        data={"_xsrf": html.unescape(xsrf.group(1)), **fields},
        timeout=120,
    )


def _row(page: str, attribute: str, value: str) -> str:
    found = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', page, flags=re.DOTALL)
    assert found, f"no row {attribute}={value}"
    return found.group(1)


def _cell(row: str, css: str) -> str:
    found = re.search(rf'<td class="{css}[^"]*">(.*?)</td>', row, flags=re.DOTALL)
    assert found, f"no cell {css} in {row}"
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


def _approved_user(hub_url: str, admin: HubClient, name: str) -> HubClient:
    browser = HubClient(hub_url)
    browser.sign_up(name, PASSWORD, f"{name}@example.org")
    admin.session.get(f"{hub_url}/hub/authorize/{name}", timeout=10).raise_for_status()
    browser.log_in(name, PASSWORD)
    assert browser.logged_in
    return browser


def _user_with_server(hub_url: str, token: str, name: str) -> None:
    assert api(hub_url, token, "POST", "/users", json={"usernames": [name]}).ok
    assert api(hub_url, token, "POST", f"/users/{name}/server").status_code in (201, 202)
    wait_server(hub_url, token, name)


def _bare_service(
    core: client.CoreV1Api, namespace: str, name: str, annotations: dict[str, str] | None = None
) -> None:
    """A Service labelled as a Karvdash service, made directly (as a user could)."""
    core.create_namespaced_service(
        namespace,
        client.V1Service(
            metadata=client.V1ObjectMeta(
                name=name, labels={"karvdash.io/service": name}, annotations=annotations
            ),
            spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=80)]),
        ),
    )


def _user_and_foreign_namespace(
    hub_url: str,
    admin_token: str,
    core: client.CoreV1Api,
    name: str,
    labels: dict[str, str] | None = None,
) -> str:
    """A hub user and a namespace of their namespace's name that Karvdash did not make
    for them (no label, or ``labels``, as a user or an operator could make it)."""
    namespace = namespace_for(name)
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    meta = client.V1ObjectMeta(name=namespace, labels=labels)
    core.create_namespace(client.V1Namespace(metadata=meta))
    return namespace


def _gone(core: client.CoreV1Api, namespace: str) -> bool:
    try:
        return bool(core.read_namespace(namespace).status.phase == "Terminating")
    except client.ApiException as exc:
        if exc.status == 404:
            return True
        raise


def _launch(cluster: DevStack, kubeconfig: Path, user: str, template: str, name: str) -> None:
    from kubernetes_asyncio import client as aclient
    from kubernetes_asyncio import config as aconfig

    async def run() -> None:
        cfg = aclient.Configuration()
        await aconfig.load_kube_config(config_file=str(kubeconfig), client_configuration=cfg)
        async with aclient.ApiClient(cfg) as api_client:
            manager = ServiceManager(
                api_client, load_settings(env=cluster.env), user, namespace_for(user)
            )
            await manager.create(template, name=name)

    asyncio.run(run())


def test_admins_see_the_link_and_users_neither_link_nor_page(
    hub_url: str, admin: HubClient, admin_token: str, new_username: Callable[[str], str]
) -> None:
    name = new_username("nosy")
    user = _approved_user(hub_url, admin, name)

    home = admin.session.get(f"{hub_url}/hub/home", timeout=10).text
    assert 'id="karvdash-admin-link" href="/services/karvdash/admin/"' in home
    user_home = user.session.get(f"{hub_url}/hub/home", timeout=10).text
    assert "Karvdash admin" not in user_home
    assert "Home" in user_home  # the hub's own navigation is still there

    by_cookie = user.session.get(_admin_page(hub_url), timeout=30)
    assert by_cookie.status_code == 403
    assert "admin:users" in by_cookie.text
    token = api(hub_url, admin_token, "POST", f"/users/{name}/tokens", json={}).json()["token"]
    for path in ("", "registry", f"users/{name}", "users/admin/delete"):
        answer = requests.get(
            _admin_page(hub_url) + path, headers={"Authorization": f"token {token}"}, timeout=30
        )
        assert answer.status_code == 403, path
    refused = requests.post(
        _admin_page(hub_url) + "users/admin/delete",
        data={"namespace": "delete"},
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert refused.status_code == 403
    assert user_model(hub_url, admin_token, "admin")["name"] == "admin"

    anonymous = requests.get(_admin_page(hub_url), timeout=30)
    assert "/hub/login" in anonymous.url  # sent to log in first


def test_admin_sees_users_namespaces_services_quota_and_folders(
    cluster: DevStack,
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    kubeconfig: Path,
    new_username: Callable[[str], str],
) -> None:
    waiting = new_username("waiting")
    HubClient(hub_url).sign_up(waiting, PASSWORD, f"{waiting}@example.org")
    busy = new_username("busy")
    _approved_user(hub_url, admin, busy)  # logging in starts the server
    wait_server(hub_url, admin_token, busy)
    _launch(cluster, kubeconfig, busy, "hello-kubernetes", "web")
    folder = Path(cluster.state_dir) / "data" / "local" / user_slug(busy)
    (folder / "results.csv").write_bytes(b"x" * 300_000)

    page = _get(admin, _admin_page(hub_url)).text
    if "counting…" in _row(page, "data-user", busy):
        time.sleep(6)  # counted in the background; ready at the next visit
        page = _get(admin, _admin_page(hub_url)).text

    row = _row(page, "data-user", busy)
    assert _cell(row, "approval") == "authorized"
    assert _cell(row, "server") == "running"
    assert _cell(row, "namespace") == namespace_for(busy)
    assert _cell(row, "services") == "1"
    assert int(_cell(row, "pods")) >= 2  # the user's server and the service's pod
    assert "no quota" in _cell(row, "quota")
    folders = _cell(row, "folders")
    assert re.search(r"local: (29\d|30\d)\.\d KiB", folders), folders  # 300,000 bytes
    assert f"{busy}@example.org" in row

    pending = _row(page, "data-user", waiting)
    assert _cell(pending, "approval") == "waiting"
    assert 'href="/hub/authorize"' in pending
    assert _cell(pending, "namespace") == "none yet"
    admin_row = _row(page, "data-user", "admin")
    assert "badge" in admin_row
    assert ">admin<" in admin_row

    detail = _get(admin, _admin_page(hub_url) + f"users/{busy}").text
    service = _row(detail, "data-service", "web")
    assert "hello-kubernetes" in service
    assert f"https://web-{busy}." in service
    assert 'id="open-server"' in detail
    open_link = re.search(r'id="open-server" href="([^"]+)"', detail)
    assert open_link
    assert open_link.group(1) == f"/user/{busy}/"
    # an admin reaches the user's server through JupyterHub's own admin access
    opened = admin.session.get(f"{hub_url}{open_link.group(1)}", timeout=60)
    assert opened.status_code == 200, opened.text[-300:]
    # JupyterHub asks an admin to confirm access to someone else's server
    assert "/hub/api/oauth2/authorize" in opened.url
    fields = {
        "_xsrf": html.unescape(XSRF_FIELD.findall(opened.text)[0]),
        "scopes": [html.unescape(v) for v in SCOPE_FIELD.findall(opened.text)],
    }
    opened = admin.session.post(opened.url, data=fields, timeout=60)
    assert opened.status_code == 200, opened.text[-300:]
    assert opened.url.startswith(f"{hub_url}/user/{busy}/")
    status = admin.session.get(f"{hub_url}/user/{busy}/api/status", timeout=60)
    assert status.status_code == 200, status.text[-300:]


def test_quota_use_is_shown(
    cluster: DevStack,
    hub_url: str,
    admin: HubClient,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    name = new_username("quota")
    _approved_user(hub_url, admin, name)
    namespace = namespace_for(name)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            core.read_namespace(namespace)
            break
        except client.ApiException:
            time.sleep(0.5)
    core.create_namespaced_resource_quota(
        namespace,
        client.V1ResourceQuota(
            metadata=client.V1ObjectMeta(name="limits"),
            spec=client.V1ResourceQuotaSpec(hard={"pods": "7", "services": "5"}),
        ),
    )
    deadline = time.monotonic() + 30
    quota = ""
    while time.monotonic() < deadline:
        quota = _cell(_row(_get(admin, _admin_page(hub_url)).text, "data-user", name), "quota")
        if "pods" in quota and "/7" in quota:
            break
        time.sleep(1)
    assert re.search(r"pods \d+/7", quota), quota
    assert "services 0/5" in quota


def test_stop_service_deletes_its_objects_and_nothing_else(
    cluster: DevStack,
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    core: client.CoreV1Api,
    kubeconfig: Path,
    new_username: Callable[[str], str],
) -> None:
    name = new_username("stopper")
    namespace = namespace_for(name)
    _user_with_server(hub_url, admin_token, name)
    _launch(cluster, kubeconfig, name, "hello-kubernetes", "one")
    _launch(cluster, kubeconfig, name, "hello-kubernetes", "two")
    user_page = _admin_page(hub_url) + f"users/{name}"
    page = _get(admin, user_page).text

    done = _post_form(admin, page, f"/services/karvdash/admin/users/{name}/services/one/stop")

    assert done.status_code == 200, done.text[-500:]
    assert "Service one was stopped" in done.text
    assert 'data-service="one"' not in done.text
    assert 'data-service="two"' in done.text
    selector = "karvdash.io/service=one"
    assert not core.list_namespaced_service(namespace, label_selector=selector).items
    deadline = time.monotonic() + 30
    while core.list_namespaced_pod(namespace, label_selector=selector).items:
        assert time.monotonic() < deadline, "the service's pods stayed"
        time.sleep(0.5)
    assert core.list_namespaced_service(namespace, label_selector="karvdash.io/service=two").items
    assert user_model(hub_url, admin_token, name)["servers"][""]["ready"]  # server untouched


def test_stop_service_acts_only_in_labelled_user_namespaces(
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    # a namespace with a user's name but not made by Karvdash (no karvdash.io/user label):
    # the page refuses to act in it, and what is there stays
    name = new_username("unlabelled")
    namespace = _user_and_foreign_namespace(hub_url, admin_token, core, name)
    _bare_service(core, namespace, "db")
    page = _get(admin, _admin_page(hub_url) + f"users/{name}").text
    assert "not labelled as this user" in page
    assert 'data-service="db"' not in page  # not shown, hence no form: post by hand
    xsrf = XSRF.search(_get(admin, _admin_page(hub_url) + f"users/{name}/delete").text)
    assert xsrf

    answer = admin.session.post(
        _admin_page(hub_url) + f"users/{name}/services/db/stop",
        data={"_xsrf": html.unescape(xsrf.group(1))},
        timeout=30,
    )

    assert answer.status_code == 404, answer.text[-500:]
    assert f"has no namespace {namespace}" in html.unescape(answer.text)
    assert core.read_namespaced_service("db", namespace).metadata.name == "db"


@pytest.mark.parametrize("choice", ["keep", "delete"])
def test_delete_user_asks_about_the_namespace_and_never_deletes_data(
    choice: str,
    cluster: DevStack,
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    name = new_username("leaving")
    namespace = namespace_for(name)
    _approved_user(hub_url, admin, name)
    wait_server(hub_url, admin_token, name)
    folder = Path(cluster.state_dir) / "data" / "local" / user_slug(name)
    (folder / "thesis.tex").write_text("years of work")

    confirm = _get(admin, _admin_page(hub_url) + f"users/{name}/delete").text
    assert "never" in confirm
    assert str(folder) in confirm
    assert 'value="keep" checked' in confirm  # keeping is the default
    done = _post_form(
        admin, confirm, f"/services/karvdash/admin/users/{name}/delete", namespace=choice
    )

    assert done.status_code == 200, done.text[-500:]
    assert f"User {name} was deleted" in done.text
    assert api(hub_url, admin_token, "GET", f"/users/{name}").status_code == 404
    assert (folder / "thesis.tex").read_text() == "years of work"
    if choice == "keep":
        kept = core.read_namespace(namespace)
        assert kept.status.phase == "Active"
        assert kept.metadata.annotations[ON_USER_DELETE_ANNOTATION] == "keep"
        assert f"Namespace {namespace}: kept" in done.text
    else:
        assert f"Namespace {namespace}: deleted" in done.text
        assert _gone(core, namespace)


def test_delete_user_refuses_a_missing_choice_and_changes_nothing(
    hub_url: str, admin: HubClient, admin_token: str, new_username: Callable[[str], str]
) -> None:
    name = new_username("stays")
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    confirm = _get(admin, _admin_page(hub_url) + f"users/{name}/delete").text

    answer = _post_form(admin, confirm, f"/services/karvdash/admin/users/{name}/delete")

    assert answer.status_code == 400
    assert "keep or delete" in answer.text
    assert api(hub_url, admin_token, "GET", f"/users/{name}").status_code == 200


def test_registry_admin_lists_sizes_deletes_and_collects_garbage(
    cluster: DevStack, hub_url: str, admin: HubClient
) -> None:
    repo = f"admin-page/{user_slug('r' + str(time.monotonic_ns())[-6:])}"
    push_images(cluster.env, repo, {"v1": "one", "v2": "two"})
    registry = _admin_page(hub_url) + "registry"
    page = _get(admin, registry).text
    while f'data-repository="{repo}"' not in page:
        more = re.search(r'id="next-page" href="([^"]+)"', page)
        assert more, f"{repo} is not listed"
        page = _get(admin, hub_url + html.unescape(more.group(1))).text
    row = _row(page, "data-repository", repo)
    assert _cell(row, "tags") == "2"
    assert _cell(row, "images") == "2"
    assert re.match(r"\d+(\.\d)? (B|KiB)$", _cell(row, "size")), _cell(row, "size")

    repo_page = _get(admin, f"{registry}/repositories/{repo}").text
    assert 'data-tag="v1"' in repo_page
    assert 'data-tag="v2"' in repo_page
    done = _post_form(
        admin, repo_page, f"/services/karvdash/admin/registry/repositories/{repo}/-/tags/v1/delete"
    )
    assert done.status_code == 200, done.text[-500:]
    assert f"Image {repo}:v1 was deleted" in done.text
    assert 'data-tag="v1"' not in done.text
    assert 'data-tag="v2"' in done.text

    # any user may push a repository whose name reads like an action on another one:
    # deleting every image of "<repo>/tags/v2" leaves <repo>:v2 alone
    hostile = f"{repo}/tags/v2"
    push_images(cluster.env, hostile, {"x": "other"})
    hostile_page = _get(admin, f"{registry}/repositories/{hostile}").text
    assert 'data-tag="x"' in hostile_page
    listing = _get(admin, registry + f"?last={quote(repo, safe='')}").text
    done = _post_form(
        admin, listing, f"/services/karvdash/admin/registry/repositories/{hostile}/-/delete"
    )
    assert f"Every image of {hostile} was deleted" in done.text
    assert 'data-tag="v2"' in _get(admin, f"{registry}/repositories/{repo}").text

    listing = _get(admin, registry).text
    while f"/registry/repositories/{repo}/-/delete" not in listing:
        more = re.search(r'id="next-page" href="([^"]+)"', listing)
        assert more, f"{repo} is not listed"
        listing = _get(admin, hub_url + html.unescape(more.group(1))).text
    done = _post_form(
        admin, listing, f"/services/karvdash/admin/registry/repositories/{repo}/-/delete"
    )
    assert f"Every image of {repo} was deleted" in done.text
    assert not _get(admin, f"{registry}/repositories/{repo}").text.count('data-tag="')

    report = _post_form(admin, done.text, "/services/karvdash/admin/registry/gc")
    assert report.status_code == 200, report.text[-500:]
    assert "Garbage collection done" in report.text
    assert report.url == registry + "/gc"  # after the POST, a page that a reload only shows
    ran = re.search(r'id="gc-when">Run by admin at ([^<]*)<', report.text)
    assert ran, report.text[-800:]
    deleted = re.search(r'id="blobs-deleted">(\d+)<', report.text)
    assert deleted
    assert int(deleted.group(1)) >= 2
    assert f"Run by admin at {ran.group(1)}<" in _get(admin, registry + "/gc").text  # not again


def test_a_non_admin_registry_request_through_the_page_is_refused(
    hub_url: str, admin: HubClient, admin_token: str, new_username: Callable[[str], str]
) -> None:
    name = new_username("regular")
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    token = api(hub_url, admin_token, "POST", f"/users/{name}/tokens", json={}).json()["token"]
    answer = requests.post(
        _admin_page(hub_url) + "registry/gc",
        headers={"Authorization": f"token {token}"},
        timeout=30,
    )
    assert answer.status_code == 403
    assert "admin:users" in html.unescape(answer.text)


def test_a_page_reader_who_is_no_registry_admin_cannot_change_the_registry(
    cluster: DevStack, hub_url: str, admin_token: str
) -> None:
    # "pagereader" holds admin:users (tests/hub/hub_test_config.py), not a registry admin
    repo = f"admin-page/{user_slug('k' + str(time.monotonic_ns())[-6:])}"
    push_images(cluster.env, repo, {"v1": "kept"})
    token = api(hub_url, admin_token, "POST", "/users/pagereader/tokens", json={}).json()
    headers = {"Authorization": f"token {token['token']}"}
    page = _admin_page(hub_url)
    assert requests.get(page, headers=headers, timeout=30).status_code == 200  # reads it
    for action in ("registry/gc", f"registry/repositories/{repo}/-/delete"):
        answer = requests.post(page + action, headers=headers, timeout=30)
        assert answer.status_code == 403, (action, answer.text[-500:])
        assert "only registry admins" in html.unescape(answer.text)
    repo_page = requests.get(page + f"registry/repositories/{repo}", headers=headers, timeout=30)
    assert 'data-tag="v1"' in repo_page.text  # still there


def test_an_action_without_the_pages_xsrf_token_is_refused_and_changes_nothing(
    hub_url: str, admin: HubClient, admin_token: str, new_username: Callable[[str], str]
) -> None:
    # what another site's page could make an admin's browser send: the hub's cookie, no
    # _xsrf field (or a wrong one)
    name = new_username("target")
    assert api(hub_url, admin_token, "POST", "/users", json={"usernames": [name]}).ok
    for fields in ({"namespace": "delete"}, {"namespace": "delete", "_xsrf": "forged"}):
        answer = admin.session.post(
            _admin_page(hub_url) + f"users/{name}/delete", data=fields, timeout=30
        )
        # JupyterHub's HubOAuth takes no cookie without the matching _xsrf: nobody is
        # logged in for this request
        assert answer.status_code == 401, answer.text[-500:]
    assert api(hub_url, admin_token, "GET", f"/users/{name}").status_code == 200


def test_delete_user_never_deletes_a_namespace_labelled_as_someone_elses(
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    name = new_username("namesake")
    labels = {"karvdash.io/user": user_slug(name) + "x"}  # another user's label
    namespace = _user_and_foreign_namespace(hub_url, admin_token, core, name, labels)
    confirm = _get(admin, _admin_page(hub_url) + f"users/{name}/delete").text
    assert "not labelled as this user" in confirm
    assert 'value="delete"' not in confirm  # only "keep" is offered

    answer = _post_form(
        admin, confirm, f"/services/karvdash/admin/users/{name}/delete", namespace="delete"
    )

    assert answer.status_code == 409, answer.text[-500:]
    assert "nothing was changed" in html.unescape(answer.text)
    assert api(hub_url, admin_token, "GET", f"/users/{name}").status_code == 200
    found = core.read_namespace(namespace)
    assert found.status.phase == "Active"
    assert ON_USER_DELETE_ANNOTATION not in (found.metadata.annotations or {})


def test_a_users_hostile_service_address_is_never_a_link(
    hub_url: str,
    admin: HubClient,
    admin_token: str,
    core: client.CoreV1Api,
    new_username: Callable[[str], str],
) -> None:
    # users are admins of their namespace and write their services' annotations
    name = new_username("mallory")
    _user_with_server(hub_url, admin_token, name)
    _bare_service(
        core, namespace_for(name), "trap", {"karvdash.io/url": "javascript:alert(document.cookie)"}
    )

    answer = _get(admin, _admin_page(hub_url) + f"users/{name}")

    row = _row(answer.text, "data-service", "trap")
    assert "javascript:alert(document.cookie)" in row  # shown as text
    assert 'href="javascript:' not in answer.text
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
