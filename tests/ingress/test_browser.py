"""A real browser (Debian's chromium) opens a service: login at the hub, back to the page.

Chromium resolves ``DOMAIN`` and ``*.DOMAIN`` to the edge address, so every
address is the one a user would bookmark (no port), and its cookies follow the real rules
(host-only, ``Secure``, ``SameSite``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, BrowserContext, async_playwright

from .conftest import DOMAIN, Edge, People, Published

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def browser(edge: Edge) -> AsyncIterator[Browser]:
    rules = f"MAP {DOMAIN} {edge.address}, MAP *.{DOMAIN} {edge.address}"
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[*CHROMIUM_ARGS, f"--host-resolver-rules={rules}"],
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def log_in_at(context: BrowserContext, url: str, user: str) -> str:
    """Open ``url`` as a stranger, log in as ``user`` on the hub's page; the page's text."""
    page = await context.new_page()
    await page.goto(url)
    assert page.url.startswith(f"https://{DOMAIN}/hub/login"), page.url
    await page.fill("#username_input", user)
    await page.fill("#password_input", "any password")
    await page.click("#login_submit")
    await page.wait_for_load_state()
    return await page.inner_text("body")


async def test_a_stranger_logs_in_and_lands_on_the_service_page(
    browser: Browser, edge: Edge, published: Published, people: People
) -> None:
    host = published.host(f"{people.alice}/web")
    url = f"https://{host}/reports/2024?sort=name"
    edge.backends[host].seen.clear()
    context = await browser.new_context(ignore_https_errors=True)
    try:
        text = await log_in_at(context, url, people.alice)
        page = context.pages[0]
        assert page.url == url
        assert text == f"web-{people.alice}: /reports/2024?sort=name"
        cookies = {c["name"]: c for c in await context.cookies() if c["name"] == "karvdash-ingress"}
        cookie = cookies["karvdash-ingress"]
        assert cookie["domain"] == host  # host-only: no other host ever receives it
        assert cookie["secure"]
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Lax"
        seen = [s for s in edge.backends[host].seen if s.path != "/favicon.ico"]
        assert [s.path for s in seen] == ["/reports/2024?sort=name"]  # never a ticket
        assert all("karvdash-ingress" not in s.headers.get("cookie", "") for s in seen)

        # the next visit goes straight in; another service of hers signs in without a prompt
        again = await page.goto(f"https://{host}/other")
        assert again is not None
        assert again.status == 200
        files = published.host(f"{people.alice}/files")
        opened = await page.goto(f"https://{files}/x")
        assert opened is not None
        assert page.url == f"https://{files}/x"
        assert await page.inner_text("body") == f"files-{people.alice}: /x"
    finally:
        await context.close()


async def test_another_user_who_logs_in_is_refused(
    browser: Browser, edge: Edge, published: Published, people: People
) -> None:
    host = published.host(f"{people.alice}/web")
    before = len(edge.backends[host].seen)
    context = await browser.new_context(ignore_https_errors=True)
    try:
        text = await log_in_at(context, f"https://{host}/", people.bob)
        assert "403" in text
        assert "only its owner may open it" in text
        assert not [c for c in await context.cookies() if c["name"] == "karvdash-ingress"]
    finally:
        await context.close()
    assert len(edge.backends[host].seen) == before
