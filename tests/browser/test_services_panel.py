"""The Services panel in a real JupyterLab, as a new user uses it: launch Hello
Kubernetes through the form, see it Running with its link, read its logs tab, delete
it; manage templates; and no requests while the panel is hidden."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from kubernetes import client
from playwright.sync_api import Page, Request, expect

from karvdash.devstack import DevStack
from karvdash.naming import namespace_for

from . import lab

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def user_lab(
    new_user: Callable[[str], tuple[str, str]],
    lab_of: Callable[[str, str], tuple[Page, str]],
) -> tuple[str, Page, str]:
    name, password = new_user("panel")
    page, base = lab_of(name, password)
    return name, page, base


def test_new_user_launches_and_deletes_hello_kubernetes_from_the_sidebar(
    user_lab: tuple[str, Page, str], shots: Path, api_client: client.ApiClient
) -> None:
    name, page, base = user_lab
    lab.open_panel(page, "karvdash-services")
    panel = page.locator("#karvdash-services")
    expect(panel).to_contain_text("No services yet.")

    panel.get_by_role("button", name="New service").click()
    expect(panel.locator("[data-template='hello-kubernetes']")).to_contain_text(
        "A small web page that says hello"
    )
    page.screenshot(path=shots / "services-templates.png")
    panel.locator("[data-template='hello-kubernetes']").click()

    form = panel.locator("form.jp-karvdash-form")
    expect(form).to_contain_text("Hello Kubernetes")
    service_name = form.locator("#jp-karvdash-field-NAME")
    expect(service_name).to_have_value("hello")
    expect(form).to_contain_text("The message the page shows.")
    expect(form.locator("#jp-karvdash-field-REPLICAS option")).to_have_text(["1", "2", "3"])

    # a wrong name is refused as it is typed, and the form cannot be sent
    service_name.fill("Hello World")
    error = form.locator("#jp-karvdash-field-NAME-error")
    expect(error).to_contain_text("lower-case letters")
    expect(form.get_by_role("button", name="Launch")).to_be_disabled()
    service_name.fill("greeting")
    expect(error).to_have_count(0)
    form.locator("#jp-karvdash-field-MESSAGE").fill("Hello from the sidebar")
    form.locator("#jp-karvdash-field-REPLICAS").select_option("2")
    page.screenshot(path=shots / "services-form.png")
    form.get_by_role("button", name="Launch").click()

    progress = panel.locator(".jp-karvdash-progress")
    expect(progress.locator("[data-status='Running']")).to_be_visible(timeout=60_000)
    info = lab.api_get(page, base, "/info")
    assert isinstance(info, dict)
    url = str(info["service_url"]).replace("{name}", "greeting")
    link = progress.locator("a.jp-karvdash-link")
    expect(link).to_have_attribute("href", url)
    expect(link).to_have_attribute("target", "_blank")
    page.screenshot(path=shots / "services-running.png")
    progress.get_by_role("button", name="Done").click()

    item = panel.locator("li[data-service='greeting']")
    expect(item.locator("[data-status='Running']")).to_be_visible()
    expect(item.locator("a.jp-karvdash-link")).to_have_attribute("href", url)
    expect(item).to_contain_text("hello-kubernetes")
    page.screenshot(path=shots / "services-list.png")

    # what the form asked for is what runs
    deployment = client.AppsV1Api(api_client).read_namespaced_deployment(
        "greeting", namespace_for(name)
    )
    assert deployment.spec.replicas == 2
    env = {e.name: e.value for e in deployment.spec.template.spec.containers[0].env}
    assert env["MESSAGE"] == "Hello from the sidebar"

    # its logs open in a main-area tab (the dev cluster's kubelet serves the container's
    # log, empty: the image cannot run there)
    item.get_by_role("button", name="Logs of greeting").click()
    logs = page.locator("#karvdash-logs-greeting")
    expect(logs).to_be_visible()
    expect(page.locator(".lm-DockPanel-tabBar")).to_contain_text("Logs: greeting")
    expect(logs.locator(".jp-karvdash-logs")).not_to_contain_text("Loading")
    expect(logs.locator(".jp-karvdash-logs")).to_contain_text("(nothing logged)")
    page.locator(".lm-DockPanel-tabBar li", has_text="Logs: greeting").locator(
        ".lm-TabBar-tabCloseIcon"
    ).click()

    # delete asks first; Cancel keeps it
    item.get_by_role("button", name="Delete greeting").click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text("Delete service greeting?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(item).to_be_visible()
    item.get_by_role("button", name="Delete greeting").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Delete").click()
    expect(panel.locator("li[data-service='greeting']")).to_have_count(0)
    expect(panel).to_contain_text("No services yet.")
    assert lab.api_get(page, base, "/services") == []
    deployments = client.AppsV1Api(api_client).list_namespaced_deployment(namespace_for(name))
    assert [d.metadata.name for d in deployments.items] == []


def test_user_template_is_uploaded_downloaded_and_deleted(
    user_lab: tuple[str, Page, str], tmp_path: Path
) -> None:
    _, page, base = user_lab
    source = (REPO / "service-templates" / "hello-kubernetes.template.yaml").read_text()
    source = source.replace("name: Hello Kubernetes", "name: My Greeter", 1)
    upload = tmp_path / "my-greeter.template.yaml"
    upload.write_text(source)

    lab.open_panel(page, "karvdash-services")
    panel = page.locator("#karvdash-services")
    panel.get_by_role("button", name="Templates", exact=True).click()
    panel.locator("input[type='file']").set_input_files(upload)
    mine = panel.locator("li.jp-karvdash-item", has_text="My Greeter")
    expect(mine).to_contain_text("yours")
    templates = lab.api_get(page, base, "/templates")
    assert isinstance(templates, list)
    ids = [t["id"] for t in templates if t["name"] == "My Greeter"]
    assert len(ids) == 1

    with page.expect_download() as download:
        mine.get_by_role("button", name="Download My Greeter").click()
    saved = tmp_path / "saved.yaml"
    download.value.save_as(saved)
    assert saved.read_text() == source
    # system templates can be downloaded, not deleted
    system = panel.locator("li.jp-karvdash-item", has_text="Hello Kubernetes")
    expect(system.get_by_role("button", name="Download Hello Kubernetes")).to_be_visible()
    expect(system.get_by_role("button", name="Delete Hello Kubernetes")).to_have_count(0)

    mine.get_by_role("button", name="Delete My Greeter").click()
    page.locator(".jp-Dialog").get_by_role("button", name="Delete").click()
    expect(panel.locator("li.jp-karvdash-item", has_text="My Greeter")).to_have_count(0)
    templates = lab.api_get(page, base, "/templates")
    assert isinstance(templates, list)
    assert "My Greeter" not in [t["name"] for t in templates]


def test_hidden_panel_makes_no_requests(user_lab: tuple[str, Page, str], cluster: DevStack) -> None:
    _, page, base = user_lab
    lab.set_lab_setting(page, base, "karvdash:plugin", {"refreshInterval": 1})
    page.reload()
    lab.wait_for_lab(page)
    seen: list[float] = []

    def count(request: Request) -> None:
        if request.url.rstrip("/").endswith("/karvdash/api/services"):
            seen.append(time.monotonic())

    page.on("request", count)
    lab.open_panel(page, "karvdash-services")
    page.wait_for_timeout(3500)
    assert len(seen) >= 2  # shown: refreshed every second
    lab.open_panel(page, "filebrowser")
    page.wait_for_timeout(500)
    hidden_from = len(seen)
    page.wait_for_timeout(3500)
    assert len(seen) == hidden_from  # hidden: not one request
    lab.open_panel(page, "karvdash-services")
    page.wait_for_timeout(1500)
    assert len(seen) > hidden_from  # shown again: refreshed at once
    page.remove_listener("request", count)
    lab.set_lab_setting(page, base, "karvdash:plugin", {})


def test_panels_follow_the_dark_theme(user_lab: tuple[str, Page, str], shots: Path) -> None:
    _, page, base = user_lab
    lab.set_lab_setting(page, base, "@jupyterlab/apputils-extension:themes",
                        {"theme": "JupyterLab Dark"})  # fmt: skip
    try:
        page.reload()
        lab.wait_for_lab(page)
        lab.open_panel(page, "karvdash-services")
        panel = page.locator("#karvdash-services")
        expect(panel).to_contain_text("Services")
        background = panel.evaluate("e => getComputedStyle(e).backgroundColor")
        text = panel.evaluate("e => getComputedStyle(e).color")
        assert _brightness(background) < 80, background
        assert _brightness(text) > 150, text
        page.screenshot(path=shots / "services-dark.png")
    finally:
        lab.set_lab_setting(page, base, "@jupyterlab/apputils-extension:themes", {})
        page.reload()
        lab.wait_for_lab(page)


def _brightness(css_color: str) -> float:
    """Mean of the red, green and blue of ``rgb(r, g, b)``."""
    red, green, blue = (float(v) for v in css_color[css_color.index("(") + 1 : -1].split(",")[:3])
    return (red + green + blue) / 3
