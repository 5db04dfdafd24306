"""Owner-only services behind a real nginx configured as ingress-nginx renders Karvdash's
Ingresses, with the real hub service deciding (the fixtures are in conftest.py).

Requests go to nginx on 443 (or 80) of the edge address with the service's host in
``Host``; redirects are not followed, so every hop is checked.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
import requests

from karvdash_hub.service.ingress_cookie import TICKET_PARAM, Signer

from ..hubproc import Hub
from .conftest import DOMAIN, HUB_HOST, Edge, People, Published

COOKIE = "karvdash-ingress"
SIGNIN = f"https://{HUB_HOST}/services/karvdash/ingress/signin"


@pytest.fixture(scope="module")
def signer(secret_file: Path) -> Signer:
    """The hub service's own signer (the test knows its key)."""
    return Signer(bytes.fromhex(secret_file.read_text().strip()))


def mint(signer: Signer, user: str, host: str, *, seconds: int = 600, admin: bool = False) -> str:
    return signer.cookie(user, host, admin=admin, expires=int(time.time()) + seconds)


def token(hub: Hub, user: str) -> dict[str, str]:
    return {"Authorization": f"token {hub.tokens[user]}"}


def sent_to_sign_in(answer: requests.Response, original: str) -> None:
    """nginx's auth-signin redirect, back to ``original`` afterwards."""
    assert answer.status_code == 302, answer.text
    location = answer.headers["Location"]
    assert location.startswith(SIGNIN + "?rd=")
    assert unquote(location.removeprefix(SIGNIN + "?rd=")) == original


def test_the_owner_gets_the_page_and_the_service_never_sees_the_token(
    edge: Edge, published: Published, people: People, ingress_hub: Hub
) -> None:
    host = published.host(f"{people.alice}/web")
    answer = edge.get(host, "/notes/a.html?x=1", headers=token(ingress_hub, people.alice))
    assert answer.status_code == 200, answer.text
    assert answer.text == f"web-{people.alice}: /notes/a.html?x=1"
    seen = edge.backends[host].seen[-1]
    assert seen.path == "/notes/a.html?x=1"
    assert "authorization" not in seen.headers
    assert seen.headers["host"] == host


def test_other_schemes_of_authorization_reach_the_service(
    edge: Edge, published: Published, people: People, signer: Signer
) -> None:
    host = published.host(f"{people.alice}/web")
    cookies = f"theme=dark; {COOKIE}={mint(signer, people.alice, host)}; lang=el"
    answer = edge.get(host, headers={"Cookie": cookies, "Authorization": "Bearer app-own"})
    assert answer.status_code == 200, answer.text
    seen = edge.backends[host].seen[-1]
    assert seen.headers["authorization"] == "Bearer app-own"
    assert COOKIE not in seen.headers["cookie"]
    assert "theme=dark" in seen.headers["cookie"]
    assert "lang=el" in seen.headers["cookie"]


def test_another_user_and_an_admin_are_forbidden(
    edge: Edge, published: Published, people: People, ingress_hub: Hub, signer: Signer
) -> None:
    host = published.host(f"{people.alice}/web")
    before = len(edge.backends[host].seen)
    for user in (people.bob, people.boss):
        assert edge.get(host, headers=token(ingress_hub, user)).status_code == 403
    forged_owner = {"Cookie": f"{COOKIE}={mint(signer, people.bob, host)}"}
    assert edge.get(host, headers=forged_owner).status_code == 403
    assert len(edge.backends[host].seen) == before


def test_a_stranger_is_sent_to_sign_in_and_back_to_the_same_address(
    edge: Edge, published: Published, people: People
) -> None:
    host = published.host(f"{people.alice}/web")
    before = len(edge.backends[host].seen)
    answer = edge.get(host, "/a b/c?d=1&e=%2F")
    sent_to_sign_in(answer, f"https://{host}/a%20b/c?d=1&e=%2F")
    assert "Set-Cookie" not in answer.headers
    assert len(edge.backends[host].seen) == before


def test_http_is_redirected_to_https(edge: Edge, published: Published, people: People) -> None:
    host = published.host(f"{people.alice}/web")
    answer = edge.get(host, "/p?q=1", scheme="http")
    assert answer.status_code == 308
    assert answer.headers["Location"] == f"https://{host}/p?q=1"


def test_forged_tampered_expired_and_other_services_cookies_fail(
    edge: Edge, published: Published, people: People, signer: Signer
) -> None:
    host = published.host(f"{people.alice}/web")
    good = mint(signer, people.alice, host)
    head, tail = good.split(".")
    bad = {
        "forged": mint(Signer(b"f" * 32), people.alice, host),
        "tampered": f"{head}A.{tail}",
        "unsigned": head,
        "expired": mint(signer, people.alice, host, seconds=-1),
        "another service's": mint(signer, people.alice, published.host(f"{people.alice}/files")),
        "another user's service's": mint(signer, people.bob, published.host(f"{people.bob}/web")),
    }
    before = len(edge.backends[host].seen)
    for what, value in bad.items():
        answer = edge.get(host, "/", headers={"Cookie": f"{COOKIE}={value}"})
        assert answer.status_code == 302, what
        sent_to_sign_in(answer, f"https://{host}/")
    assert len(edge.backends[host].seen) == before
    assert edge.get(host, "/", headers={"Cookie": f"{COOKIE}={good}"}).status_code == 200


def test_a_bad_token_fails(edge: Edge, published: Published, people: People) -> None:
    host = published.host(f"{people.alice}/web")
    answer = edge.get(host, headers={"Authorization": "token not-a-real-token"})
    sent_to_sign_in(answer, f"https://{host}/")


def test_a_host_no_service_publishes_is_refused(
    edge: Edge, people: People, ingress_hub: Hub, signer: Signer
) -> None:
    ghost = f"ghost-{people.alice}.{DOMAIN}"
    cookie = {"Cookie": f"{COOKIE}={mint(signer, people.alice, ghost)}"}
    for headers in (token(ingress_hub, people.alice), cookie, {}):
        assert edge.get(ghost, headers=headers).status_code == 403
    assert edge.backends[ghost].seen == []
    assert edge.get(f"nothing-{people.alice}.{DOMAIN}").status_code == 404


def test_a_host_header_naming_another_service_than_nginx_routes_to_is_refused(
    edge: Edge, published: Published, people: People, signer: Signer, ingress_hub: Hub
) -> None:
    """nginx chooses the server by the request line's host (or the Host header up to its
    first ':'), while ingress-nginx tells the hub ``$http_host``: alice's own credentials,
    with her host in the Host header, must not open bob's service."""
    alices, bobs = published.host(f"{people.alice}/web"), published.host(f"{people.bob}/web")
    cookie = f"{COOKIE}={mint(signer, people.alice, alices)}"
    before = len(edge.backends[bobs].seen)
    tricks = {
        "absolute request line": (f"https://{bobs}/", alices),
        "credentials in Host": ("/", f"{bobs}:x@{alices}"),
    }
    for what, (target, host) in tricks.items():
        for credential in (
            f"Cookie: {cookie}",
            f"Authorization: token {ingress_hub.tokens[people.alice]}",
        ):
            request = (
                f"GET {target} HTTP/1.1\r\nHost: {host}\r\n{credential}\r\n"
                "Connection: close\r\n\r\n"
            )
            status, body = edge.raw(request.encode(), alices)
            assert status == 403, (what, credential, status, body)
            assert f"web-{people.bob}".encode() not in body, what
    assert len(edge.backends[bobs].seen) == before
    # the same raw request, honest, still opens alice's own service
    honest = f"GET / HTTP/1.1\r\nHost: {alices}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    assert edge.raw(honest.encode(), alices) == (200, f"web-{people.alice}: /".encode())


def test_a_token_scheme_header_in_any_spelling_never_reaches_the_service(
    edge: Edge, published: Published, people: People, signer: Signer
) -> None:
    """JupyterHub reads ``token`` in any case and with any white space: so does the
    filter (an admin's credentials: test_handler.py)."""
    host = published.host(f"{people.alice}/web")
    cookie = f"{COOKIE}={mint(signer, people.alice, host)}"
    for header in ("TOKEN abc", "token\tabc", "Token  abc def"):
        answer = edge.get(host, headers={"Cookie": cookie, "Authorization": header})
        assert answer.status_code == 200, (header, answer.text)
        assert "authorization" not in edge.backends[host].seen[-1].headers, header


def signin(edge: Edge, rd: str, headers: dict[str, str]) -> requests.Response:
    query = urlencode({"rd": rd})
    return edge.get(HUB_HOST, f"/services/karvdash/ingress/signin?{query}", headers=headers)


def test_signing_in_sets_a_cookie_for_the_service_host_only_through_a_one_time_ticket(
    edge: Edge, published: Published, people: People, ingress_hub: Hub
) -> None:
    host = published.host(f"{people.alice}/web")
    original = f"https://{host}/deep/page?x=1"
    before = len(edge.backends[host].seen)

    # the hub: alice is logged in (her token stands for her hub login) -> a ticket
    to_service = signin(edge, original, token(ingress_hub, people.alice))
    assert to_service.status_code == 302, to_service.text
    ticket_url = to_service.headers["Location"]
    assert ticket_url.startswith(original + f"&{TICKET_PARAM}=")

    # the service's host: nginx answers with the cookie and sends the browser back
    path = ticket_url.removeprefix(f"https://{host}")
    back = edge.get(host, path)
    sent_to_sign_in(back, ticket_url)
    name, _, rest = back.headers["Set-Cookie"].partition("=")
    value, *attributes = rest.split("; ")
    assert name == COOKIE
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)
    assert not any(a.lower().startswith("domain") for a in attributes)

    # the hub again: on to the original address, without the ticket
    final = signin(edge, ticket_url, token(ingress_hub, people.alice))
    assert final.status_code == 302
    assert final.headers["Location"] == original

    page = edge.get(host, "/deep/page?x=1", headers={"Cookie": f"{COOKIE}={value}"})
    assert page.status_code == 200
    seen = edge.backends[host].seen[before:]
    assert [s.path for s in seen] == ["/deep/page?x=1"]  # never the ticket
    assert all(COOKIE not in s.headers.get("cookie", "") for s in seen)

    # the cookie opens this service only, and the ticket works once
    files = published.host(f"{people.alice}/files")
    assert edge.get(files, headers={"Cookie": f"{COOKIE}={value}"}).status_code == 302
    again = edge.get(host, path)
    assert again.status_code == 302
    assert "Set-Cookie" not in again.headers


def test_the_sign_in_refuses_other_users_and_foreign_addresses(
    edge: Edge, published: Published, people: People, ingress_hub: Hub
) -> None:
    host = published.host(f"{people.alice}/web")
    refused = signin(edge, f"https://{host}/", token(ingress_hub, people.bob))
    assert refused.status_code == 403
    assert "another user" in refused.text
    assert refused.headers["Content-Type"].startswith("text/html")
    for rd in (
        "https://evil.example.com/",
        f"https://ghost-{people.alice}.{DOMAIN}/",
        f"http://{host}/",
        f"https://{host}.evil.example.com/",
    ):
        answer = signin(edge, rd, token(ingress_hub, people.alice))
        assert answer.status_code == 400, rd
        assert "Location" not in answer.headers


def test_a_stranger_at_the_sign_in_is_sent_to_the_hubs_login(
    edge: Edge, published: Published, people: People
) -> None:
    host = published.host(f"{people.alice}/web")
    answer = signin(edge, f"https://{host}/", {})
    assert answer.status_code == 302
    login = urlsplit(answer.headers["Location"])
    assert login.path == "/hub/api/oauth2/authorize"
    assert parse_qs(login.query)["redirect_uri"] == ["/services/karvdash/oauth_callback"]


def test_writes_are_decided_the_same_way(
    edge: Edge, published: Published, people: People, ingress_hub: Hub
) -> None:
    host = published.host(f"{people.alice}/web")
    posted = edge.request(
        "POST", host, "/form", data=b"a=1", headers=token(ingress_hub, people.alice)
    )
    assert posted.status_code == 200
    assert edge.backends[host].seen[-1].method == "POST"
    assert (
        edge.request(
            "PUT", host, "/f", data=b"x", headers=token(ingress_hub, people.bob)
        ).status_code
        == 403
    )
    assert edge.request("DELETE", host, "/f").status_code == 302


def test_the_hub_tells_the_service_who_is_an_admin(ingress_hub: Hub, people: People) -> None:
    """``ingress_admins_allowed`` relies on the ``admin`` field of the hub's answer for a
    token (and for a browser's OAuth login, the same model)."""
    for user, admin in ((people.boss, True), (people.alice, False)):
        answer = requests.get(
            f"{ingress_hub.url}hub/api/user", headers=token(ingress_hub, user), timeout=30
        )
        assert answer.status_code == 200
        assert answer.json()["admin"] is admin
