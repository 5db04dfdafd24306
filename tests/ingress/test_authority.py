"""The decisions of the ingress endpoints, for cookies and tickets (no server: tokens are
checked with a real hub in test_edge.py)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from karvdash_hub.service.ingress_authority import (
    BadDestination,
    IngressAuthority,
    is_token_scheme,
    split_ticket,
    token_from,
    with_ticket,
)
from karvdash_hub.service.ingress_cookie import TICKET_PARAM, Signer
from karvdash_hub.service.ingress_owners import StaticOwners

DOMAIN = "example.org"
WEB = f"web-alice.{DOMAIN}"
FILES = f"files-alice.{DOMAIN}"
BOBS = f"web-bob.{DOMAIN}"


async def no_tokens(token: str) -> dict[str, Any] | None:
    raise AssertionError("no token was sent, the hub must not be asked")


def authority(*, admins_allowed: bool = False) -> IngressAuthority:
    owners = StaticOwners({WEB: "alice", FILES: "alice", BOBS: "bob"})
    return IngressAuthority(owners, Signer(b"s" * 32), domain=DOMAIN, admins_allowed=admins_allowed)


def cookie(auth: IngressAuthority, user: str, host: str, *, admin: bool = False) -> str:
    value = auth.signer.cookie(user, host, admin=admin, expires=int(time.time()) + 60)
    return f"theme=dark; {auth.cookie_name}={value}"


async def test_the_owners_cookie_opens_the_service() -> None:
    auth = authority()
    decision = await auth.decide(f"https://{WEB}/x?y=1", cookie(auth, "alice", WEB), "", no_tokens)
    assert (decision.status, decision.user, decision.cookie) == (200, "alice", None)


async def test_without_credentials_the_visitor_must_sign_in() -> None:
    decision = await authority().decide(f"https://{WEB}/", "theme=dark", "", no_tokens)
    assert decision.status == 401


async def test_another_users_cookie_is_forbidden() -> None:
    auth = authority()
    decision = await auth.decide(f"https://{WEB}/", cookie(auth, "bob", WEB), "", no_tokens)
    assert (decision.status, decision.user) == (403, "bob")


async def test_another_services_cookie_means_signing_in_again() -> None:
    auth = authority()
    for host in (FILES, BOBS):
        decision = await auth.decide(f"https://{WEB}/", cookie(auth, "alice", host), "", no_tokens)
        assert decision.status == 401


async def test_admins_pass_only_when_the_operator_allows_it() -> None:
    for allowed, status in ((False, 403), (True, 200)):
        auth = authority(admins_allowed=allowed)
        value = cookie(auth, "boss", WEB, admin=True)
        assert (await auth.decide(f"https://{WEB}/", value, "", no_tokens)).status == status


async def test_a_host_no_service_publishes_is_refused_to_everybody() -> None:
    auth = authority()
    ghost = f"ghost-alice.{DOMAIN}"
    decision = await auth.decide(f"https://{ghost}/", cookie(auth, "alice", ghost), "", no_tokens)
    assert decision.status == 403
    assert "no Karvdash service" in decision.message


@pytest.mark.parametrize("url", ["", "/just/a/path", "ftp://web-alice.example.org/"])
async def test_a_request_without_its_original_address_is_bad(url: str) -> None:
    assert (await authority().decide(url, "", "", no_tokens)).status == 400


async def test_a_ticket_becomes_a_cookie_for_its_host_once() -> None:
    auth = authority()
    ticket = auth.signer.ticket("alice", WEB, admin=False, now=time.time())
    url = with_ticket(f"https://{WEB}/page?q=1", ticket)
    first = await auth.decide(url, "", "", no_tokens)
    assert first.status == 401
    assert first.cookie is not None
    header = auth.set_cookie_header(first.cookie)
    assert header.startswith(f"{auth.cookie_name}={first.cookie}; ")
    assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/"} <= set(header.split("; "))
    assert "Domain" not in header  # the service's host only
    granted = await auth.decide(
        f"https://{WEB}/page", f"{auth.cookie_name}={first.cookie}", "", no_tokens
    )
    assert granted.status == 200
    again = await auth.decide(url, "", "", no_tokens)
    assert (again.status, again.cookie) == (401, None)


async def test_a_ticket_for_another_host_or_from_another_key_sets_nothing() -> None:
    auth = authority()
    elsewhere = auth.signer.ticket("alice", FILES, admin=False, now=time.time())
    forged = Signer(b"f" * 32).ticket("alice", WEB, admin=False, now=time.time())
    expired = auth.signer.ticket("alice", WEB, admin=False, now=time.time() - 3600)
    for ticket in (elsewhere, forged, expired, "junk"):
        decision = await auth.decide(with_ticket(f"https://{WEB}/", ticket), "", "", no_tokens)
        assert (decision.status, decision.cookie) == (401, None)


async def test_the_ticket_wins_over_a_valid_cookie_so_it_never_reaches_the_service() -> None:
    auth = authority()
    url = with_ticket(f"https://{WEB}/", "junk")
    assert (await auth.decide(url, cookie(auth, "alice", WEB), "", no_tokens)).status == 401


async def test_the_sign_in_destination_must_be_a_published_https_service() -> None:
    auth = authority()
    for rd in (
        f"http://{WEB}/",
        "https://evil.com/",
        f"https://{WEB}.evil.com/",
        f"https://ghost-alice.{DOMAIN}/",
        f"https://alice@{WEB}/",
        f"https://{WEB}:2222/",  # another port of the host: another program's
        f"https://{WEB}:0/",
        f"https://{WEB}:ab/",
        "",
        "/relative",
    ):
        with pytest.raises(BadDestination):
            await auth.destination(rd)


async def test_the_destination_keeps_path_query_and_port_and_drops_the_ticket() -> None:
    auth = authority()
    auth.https_port = 8443
    plain = await auth.destination(f"https://{WEB.upper()}:8443/a%20b?x=1&y=%2F")
    assert (plain.url, plain.host, plain.owner, plain.ticket) == (
        f"https://{WEB}:8443/a%20b?x=1&y=%2F", WEB, "alice", None,
    )  # fmt: skip
    auth.https_port = 443
    back = await auth.destination(with_ticket(f"https://{WEB}/p?x=1", "T"))
    assert (back.url, back.ticket) == (f"https://{WEB}/p?x=1", "T")
    root = await auth.destination(f"https://{WEB}")
    assert root.url == f"https://{WEB}/"


async def test_tickets_go_to_the_owner_and_to_allowed_admins_only() -> None:
    auth = authority()
    destination = await auth.destination(f"https://{WEB}/p")
    target = auth.ticket_for("alice", False, destination)
    assert target is not None
    ticket = parse_qs(urlsplit(target).query)[TICKET_PARAM][0]
    grant = auth.signer.read_ticket(ticket, time.time())
    assert grant is not None
    assert (grant.user, grant.host, grant.admin) == ("alice", WEB, False)
    assert auth.ticket_for("bob", False, destination) is None
    assert auth.ticket_for("boss", True, destination) is None
    admitted = authority(admins_allowed=True).ticket_for("boss", True, destination)
    assert admitted is not None


def test_the_ticket_parameter_comes_off_and_the_rest_stays_as_sent() -> None:
    assert split_ticket(f"a=1&{TICKET_PARAM}=T&b=%2F+x") == ("a=1&b=%2F+x", "T")
    assert split_ticket(f"{TICKET_PARAM}=T") == ("", "T")
    assert split_ticket("a=1") == ("a=1", None)
    assert with_ticket("https://h/p#frag", "T") == f"https://h/p?{TICKET_PARAM}=T#frag"
    assert with_ticket("https://h/p?a=1", "T") == f"https://h/p?a=1&{TICKET_PARAM}=T"


@pytest.mark.parametrize(
    ("header", "token", "dropped"),
    [
        ("token abc", "abc", True),
        ("Token abc", "abc", True),
        ("TOKEN\tabc ", "abc", True),
        ("  token   abc", "abc", True),
        ("token a b", None, True),  # no token to check, but never sent on either
        ("token", None, False),
        ("Bearer abc", None, False),
        ("tokenabc", None, False),
    ],
)
def test_a_token_is_read_as_jupyterhub_reads_it_and_every_token_scheme_is_dropped(
    header: str, token: str | None, dropped: bool
) -> None:
    assert token_from(header) == token
    assert is_token_scheme(header) == dropped


async def test_the_decision_is_for_the_host_nginx_served() -> None:
    auth = authority()
    alice = cookie(auth, "alice", WEB)
    same = await auth.decide_served(WEB, f"https://{WEB}/", alice, "", no_tokens)
    assert (same.status, same.owner) == (200, True)
    for served in (BOBS, ""):
        other = await auth.decide_served(served, f"https://{WEB}/", alice, "", no_tokens)
        assert other.status == 403
