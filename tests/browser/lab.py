"""Driving Karvdash in a real browser, as a person does: Debian's chromium through
Playwright, the hub's sign-up and login pages, JupyterLab and its sidebar.

Screenshots go to ``$KARVDASH_SCREENSHOT_DIR`` when it is set (``docs/images`` to
refresh the documentation's pictures), else to the test session's temporary folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
LAB_TIMEOUT = 120_000  # ms: a spawn plus JupyterLab's first load on a busy machine

QUIET_LAB = {
    # no news or update checks from the test browser
    "@jupyterlab/apputils-extension:notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def screenshot_dir(default: Path) -> Path:
    folder = Path(os.environ.get("KARVDASH_SCREENSHOT_DIR") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sign_up(page: Page, hub_url: str, username: str, password: str) -> None:
    """Fill in the hub's sign-up form."""
    page.goto(f"{hub_url}/hub/signup")
    page.fill("#username_input", username)
    page.fill("#email_input", f"{username}@example.org")
    page.fill("#password_input", password)
    page.fill("#password_confirmation_input", password)
    page.click("#signup_submit")
    expect(page.get_by_role("alert")).to_contain_text("Your information has been sent to the admin")


def log_in_to_lab(page: Page, hub_url: str, username: str, password: str) -> str:
    """Log in on the hub's page; wait until JupyterLab has started; its base URL."""
    page.goto(f"{hub_url}/hub/login")
    page.fill("#username_input", username)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url("**/lab**", timeout=LAB_TIMEOUT)
    wait_for_lab(page)
    base = page.url.split("/lab")[0] + "/"
    for plugin, values in QUIET_LAB.items():
        set_lab_setting(page, base, plugin, values)
    return base


def wait_for_lab(page: Page) -> None:
    page.wait_for_selector("#jp-main-dock-panel", timeout=LAB_TIMEOUT)
    page.wait_for_selector("li[data-id='karvdash-services']", timeout=LAB_TIMEOUT)


def set_lab_setting(page: Page, base: str, plugin: str, values: dict[str, object]) -> None:
    """Save a JupyterLab setting as the settings editor does (the page's own session)."""
    status = page.evaluate(
        """async ([url, raw]) => {
            const xsrf = (document.cookie.match('\\\\b_xsrf=([^;]*)\\\\b') || [])[1] || '';
            const answer = await fetch(url, {
                method: 'PUT', body: JSON.stringify({raw}),
                headers: {'Content-Type': 'application/json', 'X-XSRFToken': xsrf},
            });
            return answer.status;
        }""",
        [f"{base}lab/api/settings/{plugin}", json.dumps(values)],
    )
    assert status == 204, f"saving {plugin} answered {status}"


def api_get(page: Page, base: str, path: str) -> object:
    """GET a Karvdash API path with the page's own session."""
    answer = page.request.get(f"{base}karvdash/api{path}")
    assert answer.ok, answer.text()
    return answer.json()


def open_panel(page: Page, panel_id: str) -> None:
    """Click a sidebar tab (unless its panel is open already)."""
    tab = page.locator(f"li[data-id='{panel_id}']")
    if "lm-mod-current" not in (tab.get_attribute("class") or ""):
        tab.click()
    expect(page.locator(f"#{panel_id}")).to_be_visible()
