"""The Karvdash admin page in a real browser with JavaScript off: an admin finds it from the
hub's navigation, reads users, namespaces, services and folders, and deletes a user after
choosing what happens to the namespace. The screenshot is the one in docs/operators.md."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import requests
from kubernetes import client
from playwright.sync_api import Browser, expect

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for, user_slug

from ..hub.hubclient import HubClient, api, wait_server


def test_admin_reads_the_page_without_javascript_and_deletes_a_user(
    cluster: DevStack,
    browser: Browser,
    hub_admin: HubClient,
    core: client.CoreV1Api,
    new_user: Callable[[str], tuple[str, str]],
    shots: Path,
) -> None:
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    hub_url = cluster.hub.url
    token = hub_admin.new_token("admin", note="admin page browser test")
    name, _ = new_user("ada")
    new_user("ben")  # approved, never logged in
    # a hub user from the first login on; the admin starts the server for them
    assert api(hub_url, token, "POST", "/users", json={"usernames": [name]}).status_code == 201
    assert api(hub_url, token, "POST", f"/users/{name}/server").status_code in (201, 202)
    wait_server(hub_url, token, name)
    user_token = api(hub_url, token, "POST", f"/users/{name}/tokens", json={}).json()["token"]
    launched = requests.post(
        f"{hub_url}/user/{name}/karvdash/api/services",
        json={"template": "hello-kubernetes", "name": "hello"},
        headers={"Authorization": f"token {user_token}"},
        timeout=60,
    )
    assert launched.status_code == 201, launched.text
    folder = Path(cluster.state_dir) / "data" / "local" / user_slug(name)
    (folder / "notes.md").write_text("kept whatever happens\n" * 2000)

    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 760}
    )
    try:
        page = context.new_page()
        page.goto(f"{hub_url}/hub/login?next=/hub/home")
        page.fill("#username_input", "admin")
        page.fill("#password_input", cluster.hub.admin_password)
        page.click("#login_submit")
        page.wait_for_url("**/hub/home")
        page.click("#karvdash-admin-link")
        page.wait_for_url("**/services/karvdash/admin/")
        row = page.locator(f'tr[data-user="{name}"]')
        expect(row.locator("td.server")).to_have_text("running")
        expect(row.locator("td.services")).to_have_text("1")
        expect(row.locator("td.approval")).to_have_text("authorized")
        if "counting" in (row.locator("td.folders").text_content() or ""):
            page.reload()
        expect(row.locator("td.folders")).to_contain_text("local: ")
        expect(row.locator("td.folders")).not_to_contain_text("counting")
        page.screenshot(path=shots / "admin-users.png", full_page=True)

        page.click(f'a[href="/services/karvdash/admin/users/{name}"]')
        service = page.locator('tr[data-service="hello"]')
        expect(service).to_contain_text("hello-kubernetes")
        expect(service).to_contain_text(f"https://hello-{name}.")
        page.screenshot(path=shots / "admin-user.png", full_page=True)

        page.click("#delete-user")
        expect(page.locator(".karvdash-admin")).to_contain_text(f"{folder} (local) stays")
        page.check("#delete")
        page.click('#delete-form button[type="submit"]')
        expect(page.locator("#done")).to_contain_text(f"User {name} was deleted")
        expect(page.locator("#done")).to_contain_text(f"Namespace {namespace_for(name)}: deleted")
        expect(page.locator(f'tr[data-user="{name}"]')).to_have_count(0)
    finally:
        context.close()

    assert api(hub_url, token, "GET", f"/users/{name}").status_code == 404
    assert (folder / "notes.md").read_text().startswith("kept whatever happens")
    try:
        assert core.read_namespace(namespace_for(name)).status.phase == "Terminating"
    except client.ApiException as exc:
        assert exc.status == 404  # noqa: PT017 - gone already is as good as going
