"""The Images panel in a real JupyterLab: a user uploads a `docker save` archive with
the progress bar and sees it listed with its details (no delete button for them), can
cancel an upload, and an admin deletes the image; skopeo checks the dev stack's registry
(behind the hub service's gateway) each time."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from karvdash.devstack import DevStack

from ..registry.images import Image, layer
from . import lab


def _inspect(cluster: DevStack, ref: str) -> subprocess.CompletedProcess[str]:
    registry = cluster.registry
    assert registry is not None
    return subprocess.run(
        ["skopeo", "inspect", "--cert-dir", str(registry.cert_dir), "--creds",
         f"{registry.username}:{registry.password}", f"docker://{registry.host}/{ref}"],
        capture_output=True, text=True, timeout=60, check=False,
        env={"HOME": "/tmp", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def user_lab(
    new_user: Callable[[str], tuple[str, str]],
    lab_of: Callable[[str, str], tuple[Page, str]],
) -> tuple[str, Page, str]:
    name, password = new_user("images")
    page, base = lab_of(name, password)
    return name, page, base


def test_user_uploads_an_image_and_sees_it_listed_without_delete(
    user_lab: tuple[str, Page, str], cluster: DevStack, shots: Path, tmp_path: Path
) -> None:
    name, page, _ = user_lab
    archive = tmp_path / "tiny-app.tar"
    archive.write_bytes(Image([layer({"hello.txt": b"hello from the sidebar\n"})]).docker_archive())

    lab.open_panel(page, "karvdash-images")
    panel = page.locator("#karvdash-images")
    expect(panel.locator(".jp-karvdash-registry")).to_contain_text("127.0.0.1")
    panel.get_by_role("button", name="Upload an image").click()
    panel.locator("#jp-karvdash-archive").set_input_files(archive)
    repository = f"{name}/tiny-app"
    expect(panel.locator("#jp-karvdash-repository")).to_have_value(repository)
    panel.locator("#jp-karvdash-tag").fill("v1")
    page.screenshot(path=shots / "images-upload.png")
    panel.get_by_role("button", name="Upload", exact=True).click()

    repo = panel.locator(f"li[data-repository='{repository}']")
    tag = repo.locator("li[data-tag='v1']")
    expect(tag).to_be_visible(timeout=60_000)
    expect(page.locator(".jp-Notification-Toast-success").first).to_contain_text(
        f"Uploaded {repository}:v1"
    )
    tag.get_by_role("button").first.click()
    details = tag.locator(".jp-karvdash-details")
    expect(details).to_contain_text("sha256:")
    expect(details).to_contain_text("linux/amd64")
    expect(details).to_contain_text("Docker schema 2")
    expect(tag.get_by_role("button", name="Copy reference")).to_be_visible()
    # not a registry admin: no delete button (and the gateway would refuse anyway)
    expect(panel.locator(".jp-karvdash-delete-image")).to_have_count(0)
    page.screenshot(path=shots / "images-list.png")

    digest = details.locator(".jp-karvdash-digest").inner_text()
    # a standard client finds the same image in the registry
    found = _inspect(cluster, f"{repository}:v1")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["Digest"] == digest


def test_upload_can_be_cancelled_and_leaves_no_tag(
    user_lab: tuple[str, Page, str], cluster: DevStack, tmp_path: Path
) -> None:
    name, page, _ = user_lab
    archive = tmp_path / "big.tar"
    archive.write_bytes(Image([layer({"data.bin": os.urandom(8 * 1024 * 1024)})]).docker_archive())
    # a slow link, so that there is time to press Cancel
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1,
         "uploadThroughput": 512 * 1024},
    )  # fmt: skip
    try:
        lab.open_panel(page, "karvdash-images")
        panel = page.locator("#karvdash-images")
        panel.get_by_role("button", name="Upload an image").click()
        panel.locator("#jp-karvdash-archive").set_input_files(archive)
        panel.locator("#jp-karvdash-repository").fill(f"{name}/big")
        panel.locator("#jp-karvdash-tag").fill("v1")
        panel.get_by_role("button", name="Upload", exact=True).click()
        bar = panel.locator("progress.jp-karvdash-progressbar")
        expect(bar).to_be_visible()
        expect(panel.locator(".jp-karvdash-upload")).to_contain_text("MiB of")
        panel.get_by_role("button", name="Cancel upload").click()
        expect(bar).to_have_count(0)
        expect(panel.locator("#jp-karvdash-archive")).to_be_visible()
    finally:
        cdp.send("Network.emulateNetworkConditions",
                 {"offline": False, "latency": 0, "downloadThroughput": -1,
                  "uploadThroughput": -1})  # fmt: skip
        cdp.detach()
    page.wait_for_timeout(2000)
    assert _inspect(cluster, f"{name}/big:v1").returncode != 0


def test_admin_deletes_an_image_from_the_panel(
    user_lab: tuple[str, Page, str],
    lab_of: Callable[[str, str], tuple[Page, str]],
    cluster: DevStack,
    shots: Path,
) -> None:
    name, _, _ = user_lab
    assert cluster.hub is not None
    assert cluster.hub.admin_password
    page, _ = lab_of("admin", cluster.hub.admin_password)
    repository = f"{name}/tiny-app"
    assert _inspect(cluster, f"{repository}:v1").returncode == 0

    lab.open_panel(page, "karvdash-images")
    panel = page.locator("#karvdash-images")
    expect(panel.locator(".jp-karvdash-registry")).to_contain_text("admin")
    repo = panel.locator(f"li[data-repository='{repository}']")
    repo.get_by_role("button").first.click()
    tag = repo.locator("li[data-tag='v1']")
    tag.get_by_role("button").first.click()
    delete = tag.get_by_role("button", name=f"Delete {repository}:v1")
    expect(delete).to_be_visible()
    page.screenshot(path=shots / "images-admin.png")
    delete.click()
    dialog = page.locator(".jp-Dialog")
    expect(dialog).to_contain_text(f"Delete image {repository}:v1?")
    dialog.get_by_role("button", name="Delete").click()
    expect(repo.locator("li[data-tag='v1']")).to_have_count(0)
    assert _inspect(cluster, f"{repository}:v1").returncode != 0
