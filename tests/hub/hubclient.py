"""A browser-like client of the real hub: forms with their XSRF token, cookies, the REST API.

It does what a person does on the pages (sign up, log in, authorize a user) and what the
hub's own JavaScript does (API calls with the XSRF header), with ``requests``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

XSRF_INPUT = re.compile(r'name="_xsrf"\s+value="([^"]+)"')


class HubClient:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.session = requests.Session()

    # -- pages -------------------------------------------------------------------------------

    def _form(self, path: str) -> str:
        page = self.session.get(f"{self.url}{path}", timeout=10)
        page.raise_for_status()
        found = XSRF_INPUT.search(page.text)
        assert found, f"no XSRF field on {path}"
        return found.group(1)

    def sign_up(self, username: str, password: str, email: str) -> str:
        xsrf = self._form("/hub/signup")
        answer = self.session.post(
            f"{self.url}/hub/signup",
            data={
                "_xsrf": xsrf,
                "username": username,
                "email": email,
                "signup_password": password,
                "signup_password_confirmation": password,
            },
            timeout=10,
        )
        answer.raise_for_status()
        return answer.text

    def log_in(self, username: str, password: str) -> requests.Response:
        """Submit the login form; the answer is the page the browser ends on."""
        xsrf = self._form("/hub/login")
        return self.session.post(
            f"{self.url}/hub/login",
            data={"_xsrf": xsrf, "username": username, "password": password},
            timeout=30,
        )

    @property
    def logged_in(self) -> bool:
        answer = self.session.get(f"{self.url}/hub/api/user", headers=self._xsrf(), timeout=10)
        return answer.status_code == 200

    def _xsrf(self) -> dict[str, str]:
        token = self.session.cookies.get("_xsrf", path="/hub/")
        return {"X-XSRFToken": token} if token else {}

    # -- REST API (as the hub's pages call it) -----------------------------------------------

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**self._xsrf(), **kwargs.pop("headers", {})}
        return self.session.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=30, **kwargs
        )

    def new_token(self, username: str, note: str = "tests") -> str:
        answer = self.api("POST", f"/users/{quote(username)}/tokens", json={"note": note})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["token"])


def api(url: str, token: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """One REST call with a token (as a script or another service would make it)."""
    return requests.request(
        method,
        f"{url.rstrip('/')}/hub/api{path}",
        headers={"Authorization": f"token {token}"},
        timeout=30,
        **kwargs,
    )


def user_model(url: str, token: str, username: str) -> dict[str, Any]:
    answer = api(url, token, "GET", f"/users/{quote(username)}")
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def wait_server(url: str, token: str, username: str, timeout: float = 90) -> dict[str, Any]:
    """Until the user's default server is ready; fails early if the spawn failed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = user_model(url, token, username)
        server = model.get("servers", {}).get("")
        if server and server.get("ready"):
            return dict(server)
        if not server and not model.get("pending"):
            raise AssertionError(f"the server of {username} is neither pending nor ready")
        time.sleep(0.5)
    raise AssertionError(f"the server of {username} was not ready in {timeout} s")


def wait_stopped(url: str, token: str, username: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = user_model(url, token, username)
        if not model.get("servers") and not model.get("pending"):
            return
        time.sleep(0.5)
    raise AssertionError(f"the server of {username} did not stop in {timeout} s")


def progress_events(
    url: str, token: str, username: str, timeout: float = 60
) -> Iterator[dict[str, Any]]:
    """The spawn progress events, as the hub's progress page reads them (event stream)."""
    with requests.get(
        f"{url.rstrip('/')}/hub/api/users/{quote(username)}/server/progress",
        headers={"Authorization": f"token {token}"},
        stream=True,
        timeout=timeout,
    ) as answer:
        answer.raise_for_status()
        for line in answer.iter_lines(decode_unicode=True):
            if line and line.startswith("data:"):
                yield json.loads(line[5:])
