"""The ``/auth`` endpoint itself (the hub service's application, no hub asked: cookies
only): which host it decides for, and which headers the service gets on a 200."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest
from jupyterhub.services.auth import HubOAuth  # type: ignore[import-untyped]
from tornado import httpclient, netutil
from tornado.httpserver import HTTPServer

from karvdash.registry import RegistryGateway
from karvdash.settings import load_settings
from karvdash_hub.service.app import make_app
from karvdash_hub.service.ingress_authority import IngressAuthority
from karvdash_hub.service.ingress_cookie import Signer
from karvdash_hub.service.ingress_owners import StaticOwners

DOMAIN = "example.org"
WEB = f"web-alice.{DOMAIN}"
BOBS = f"web-bob.{DOMAIN}"
PREFIX = "/services/karvdash/"
COOKIE = "karvdash-ingress"


@pytest.fixture
async def endpoint() -> AsyncIterator[tuple[str, Signer]]:
    """The auth URL of a hub service whose admins may open every service."""
    signer = Signer(b"k" * 32)
    authority = IngressAuthority(
        StaticOwners({WEB: "alice", BOBS: "bob"}), signer, domain=DOMAIN, admins_allowed=True
    )
    hub_auth = HubOAuth(
        api_token="unused",
        api_url="http://127.0.0.1:9/hub/api/",
        oauth_client_id="service-karvdash",
    )
    app = make_app(
        prefix=PREFIX,
        hub_auth=hub_auth,
        gateway=RegistryGateway.from_settings(load_settings(env={})),
        ingress_authority=authority,
    )
    sockets = netutil.bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app, xheaders=True)
    server.add_sockets(sockets)
    yield f"http://127.0.0.1:{sockets[0].getsockname()[1]}{PREFIX}ingress/auth", signer
    server.stop()


def cookie(signer: Signer, user: str, host: str, *, admin: bool = False) -> str:
    value = signer.cookie(user, host, admin=admin, expires=int(time.time()) + 60)
    return f"theme=dark; {COOKIE}={value}"


async def ask(url: str, original: str, **headers: str) -> httpclient.HTTPResponse:
    return await httpclient.AsyncHTTPClient().fetch(
        url, headers={"X-Original-URL": original, **headers}, raise_error=False
    )


async def test_the_owner_keeps_other_cookies_and_schemes_but_no_karvdash_credentials(
    endpoint: tuple[str, Signer],
) -> None:
    url, signer = endpoint
    answer = await ask(
        f"{url}?host={WEB}",
        f"https://{WEB}/x",
        Cookie=cookie(signer, "alice", WEB),
        Authorization="Bearer app-own",
    )
    assert answer.code == 200
    assert answer.headers["Cookie"] == "theme=dark"
    assert answer.headers["Authorization"] == "Bearer app-own"


async def test_an_admin_let_in_brings_none_of_their_credentials(
    endpoint: tuple[str, Signer],
) -> None:
    url, signer = endpoint
    answer = await ask(
        f"{url}?host={WEB}",
        f"https://{WEB}/x",
        Cookie=cookie(signer, "boss", WEB, admin=True),
        Authorization="Bearer boss-jwt",
    )
    assert answer.code == 200
    assert answer.headers["Cookie"] == ""
    assert answer.headers["Authorization"] == ""


@pytest.mark.parametrize(
    ("query", "original"),
    [
        (f"?host={BOBS}", f"https://{WEB}/"),  # GET http://web-bob/ with Host: web-alice
        ("", f"https://{WEB}/"),  # an Ingress whose auth-url names no host
        (
            f"?host={BOBS}",
            f"https://{BOBS}:x@{WEB}/",
        ),  # nginx reads web-bob, a URL parser web-alice
        (f"?host={WEB}", f"https://x@{WEB}/"),
        (f"?host={WEB}", f"https://{WEB}:44x/"),
    ],
)
async def test_a_request_whose_hosts_disagree_is_refused(
    endpoint: tuple[str, Signer], query: str, original: str
) -> None:
    url, signer = endpoint
    answer = await ask(url + query, original, Cookie=cookie(signer, "alice", WEB))
    assert answer.code == 403
    assert "Cookie" not in answer.headers


async def test_the_host_is_compared_without_case_port_or_trailing_dot(
    endpoint: tuple[str, Signer],
) -> None:
    url, signer = endpoint
    answer = await ask(
        f"{url}?host={WEB}",
        f"https://WEB-Alice.{DOMAIN}.:8443/",
        Cookie=cookie(signer, "alice", WEB),
    )
    assert answer.code == 200
